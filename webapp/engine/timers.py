"""The timer worker: fire due BPMN timers, deliver pending messages.

``run_timers`` is one pass; ``flask workflow run-timers`` runs it once, ``flask workflow worker``
in a loop.  Each due instance is taken with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so several workers never fire the same timer twice (a second worker skips the locked row; the
optimistic version check catches anything else).  Each instance runs in its own SAVEPOINT: a
failing timer puts that instance in error and the pass goes on.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select

from webapp.core import audit, clock
from webapp.core.errors import DomainError
from webapp.engine.messages import deliver_messages
from webapp.engine.models import InstanceState, ProcessInstance
from webapp.engine.runtime import advance, catch_up_timers, history
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
        .order_by(ProcessInstance.next_timer_at)
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
            audit.record(
                "workflow.timer",
                org=instance.org,
                object_type="process_instance",
                object_id=instance.id,
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
