"""The timer worker: fire due BPMN timers in due order, deliver pending messages.

``run_timers`` is one pass; ``flask workflow run-timers`` runs it once, ``flask workflow worker``
in a loop.  Each due instance is taken with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so several workers never fire the same timer twice (a second worker skips the locked row; the
optimistic version check catches anything else).  Each instance runs in its own SAVEPOINT: a
failing timer puts that instance in error and the pass goes on.

A cycle timer (``R<n>/<interval>``) that is many firings behind (the worker was stopped, or the
clock jumped) fires once, for its latest due firing, and then waits for the next future one: it
never replays the backlog (replaying an every-second cycle after a pause took passes of a minute
and grew each instance's state from 18 KB to 800 KB).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from sqlalchemy import select

from webapp.core import clock
from webapp.core.errors import DomainError
from webapp.engine.messages import deliver_messages
from webapp.engine.models import InstanceState, ProcessInstance
from webapp.engine.parsing import _ClockDatetime
from webapp.engine.runtime import advance, audit_instance, history, timer_due
from webapp.extensions import db

log = logging.getLogger(__name__)


def due_instances(now: datetime, limit: int = 50) -> list[ProcessInstance]:
    stmt = (
        select(ProcessInstance)
        .where(
            ProcessInstance.state == InstanceState.RUNNING.value,
            ProcessInstance.next_timer_at.is_not(None),
            ProcessInstance.next_timer_at <= now,
        )
        # due order, then the instance's age: when more than ``limit`` fall due at the same
        # second (every unit's report at a quarter's deadline), a pass takes the same ones on
        # either database, and the next pass the rest
        .order_by(ProcessInstance.next_timer_at, ProcessInstance.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(db.session.execute(stmt).scalars())


def run_timers(now: datetime | None = None, limit: int = 50) -> dict[str, int]:
    """One pass: fire the timers due by ``now`` (default: the clock), deliver messages.

    Runs in the caller's transaction (the CLI commits it).  Returns counts.
    """
    now = now or clock.now()
    counts = {"instances": 0, "errors": 0, "messages": 0}
    for instance in due_instances(now, limit):
        savepoint = db.session.begin_nested()
        try:
            history(instance, "timer", None, comment="定时器到期")

            def steps(wf: Any) -> None:
                catch_up_timers(wf, now)
                wf.do_engine_steps()

            result = advance(instance, None, lambda w: None, steps=steps)
            audit_instance(
                "workflow.timer",
                instance,
                after={"business_key": instance.business_key, "state": instance.state},
            )
            savepoint.commit()
        except DomainError as err:
            savepoint.rollback()
            log.warning("timer pass skipped instance %s: %s", instance.id, err.message)
            continue
        counts["instances"] += 1
        if result is None:
            counts["errors"] += 1
    counts["messages"] = deliver_messages()
    return counts


# Timers in due order ---------------------------------------------------------------------------
_timer_now: ContextVar[datetime | None] = ContextVar("engine_timer_now", default=None)


def _clock_now() -> datetime:
    return _timer_now.get() or clock.now()


def skip_missed_cycles(wf: Any, now: datetime) -> int:
    """Move each cycle timer that is several firings behind ``now`` to its latest due firing
    (which then fires once); returns the number of firings skipped."""
    skipped = 0
    for task in list(wf.event_manager.tasks.values()):
        if not isinstance(
            getattr(task.task_spec, "event_definition", None), CycleTimerEventDefinition
        ):
            continue
        value = task._get_internal_data("event_value")
        if not isinstance(value, dict) or not value.get("cycles"):
            continue
        interval = timedelta(seconds=value["duration"])
        due = datetime.fromisoformat(value["next"])
        if interval <= timedelta(0) or due > now:
            continue
        behind = (now - due) // interval
        cycles = value["cycles"]
        if cycles > 0:
            behind = min(behind, cycles - 1)
        if behind <= 0:
            continue
        task._set_internal_data(
            event_value={
                **value,
                "next": (due + behind * interval).isoformat(),
                "cycles": cycles - behind if cycles > 0 else cycles,
            }
        )
        log.info("cycle timer %s was behind: %d firings skipped", task.task_spec.bpmn_id, behind)
        skipped += behind
    return skipped


def catch_up_timers(wf: Any, now: datetime) -> int:
    """Fire every timer due by ``now`` in due order (SpiffWorkflow fires overdue ones in
    registration order: a late deadline would cancel a reminder that was due first); a cycle
    fires once however far behind it is."""
    fired = 0
    for _ in range(100):
        skip_missed_cycles(wf, now)
        due = sorted(d for d in (timer_due(t) for t in wf.event_manager.tasks.values()) if d)
        due = [d for d in due if d <= now]
        if not due:
            break
        token = _timer_now.set(due[0] + timedelta(milliseconds=1))
        try:
            wf.refresh_timers()
            wf.do_engine_steps()
        finally:
            _timer_now.reset(token)
        fired += 1
    return fired


_ClockDatetime.now_source = staticmethod(_clock_now)
