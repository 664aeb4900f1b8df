"""Messages between instances (SpiffWorkflow has no routing of its own).

Design: a throwing message event (or send task) evaluates its payload expression
(``spiffworkflow:messagePayload`` on the message event definition) to a dict that names the
receiving instance by business key under ``"target"``, for example a county's submission::

    {"target": "quarterly:" + parent_org_code + ":" + period, "county": org_code, ...}

The engine stores the message (:class:`WorkflowMessage`) and, in the same transaction, delivers
it to the running instance with that business key that is waiting for a message of that name.
When the receiver is not waiting yet (the city has not reached its collecting step), or another
request holds it, the message stays pending and is delivered as soon as the receiver waits for
it: after each of the receiver's saves and on every timer-worker pass.  Order is preserved.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from sqlalchemy import select

from webapp.core import clock
from webapp.core.errors import Conflict, DomainError
from webapp.engine.models import InstanceState, ProcessInstance, WorkflowMessage
from webapp.extensions import db

log = logging.getLogger(__name__)

_MAX_ROUNDS = 20
_depth: ContextVar[int] = ContextVar("engine_message_depth", default=0)


def route_events(sender: ProcessInstance, events: list[Any]) -> None:
    targets = set()
    for event in events:
        definition = event.event_definition
        if not isinstance(definition, MessageEventDefinition):
            continue
        payload = event.payload if isinstance(event.payload, dict) else {"value": event.payload}
        target = payload.get("target")
        if not target:
            log.warning("message %s from instance %s has no target", definition.name, sender.id)
            continue
        db.session.add(
            WorkflowMessage(
                name=definition.name,
                target_business_key=str(target),
                payload=payload,
                sender_instance_id=sender.id,
                created_at=clock.now(),
            )
        )
        targets.add(str(target))
    db.session.flush()
    if targets:
        deliver_messages(targets)


def deliver_messages(business_keys: set[str] | None = None) -> int:
    """Deliver pending messages (to the given receivers, or all); returns how many."""
    depth = _depth.get()
    if depth > _MAX_ROUNDS:
        log.warning("message delivery nested too deeply; the rest stays pending")
        return 0
    token = _depth.set(depth + 1)
    try:
        return _deliver(business_keys)
    finally:
        _depth.reset(token)


def _deliver(business_keys: set[str] | None) -> int:
    from webapp.engine.runtime import advance, audit_instance, load

    stmt = select(WorkflowMessage).where(WorkflowMessage.delivered_at.is_(None))
    if business_keys is not None:
        stmt = stmt.where(WorkflowMessage.target_business_key.in_(business_keys))
    stmt = stmt.order_by(WorkflowMessage.id)
    if db.session.get_bind().dialect.name == "postgresql":
        # Claimed: a second timer worker (or a request) skips what another is delivering, and
        # once that one commits the message is no longer pending (READ COMMITTED rechecks it).
        stmt = stmt.with_for_update(skip_locked=True)
    pending = db.session.execute(stmt).scalars().all()
    delivered = 0
    for message in pending:
        receivers = db.session.execute(
            select(ProcessInstance).where(
                ProcessInstance.business_key == message.target_business_key,
                ProcessInstance.state == InstanceState.RUNNING.value,
            )
        ).scalars()
        for receiver in receivers:
            wf = load(receiver)
            waiting = _waiting_for(wf, message.name)
            if waiting is None:
                continue
            event = BpmnEvent(
                waiting, payload=dict(message.payload), correlations=dict(wf.correlations)
            )

            def mutate(w: Any, event: BpmnEvent = event) -> None:
                w.send_event(event)

            savepoint = db.session.begin_nested()
            try:
                # Marked first, so that the receiver's own save does not deliver it again.
                message.delivered_at = clock.now()
                message.receiver_instance_id = receiver.id
                db.session.flush()
                advance(receiver, None, mutate, workflow=wf)
                audit_instance(
                    "workflow.message",
                    receiver,
                    after={
                        "message": message.name,
                        "from_instance": message.sender_instance_id,
                        "business_key": receiver.business_key,
                    },
                )
                savepoint.commit()
            except (Conflict, DomainError) as err:
                savepoint.rollback()
                message.last_error = err.message
                continue
            delivered += 1
            break
    db.session.flush()
    return delivered


def _waiting_for(wf: Any, name: str) -> Any:
    for task in wf.event_manager.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition) and definition.name == name:
            return definition
    return None


def deliver_to(instance: ProcessInstance) -> int:
    """Deliver what waits for ``instance`` (called after it saved and may now be waiting)."""
    exists = db.session.execute(
        select(WorkflowMessage.id)
        .where(
            WorkflowMessage.delivered_at.is_(None),
            WorkflowMessage.target_business_key == instance.business_key,
        )
        .limit(1)
    ).first()
    return deliver_messages({instance.business_key}) if exists else 0
