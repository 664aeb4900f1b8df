"""Engine benchmark: one task completion (load, step, save, commit) against the floor of one
bare SQL UPDATE writing the same serialized state; the state's size after 20 return loops and
the cost of a step in the last loops against the first (issue 19: at most 1.5×); then
``bench/engine/api.py``, a completion through the API against an authenticated no-op.

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
N = 60
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
    complete_task, user, ids: list[int], outcome: str, data, before_each=None
) -> list[float]:
    """Time the completion of each instance's open task by ``user``."""
    from webapp.core.models import User
    from webapp.engine.models import ProcessInstance
    from webapp.engine.queries import current_tasks
    from webapp.extensions import db

    task_ids = [current_tasks(db.session.get(ProcessInstance, i))[0].id for i in ids]
    db.session.commit()
    db.session.expire_all()
    samples = []
    for n, tid in enumerate(task_ids):
        if before_each is not None:
            before_each(n)
        t0 = time.perf_counter()
        complete_task(db.session.get(User, user.id), tid, outcome, data=data)
        db.session.commit()
        samples.append(time.perf_counter() - t0)
        db.session.expire_all()
    return samples


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
    from webapp.engine.models import ProcessInstance
    from webapp.engine.queries import current_tasks
    from webapp.extensions import db, write_intent

    app = _app(url)
    _prepare(app)
    out: dict[str, str] = {}
    with app.app_context():
        write_intent.set(True)
        clerk = db.session.query(User).filter_by(username="clerk_b").one()
        reviewer = db.session.query(User).filter_by(username="reviewer_b").one()
        ids = _start(start_instance, get_org, db, "demo_two_tier")
        step = _complete_first(complete_task, clerk, ids, "submit", {"title": "t"})
        states = {i: db.session.get(ProcessInstance, i).state_json for i in ids}
        review = _complete_first(complete_task, reviewer, ids, "approve", None)
        scripted_ids = _start(start_instance, get_org, db, "bench_scripted")
        scripted = _complete_first(complete_task, clerk, scripted_ids, "submit", {"title": "t"})
        worker, here = _script_worker_against_in_process(
            start_instance, complete_task, clerk, get_org, db
        )
        floor = []
        for i in ids:
            version = db.session.execute(
                text("SELECT version FROM process_instance WHERE id = :i"), {"i": i}
            ).scalar_one()
            t0 = time.perf_counter()
            db.session.execute(
                text(
                    "UPDATE process_instance SET state_json = :s, version = :n"
                    " WHERE id = :i AND version = :v"
                ),
                {"s": states[i], "n": version + 1, "i": i, "v": version},
            )
            db.session.commit()
            floor.append(time.perf_counter() - t0)
        out["completion"] = _ms(step)
        out["review"] = _ms(review)
        out["scripted"] = _ms(scripted)
        out["worker"], out["here"] = _ms(worker), _ms(here)
        out["floor"] = _ms(floor)
        out["ratio"] = f"{statistics.median(step) / statistics.median(floor):.1f}x"

        # Size after 20 return-for-correction loops.
        inst = start_instance(None, "demo_two_tier", get_org("410102"), "bench:loops")
        db.session.commit()
        start_size = len(inst.state_json)
        loop_steps = []  # per loop: the mean of its two completions, each committed
        loop_cpu = []  # the same in CPU time of this process (the fsync's wait left out)
        for _ in range(LOOPS):
            t0, c0 = time.perf_counter(), time.process_time()
            complete_task(clerk, current_tasks(inst)[0].id, "submit", data={"title": "t"})
            db.session.commit()
            complete_task(reviewer, current_tasks(inst)[0].id, "return", "改")
            db.session.commit()
            loop_steps.append((time.perf_counter() - t0) / 2)
            loop_cpu.append((time.process_time() - c0) / 2)
        db.session.expire_all()
        # The first loops against the last ones (three of each, for a steadier median).
        first, last = statistics.median(loop_steps[:3]), statistics.median(loop_steps[-3:])
        cpu_first, cpu_last = statistics.median(loop_cpu[:3]), statistics.median(loop_cpu[-3:])
        out["loops"] = (
            f"per step in loops 1-3 {first * 1000:.2f} ms, in loops {LOOPS - 2}-{LOOPS}"
            f" {last * 1000:.2f} ms: {last / first:.2f}x; CPU time {cpu_first * 1000:.2f} ms"
            f" → {cpu_last * 1000:.2f} ms: {cpu_last / cpu_first:.2f}x"
        )
        inst = db.session.get(ProcessInstance, inst.id)
        end_kb = len(inst.state_json) / 1024
        out["size"] = f"{start_size / 1024:.1f} KB at start, {end_kb:.1f} KB after 20 loops"
        from webapp.engine import runtime

        t0 = time.perf_counter()
        for _ in range(20):
            runtime.load(inst)
        out["load_20_loops"] = (
            f"{(time.perf_counter() - t0) / 20 * 1000:.2f} ms to restore after 20 loops"
        )
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    print(f"[{label}] completion {out['completion']}; bare UPDATE {out['floor']}")
    print(f"[{label}] ratio {out['ratio']}")
    print(f"[{label}] 县级审核 with a gateway condition {out['review']}")
    print(f"[{label}] 填报 with a script task and a condition {out['scripted']}")
    print(
        f"[{label}] the same, interleaved: script in its worker process {out['worker']};"
        f" in this process (no limits) {out['here']}"
    )
    print(f"[{label}] state size {out['size']}; {out['load_20_loops']}")
    print(f"[{label}] return-for-correction loops: {out['loops']}")
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
    from bench.engine import api

    api.main()  # the completion through the API against an authenticated no-op


if __name__ == "__main__":
    main()
