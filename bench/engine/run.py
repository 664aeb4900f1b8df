"""Engine benchmark: one task completion (load, step, save, commit) against the floor of one
bare SQL UPDATE writing the same serialized state, each completion followed by its floor
(interleaved), in wall time and in CPU time of this process (the machine is shared: CPU time is
what load does not inflate; an fsync's wait is wall time only, and PostgreSQL's own work is in
neither's CPU); the state's size after 20 return loops and the cost of a step in the last loops
against the first (issue 19: at most 1.5×), with pruning and without, in turn; then
``bench/engine/api.py``, a completion through the API against an authenticated no-op
(``BENCH_ENGINE_SKIP_API=1`` leaves it out).

Three completions are timed: 填报 of the demo process (no expression, no script), its 县级审核
(one gateway condition evaluated) and 填报 of ``bench/engine/scripted.bpmn`` (one script task
and one gateway condition), so that the cost of the script sandbox is visible.

Runs on a temporary SQLite file and, when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set, on
that PostgreSQL database too (its schema is DROPPED and rebuilt: use a scratch database).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
N = 120
LOOPS = 20


def _app(url: str):
    from webapp import create_app
    from webapp.config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(Config)


def _prepare(app) -> None:
    from flask_migrate import upgrade

    from webapp.core.demo import ORGS_CSV
    from webapp.core.operations import create_user, load_orgs_csv
    from webapp.engine import deploy_bpmn
    from webapp.extensions import db

    with app.app_context():
        upgrade()
        load_orgs_csv(ORGS_CSV)
        for role in ("clerk", "reviewer"):
            create_user(
                None,
                username=f"{role}_b",
                full_name=role,
                org_code="410102",
                roles=[role],
                password="",
                password_hash="x",
            )
        deploy_bpmn(None, None, (ROOT / "workflows" / "demo_two_tier.bpmn").read_bytes())
        deploy_bpmn(None, None, (Path(__file__).parent / "scripted.bpmn").read_bytes())
        db.session.commit()


def _ms(samples: list[float]) -> str:
    p90 = sorted(samples)[int(len(samples) * 0.9)]
    return f"median {statistics.median(samples) * 1000:.2f} ms, p90 {p90 * 1000:.2f} ms"


def _start(start_instance, get_org, db, key: str, count: int = N) -> list[int]:
    ids = []
    for i in range(count):
        inst = start_instance(None, key, get_org("410102"), f"bench:{key}:{count}:{i}")
        db.session.commit()
        ids.append(inst.id)
    return ids


def _complete_first(
    complete_task, user, ids: list[int], outcome: str, data, before_each=None, floor=None
) -> list[float]:
    """Time the completion of each instance's open task by ``user``; with ``floor`` (a list),
    right after each completion time its floor too: the state it saved, written again by one
    bare UPDATE and commit (interleaved, so that load weighs on both alike).  Samples are
    ``(wall, cpu)`` pairs in ``floor``; the return value is the completions' wall times, and
    ``_cpu`` holds their CPU times."""
    from webapp.core.models import User
    from webapp.engine.models import ProcessInstance
    from webapp.engine.queries import current_tasks
    from webapp.extensions import db

    task_ids = [current_tasks(db.session.get(ProcessInstance, i))[0].id for i in ids]
    db.session.commit()
    db.session.expire_all()
    samples = []
    _cpu.clear()
    for n, tid in enumerate(task_ids):
        if before_each is not None:
            before_each(n)
        t0, c0 = time.perf_counter(), time.process_time()
        complete_task(db.session.get(User, user.id), tid, outcome, data=data)
        db.session.commit()
        samples.append(time.perf_counter() - t0)
        _cpu.append(time.process_time() - c0)
        db.session.expire_all()
        if floor is not None:
            floor.append(_bare_update(db, ids[n]))
    return samples


_cpu: list[float] = []


def _bare_update(db, instance_id: int) -> tuple[float, float]:
    """The floor: the instance's saved state written again by one bare UPDATE (with the
    version check) and commit; ``(wall, cpu)`` seconds."""
    state, version = db.session.execute(
        text("SELECT state_json, version FROM process_instance WHERE id = :i"), {"i": instance_id}
    ).one()
    db.session.commit()
    t0, c0 = time.perf_counter(), time.process_time()
    db.session.execute(
        text(
            "UPDATE process_instance SET state_json = :s, version = :n"
            " WHERE id = :i AND version = :v"
        ),
        {"s": state, "n": version + 1, "i": instance_id, "v": version},
    )
    db.session.commit()
    return time.perf_counter() - t0, time.process_time() - c0


def _script_worker_against_in_process(start_instance, complete_task, clerk, get_org, db):
    """The price of the worker process on the real completion path: completions alternate
    between the script run in its worker (as shipped) and run in this process without limits
    (as before issue 13), so that the machine's load weighs on both halves alike."""
    from webapp.engine import sandbox, script_pool

    shipped = script_pool.execute

    def in_process(script, context, extra, limits):
        result = sandbox.run_script(script, context, extra)
        context.clear()
        context.update(result)

    def alternate(n: int) -> None:
        script_pool.execute = shipped if n % 2 == 0 else in_process

    ids = _start(start_instance, get_org, db, "bench_scripted", 2 * N)
    try:
        samples = _complete_first(complete_task, clerk, ids, "submit", {"title": "t"}, alternate)
    finally:
        script_pool.execute = shipped
    return samples[0::2], samples[1::2]


