"""撤回 and the waiting events of the steps it removes (fixtures/withdraw_timers.bpmn).

SpiffWorkflow's ``reset_from_task_id`` drops the removed steps from the task tree but leaves
their boundary timers and message subscriptions in the event manager; the withdrawal's own
``refresh_timers`` then put the instance in error.  ``resets.reset_to`` drops exactly those and
keeps the events of the steps that remain (the reopened step's own timer, a parallel branch's).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from tests.engine.conftest import open_task
from webapp.core import clock
from webapp.engine import complete_task, run_timers, withdraw
from webapp.engine.models import HumanTask, Notification, ProcessInstance
from webapp.engine.resets import drop_stale_events, reset_to
from webapp.engine.runtime import load, ready_user_tasks
from webapp.extensions import db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=clock.UTC)


@pytest.fixture
def flow(start, make_user):
    clock.set_now(T0)
    users = {"clerk": make_user("clerk", "410102"), "reviewer": make_user("reviewer", "410102")}
    return start("withdraw_timers", "410102"), users


def _instance(instance: ProcessInstance) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance.id)


def _open(instance: ProcessInstance) -> dict[str, HumanTask]:
    db.session.expire_all()
    rows = db.session.query(HumanTask).filter(
        HumanTask.instance_id == instance.id, HumanTask.state.in_(("ready", "claimed"))
    )
    return {row.element_id: row for row in rows}


def _waiting(wf) -> set[str]:
    """The bpmn ids of the tasks in the event manager."""
    return {t.task_spec.bpmn_id for t in wf.event_manager.tasks.values()}


def _messages(wf) -> set[str]:
    """The messages the workflow says it waits for (what delivery matches against)."""
    return {e.name for e in wf.waiting_events() if e.event_type == "MessageEventDefinition"}


def _reminders(user) -> list[str]:
    rows = db.session.query(Notification).filter_by(user_id=user.id, kind="reminder")
    return [n.message for n in rows]


def test_withdraw_drops_the_next_steps_timers_and_keeps_the_others(flow):
    instance, u = flow
    clock.set_now(T0 + timedelta(hours=1))
    first = open_task(instance)
    complete_task(u["clerk"], first.id, "submit")
    db.session.commit()
    second = _open(instance)["second"]
    assert _instance(instance).next_timer_at == T0 + timedelta(hours=13)  # second's reminder

    clock.set_now(T0 + timedelta(hours=2))
    reopened = withdraw(u["clerk"], first.id)
    db.session.commit()
    state = _instance(instance)
    assert (state.state, state.error) == ("running", None)
    assert reopened.element_id == "first" and reopened.state == "ready"
    assert db.session.get(HumanTask, second.id).state == "cancelled"
    # The reopened step's reminder restarts with it; second's (at T0+13h) is gone.
    assert state.next_timer_at == T0 + timedelta(days=1, hours=2)

    clock.set_now(T0 + timedelta(hours=14))
    assert run_timers() == {"instances": 0, "errors": 0, "messages": 0}
    assert _reminders(u["reviewer"]) == []

    clock.set_now(T0 + timedelta(days=1, hours=3))
    assert run_timers()["errors"] == 0
    db.session.commit()
    [reminder] = _reminders(u["clerk"])
    assert "请尽快填报" in reminder
    assert _reminders(u["reviewer"]) == []

    clock.set_now(T0 + timedelta(days=2, hours=1))  # the parallel branch's timer still fires
    assert run_timers()["errors"] == 0
    db.session.commit()
    assert set(_open(instance)) == {"first", "third"}

    complete_task(u["clerk"], _open(instance)["first"].id, "submit")
    complete_task(u["reviewer"], _open(instance)["second"].id, "approve")
    complete_task(u["clerk"], _open(instance)["third"].id, "done")
    db.session.commit()
    assert _instance(instance).state == "completed"


def test_reset_to_unregisters_the_removed_steps_message_and_timer(flow):
    instance, u = flow
    first = open_task(instance)
    complete_task(u["clerk"], first.id, "submit")
    db.session.commit()
    instance = _instance(instance)
    wf = load(instance)
    assert _waiting(wf) == {"keep", "second_remind", "second_recall"}
    assert _messages(wf) == {"wt_recall"}
    assert drop_stale_events(wf) == 0  # a loaded workflow has no stale entry

    # The trap itself: SpiffWorkflow's reset leaves both of second's events registered.
    raw = load(instance)
    raw.reset_from_task_id(UUID(first.spiff_task_id))
    assert {"second_remind", "second_recall"} <= _waiting(raw)

    assert _messages(raw) == {"wt_recall"}  # a message would be "delivered" to a removed step

    reset_to(wf, UUID(first.spiff_task_id))
    assert _waiting(wf) == {"keep", "first_remind"}
    assert _messages(wf) == set()
    wf.do_engine_steps()  # refresh_timers over what is left: no orphan to update
    assert [t.task_spec.bpmn_id for t in ready_user_tasks(wf)] == ["first"]


def test_every_reset_in_the_engine_goes_through_resets():
    """A new ``reset_from_task_id`` elsewhere would leave the removed steps' events behind."""
    engine = Path(__file__).resolve().parents[2] / "webapp"
    callers = sorted(
        str(path.relative_to(engine))
        for path in engine.rglob("*.py")
        if "static" not in path.parts and re.search(r"\.reset_from_task_id\(", path.read_text())
    )
    assert callers == ["engine/resets.py"]
