"""Return loops do not grow the saved state, and pruning it changes nothing anyone sees.

Each scenario runs twice: as shipped (earlier loop iterations cut from the SpiffWorkflow tree
before each save, webapp.engine.pruning) and with pruning switched off (the tree SpiffWorkflow
keeps by itself).  Outcome, data, task rows, history, audit, notifications, timers and the
diagram's marks must be equal; only the state's size differs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.engine import complete_task, pruning, run_timers, withdraw
from webapp.engine.models import HumanTask, Notification, ProcessInstance, WorkflowEvent
from webapp.engine.queries import current_tasks, diagram_marks
from webapp.engine.runtime import load
from webapp.extensions import db

LOOPS = 22
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=clock.LOCAL_TZ)


@pytest.fixture
def people(make_user) -> dict[str, Any]:
    return {
        "clerk": make_user("clerk", "410102"),
        "reviewer": make_user("reviewer", "410102"),
        "city": make_user("reviewer", "410100"),
    }


@pytest.fixture
def unpruned(monkeypatch):
    """Switch pruning off (the state SpiffWorkflow keeps by itself) while the block runs."""

    class Switch:
        def __enter__(self) -> None:
            monkeypatch.setattr(pruning, "prune", lambda workflow: 0)

        def __exit__(self, *exc: object) -> None:
            monkeypatch.undo()

    return Switch


def _open(instance: ProcessInstance, element_id: str | None = None) -> list[HumanTask]:
    db.session.expire_all()
    tasks = current_tasks(db.session.get(ProcessInstance, instance.id))
    return [t for t in tasks if element_id is None or t.element_id == element_id]


def _do(user, instance, element_id, outcome, comment=None, data=None) -> HumanTask:
    (task,) = _open(instance, element_id)
    complete_task(user, task.id, outcome, comment, data)
    db.session.commit()
    return task


def _state_size(instance: ProcessInstance) -> int:
    db.session.expire_all()
    return len(db.session.get(ProcessInstance, instance.id).state_json)


def _loop_state_run(start, people, key: str) -> tuple[ProcessInstance, list[int]]:
    """22 returns from the upper tier, with the reminder timer firing, the multi-instance
    confirmed, returns inside the sub-process and a withdrawal on the way; then to the end."""
    clerk, reviewer, city = people["clerk"], people["reviewer"], people["city"]
    clock.set_now(T0)
    instance = start("loop_state", "410102", business_key=key)
    sizes = []
    for k in range(LOOPS + 1):
        clock.set_now(T0 + timedelta(days=3 * k))
        if k % 4 == 1:  # the reminder on 填报 fires (a service task on a side branch)
            clock.set_now(T0 + timedelta(days=3 * k, hours=25))
            assert run_timers()["instances"] == 1
            db.session.commit()
        filled = _do(clerk, instance, "fill", "submit", data={"title": f"第{k}稿", "amount": k})
        if k == 12:  # the clerk takes the submission back and submits again
            withdraw(clerk, filled.id)
            db.session.commit()
            _do(clerk, instance, "fill", "submit", data={"title": f"第{k}稿（改）", "amount": k})
        for task in _open(instance, "sign"):
            complete_task(clerk, task.id, "confirm")
            db.session.commit()
        # returns inside the sub-process: one every third round, five in the last
        for n in range(5 if k == LOOPS else int(k % 3 == 0)):
            _do(reviewer, instance, "check", "return", "请修改")
            _do(clerk, instance, "fix", "submit", data={"title": f"第{k}稿修改{n}"})
            if k == LOOPS:
                sizes.append(_state_size(instance))
        _do(reviewer, instance, "check", "approve", "同意")
        if k == LOOPS:
            break
        _do(city, instance, "review", "return", f"第{k}次退回")
        sizes.append(_state_size(instance))
    _do(city, instance, "review", "approve", "同意")
    _do(city, instance, "archive", "done")
    return instance, sizes


def _seen(instance: ProcessInstance) -> dict[str, Any]:
    """What the instance shows to people and auditors (nothing of the SpiffWorkflow tree)."""
    db.session.expire_all()
    inst = db.session.get(ProcessInstance, instance.id)
    tasks = db.session.query(HumanTask).filter_by(instance_id=inst.id).order_by(HumanTask.id)
    task_ids = [str(t.id) for t in tasks]
    events = (
        db.session.query(WorkflowEvent).filter_by(instance_id=inst.id).order_by(WorkflowEvent.id)
    )
    audit = (
        db.session.query(AuditRecord)
        .filter(
            (
                (AuditRecord.object_type == "process_instance")
                & (AuditRecord.object_id == str(inst.id))
            )
            | ((AuditRecord.object_type == "human_task") & AuditRecord.object_id.in_(task_ids))
        )
        .order_by(AuditRecord.id)
    )
    return {
        "instance": (
            inst.state,
            inst.business_status,
            inst.return_count,
            {k: v for k, v in inst.data.items() if k != "business_key"},  # the runs' keys differ
        ),
        "timer": inst.next_timer_at,
        "tasks": [
            (t.element_id, t.name, t.state, t.outcome, t.comment, t.due_at, t.business_status)
            for t in tasks
        ],
        "history": [(e.action, e.element_id, e.outcome, e.comment, e.actor_name) for e in events],
        "audit": [(a.action, a.actor_name, a.message) for a in audit],
        "notices": sorted(
            (n.kind, n.message, n.user_id)
            for n in db.session.query(Notification).filter_by(instance_id=inst.id)
        ),
        "diagram": diagram_marks(inst),
    }


def test_loops_with_timers_multi_instance_and_sub_process(app, start, people, unpruned):
    app.config["MAX_RETURN_LOOPS"] = 100
    try:
        pruned, sizes = _loop_state_run(start, people, "loop:pruned")
        with unpruned():
            kept, kept_sizes = _loop_state_run(start, people, "loop:kept")
    finally:
        app.config["MAX_RETURN_LOOPS"] = 30
    seen, expected = _seen(pruned), _seen(kept)
    # 22 returns from the city, 8 + 5 in the sub-process
    assert seen["instance"][:3] == ("completed", "accepted", LOOPS + 13)
    assert seen["instance"][3]["title"] == f"第{LOOPS}稿修改4"
    assert seen == expected
    assert len(seen["audit"]) >= len(seen["history"]) // 2 > LOOPS
    assert {"fix", "notify", "sign", "review"} <= set(seen["diagram"]["completed"])
    # the state stays the size of about one loop (18-20 KB here, the sub-process's own loop
    # included); without pruning it grows with every loop (to 210 KB)
    outer, inner = sizes[:LOOPS], sizes[LOOPS:]
    assert max(outer) < 1.2 * outer[1], outer
    assert max(inner) < 1.2 * inner[1], inner
    assert kept_sizes[LOOPS - 1] > 8 * outer[-1], (kept_sizes, outer)
    assert kept_sizes[-1] > kept_sizes[LOOPS] + 3 * (inner[-1] - inner[0]), (kept_sizes, inner)


def _demo_loops(start, people, key: str, loops: int) -> ProcessInstance:
    instance = start("demo_two_tier", "410102", business_key=key)
    for k in range(loops):
        _do(people["clerk"], instance, "prepare", "submit", data={"title": f"第{k}稿"})
        if k % 5 == 4:  # now and then the city returns it
            _do(people["reviewer"], instance, "review", "approve", "同意")
            _do(people["city"], instance, "accept", "return", "市级退回")
        else:
            _do(people["reviewer"], instance, "review", "return", "县级退回")
    return instance


def _demo_finish(people, instance: ProcessInstance) -> None:
    _do(people["clerk"], instance, "prepare", "submit", data={"title": "定稿", "amount": 3})
    _do(people["reviewer"], instance, "review", "approve", "同意")
    _do(people["city"], instance, "accept", "accept", "接收")


def test_demo_through_25_loops_equal_to_the_unpruned_run(app, start, people, unpruned):
    sizes = {}
    pruned = _demo_loops(start, people, "demo:pruned", 25)
    sizes["pruned"] = _state_size(pruned)
    _demo_finish(people, pruned)
    with unpruned():
        kept = _demo_loops(start, people, "demo:kept", 25)
        sizes["kept"] = _state_size(kept)
        _demo_finish(people, kept)
    seen = _seen(pruned)
    assert seen == _seen(kept)
    assert seen["instance"] == ("completed", "accepted", 25, seen["instance"][3])
    assert seen["instance"][3]["title"] == "定稿"
    # 市级接收 ran only in loops cut from the tree before the last one: still marked done
    assert "accept" in seen["diagram"]["completed"]
    assert sizes["pruned"] < 6_000 < 20_000 < sizes["kept"], sizes


def test_a_state_saved_before_pruning_loads_and_shrinks_at_its_next_save(
    app, start, people, unpruned
):
    with unpruned():
        old = _demo_loops(start, people, "demo:old", 12)
    big = _state_size(old)
    assert big > 12_000
    assert len(load(db.session.get(ProcessInstance, old.id)).get_tasks()) > 40
    # the next step (as shipped) restores the old state and saves it pruned
    _do(people["clerk"], old, "prepare", "submit", data={"title": "改后"})
    assert _state_size(old) < big / 2
    _do(people["reviewer"], old, "review", "return", "再改")
    _demo_finish(people, old)
    seen = _seen(old)
    assert seen["instance"][:3] == ("completed", "accepted", 13)
    assert seen["instance"][3]["title"] == "定稿"
    history = [h[:3] for h in seen["history"]]
    assert history.count(("complete", "prepare", "submit")) == 14


def test_withdrawing_after_many_loops_restores_the_data_of_its_step(app, start, people):
    instance = _demo_loops(start, people, "demo:withdraw", 8)
    filled = _do(people["clerk"], instance, "prepare", "submit", data={"title": "第九稿"})
    returned = _do(people["reviewer"], instance, "review", "return", "第九次退回")
    withdraw(people["reviewer"], returned.id)
    db.session.commit()
    (again,) = _open(instance, "review")
    wf = load(db.session.get(ProcessInstance, instance.id))
    (task,) = [t for t in wf.get_tasks() if str(t.id) == again.spiff_task_id]
    # the reset step gets the data it had when it was reached: this round's submission
    assert task.data["title"] == "第九稿" and task.data["outcome"] == "submit"
    assert db.session.get(ProcessInstance, instance.id).return_count == 8
    assert filled.id < again.id


def test_a_pruned_instance_moves_to_a_new_version_and_finishes(app, start, people, make_user):
    from tests.engine.conftest import bpmn_bytes
    from webapp.engine import deploy_bpmn, migrate_instance, migration_problems

    instance = _demo_loops(start, people, "demo:migrate", 10)
    assert _state_size(instance) < 6_000
    edited = bpmn_bytes("demo_two_tier").replace(
        'name="县级审核"'.encode(), 'name="县级审核（新版）"'.encode()
    )
    deploy_bpmn(None, None, edited)
    db.session.commit()
    _do(people["clerk"], instance, "prepare", "submit", data={"title": "迁移前"})
    assert migration_problems(instance.id) == []
    migrate_instance(make_user("admin", "410000"), instance.id)
    db.session.commit()
    (task,) = _open(instance, "review")
    assert task.name == "县级审核（新版）"
    _do(people["reviewer"], instance, "review", "return", "迁移后退回")
    _demo_finish(people, instance)
    seen = _seen(instance)
    assert seen["instance"][:3] == ("completed", "accepted", 11)
    assert db.session.get(ProcessInstance, instance.id).definition.version == 2
    assert [h[0] for h in seen["history"]].count("migrate") == 1