def bench(url: str, label: str) -> dict[str, str]:
    from webapp.core.models import User
    from webapp.core.operations import get_org
    from webapp.engine import complete_task, start_instance
    from webapp.extensions import db, write_intent

    app = _app(url)
    _prepare(app)
    out: dict[str, str] = {}
    with app.app_context():
        write_intent.set(True)
        clerk = db.session.query(User).filter_by(username="clerk_b").one()
        reviewer = db.session.query(User).filter_by(username="reviewer_b").one()
        ids = _start(start_instance, get_org, db, "demo_two_tier")
        floor: list[tuple[float, float]] = []
        step = _complete_first(complete_task, clerk, ids, "submit", {"title": "t"}, floor=floor)
        step_cpu = list(_cpu)
        review = _complete_first(complete_task, reviewer, ids, "approve", None)
        scripted_ids = _start(start_instance, get_org, db, "bench_scripted")
        scripted = _complete_first(complete_task, clerk, scripted_ids, "submit", {"title": "t"})
        worker, here = _script_worker_against_in_process(
            start_instance, complete_task, clerk, get_org, db
        )
        floor_wall, floor_cpu = [w for w, _ in floor], [c for _, c in floor]
        out["completion"] = _ms(step)
        out["completion_cpu"] = _ms(step_cpu)
        out["review"] = _ms(review)
        out["scripted"] = _ms(scripted)
        out["worker"], out["here"] = _ms(worker), _ms(here)
        out["floor"] = _ms(floor_wall)
        out["floor_cpu"] = _ms(floor_cpu)
        out["ratio"] = f"{statistics.median(step) / statistics.median(floor_wall):.1f}x"
        out["ratio_cpu"] = f"{statistics.median(step_cpu) / statistics.median(floor_cpu):.1f}x"
        out.update(_loops(start_instance, complete_task, clerk, reviewer, get_org, db))
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    print(f"[{label}] completion {out['completion']}; bare UPDATE {out['floor']} (wall)")
    print(f"[{label}] completion {out['completion_cpu']}; bare UPDATE {out['floor_cpu']} (CPU)")
    print(f"[{label}] ratio {out['ratio']} (wall), {out['ratio_cpu']} (CPU of this process)")
    print(f"[{label}] 县级审核 with a gateway condition {out['review']}")
    print(f"[{label}] 填报 with a script task and a condition {out['scripted']}")
    print(
        f"[{label}] the same, interleaved: script in its worker process {out['worker']};"
        f" in this process (no limits) {out['here']}"
    )
    for mode in ("pruned", "unpruned"):
        print(f"[{label}] {mode}: state size {out['size_' + mode]}")
        print(f"[{label}] {mode}: return-for-correction loops: {out['loops_' + mode]}")
    return out


def _loops(start_instance, complete_task, clerk, reviewer, get_org, db) -> dict[str, str]:
    """20 return-for-correction loops of two instances, step by step in turn (A B A B): one
    saved as shipped (earlier iterations pruned), one with pruning off (the whole tree kept).
    Per loop, the mean of its two completions (a submit and a return, each committed)."""
    from webapp.engine import pruning
    from webapp.engine.models import ProcessInstance
    from webapp.engine.queries import current_tasks

    shipped = pruning.prune
    modes = ("pruned", "unpruned")
    insts = {
        m: start_instance(None, "demo_two_tier", get_org("410102"), f"bench:{m}") for m in modes
    }
    db.session.commit()
    sizes = {m: [len(insts[m].state_json)] for m in modes}
    wall: dict[str, list[float]] = {m: [] for m in modes}
    cpu: dict[str, list[float]] = {m: [] for m in modes}
    try:
        for _ in range(LOOPS):
            for mode in modes:
                pruning.prune = shipped if mode == "pruned" else (lambda workflow: 0)
                inst = insts[mode]
                t0, c0 = time.perf_counter(), time.process_time()
                complete_task(clerk, current_tasks(inst)[0].id, "submit", data={"title": "t"})
                db.session.commit()
                complete_task(reviewer, current_tasks(inst)[0].id, "return", "改")
                db.session.commit()
                wall[mode].append((time.perf_counter() - t0) / 2)
                cpu[mode].append((time.process_time() - c0) / 2)
                db.session.expire_all()
                sizes[mode].append(len(db.session.get(ProcessInstance, inst.id).state_json))
    finally:
        pruning.prune = shipped
    out = {}
    for mode in modes:
        # the first loops against the last ones (three of each, for a steadier median)
        first, last = statistics.median(wall[mode][:3]), statistics.median(wall[mode][-3:])
        c_first, c_last = statistics.median(cpu[mode][:3]), statistics.median(cpu[mode][-3:])
        out["loops_" + mode] = (
            f"per step in loops 1-3 {first * 1000:.2f} ms, in loops {LOOPS - 2}-{LOOPS}"
            f" {last * 1000:.2f} ms: {last / first:.2f}x; CPU time {c_first * 1000:.2f} ms"
            f" → {c_last * 1000:.2f} ms: {c_last / c_first:.2f}x"
        )
        out["size_" + mode] = (
            f"{sizes[mode][0] / 1024:.1f} KB at start, {sizes[mode][1] / 1024:.1f} KB after 1"
            f" loop, {sizes[mode][-1] / 1024:.1f} KB after {LOOPS} loops"
        )
    return out


def _reset_pg(url: str) -> None:
    from sqlalchemy import create_engine

    from webapp import _normalise_db_url

    engine = create_engine(_normalise_db_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HQR_INSTANCE_PATH"] = tmp
        bench(f"sqlite:///{tmp}/bench.sqlite3", "SQLite")
        pg = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        if pg:
            _reset_pg(pg)
            bench(pg, "PostgreSQL")
        else:
            print("[PostgreSQL] skipped: set BENCH_DATABASE_URL to a scratch database")
    if os.environ.get("BENCH_ENGINE_SKIP_API"):
        return
    from bench.engine import api

    api.main()  # the completion through the API against an authenticated no-op


if __name__ == "__main__":
    main()
