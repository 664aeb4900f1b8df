"""Instance operations: start (idempotent by business key), retry after an error, cancel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from webapp.core import clock
from webapp.core.errors import Conflict, InvalidInput, PermissionDenied
from webapp.core.models import Org, User
from webapp.core.operations import get_row
from webapp.core.permissions import can
from webapp.core.states import ProcessStatus
from webapp.engine import jsonschema, notices, spiff
from webapp.engine.definitions import latest_definition, specs_for
from webapp.engine.messages import deliver_messages
from webapp.engine.models import (
    OPEN_STATES,
    HumanTask,
    InstanceState,
    ProcessDefinition,
    ProcessInstance,
    TaskState,
    WorkflowMessage,
)
from webapp.engine.registry import ENGINE_SUBJECT, START_ADMISSIONS, START_FORMS, fixed_names
from webapp.engine.runtime import (
    advance,
    audit_instance,
    history,
    history_many,
    rearm_for_subject,
    refresh_due_times,
    script_engine,
)
from webapp.extensions import db

INSTANCE_MISSING = "流程实例不存在。"


def get_instance(instance_id: int) -> ProcessInstance:
    return get_row(ProcessInstance, instance_id, INSTANCE_MISSING)


def find_instance(process_key: str, business_key: str) -> ProcessInstance | None:
    return db.session.execute(
        select(ProcessInstance).where(
            ProcessInstance.process_key == process_key,
            ProcessInstance.business_key == business_key,
        )
    ).scalar_one_or_none()


def _check_start(actor: User | None, org: Org) -> None:
    if actor is None or can(actor, "workflow.admin"):
        return
    if not can(actor, "workflow.start", org):
        raise PermissionDenied("您不能为该单位发起流程。")


def _check_start_data(process_key: str, data: dict[str, Any]) -> None:
    start_form = START_FORMS.get(process_key)
    if start_form is None:
        return
    problems = jsonschema.validate(start_form.schema, data)
    if problems:
        raise InvalidInput(
            f"流程 {process_key} 的启动数据有误：" + "；".join(problems.values()),
            details=problems,
        )


def start_requested(
    actor: User, process_key: str, org: Org, business_key: str, data: dict[str, Any]
) -> ProcessInstance:
    """A start asked for through ``POST /api/v1/instances``: only a process with a registered
    start form and start admission (the check of the business object its data names), by a
    user who may start processes for ``org``, with data its start form accepts."""
    if process_key not in START_FORMS:
        raise InvalidInput(
            f"流程“{process_key}”没有登记启动表单，不能通过接口发起。",
            details={"process_key": "没有登记启动表单"},
        )
    admit = START_ADMISSIONS.get(process_key)
    if admit is None:
        raise PermissionDenied(f"流程“{process_key}”由系统按业务自动发起，不能通过接口发起。")
    _check_start(actor, org)
    latest_definition(process_key)
    _check_start_data(process_key, data)
    admit(actor, org, data)
    return start_instance(actor, process_key, org, business_key, data)


class Start(NamedTuple):
    """One instance of :func:`start_instances`: for ``org``, under ``business_key``, with
    ``data`` (plain JSON, as for :func:`start_instance`)."""

    org: Org
    business_key: str
    data: dict[str, Any] | None = None


def start_instance(
    actor: User | None,
    process_key: str,
    org: Org,
    business_key: str,
    data: dict[str, Any] | None = None,
    *,
    existing_ok: bool = False,
) -> ProcessInstance:
    """Start the latest version of ``process_key`` for ``org``; runs to the first wait state.

    ``data`` (plain JSON) becomes the initial task data; the engine adds ``org_code``,
    ``business_key`` and ``process_key``.  Where the process has a registered start form, the
    data is validated against it and its fields, with the three above, become the instance's
    fixed ``subject``.  ``actor`` None means the system (a timer, another feature's job).

    A business key already used for this process raises Conflict, also when a concurrent start
    of the same key wins (the unique constraint; nothing of this start is kept).  With
    ``existing_ok`` the instance with that key is returned instead, started first if there is
    none: idempotent, also under concurrency (the periods' opening, the schedulers).
    """
    if existing_ok:
        existing = find_instance(process_key, business_key)
        if existing is not None:
            return existing
    _check_start(actor, org)
    _check_key(business_key)
    if find_instance(process_key, business_key) is not None:
        raise Conflict(f"业务编号 {business_key} 的流程已存在。")
    definition = latest_definition(process_key)
    instance, wf = _new_instance(actor, definition, Start(org, business_key, data))
    savepoint = db.session.begin_nested()
    try:
        db.session.add(instance)
        db.session.flush()
    except IntegrityError as err:  # a concurrent start of the same business key won
        savepoint.rollback()
        winner = find_instance(process_key, business_key)
        if winner is None:  # pragma: no cover - the winner rolled back
            raise Conflict("流程启动冲突，请重试。") from err
        if not existing_ok:
            raise Conflict(f"业务编号 {business_key} 的流程已存在。") from err
        return winner
    savepoint.commit()
    _record_starts(actor, definition, [instance])
    deliver_waiting([(instance, advance(instance, actor, lambda w: None, workflow=wf, new=True))])
    return instance


def start_instances(
    actor: User | None,
    process_key: str,
    starts: Sequence[Start],
    *,
    existing_ok: bool = False,
) -> list[ProcessInstance]:
    """:func:`start_instance` for each of ``starts`` (in their order; the same checks, rows,
    history, audit records, tasks and notices), in one batch: the definition and the existing
    instances of the keys read once, the new instances inserted together, their history in one
    statement, and the holders of all their first tasks told with one query and one INSERT.
    Opening a period starts 62 units' instances so; only what each instance must have (its
    steps saved, its task rows, its audit record) remains per unit.

    Without ``existing_ok`` a key already used raises Conflict before anything is started.  A
    concurrent start of one of the keys that wins between the look-up and the insert: nothing
    of the batch insert is kept and the starts are made one by one, as :func:`start_instance`
    makes them (Conflict, or with ``existing_ok`` the winner).
    """
    keys = [s.business_key for s in starts]
    for key in keys:
        _check_key(key)
    if len(set(keys)) != len(keys):
        raise InvalidInput("同一批发起的流程业务编号重复。")
    existing = _existing(process_key, keys)
    if existing and not existing_ok:
        raise Conflict(f"业务编号 {next(iter(existing))} 的流程已存在。")
    todo = [s for s in starts if s.business_key not in existing]
    for start in todo:
        _check_start(actor, start.org)
    if not todo:
        return [existing[key] for key in keys]
    definition = latest_definition(process_key)
    made = [_new_instance(actor, definition, start) for start in todo]
    savepoint = db.session.begin_nested()
    try:
        db.session.add_all([instance for instance, _ in made])
        db.session.flush()
    except IntegrityError:  # a concurrent start of one of the keys won: one by one
        savepoint.rollback()
        return [
            start_instance(
                actor, process_key, s.org, s.business_key, s.data, existing_ok=existing_ok
            )
            for s in starts
        ]
    savepoint.commit()
    _record_starts(actor, definition, [instance for instance, _ in made])
    with notices.told_together():
        stepped = [
            (instance, advance(instance, actor, lambda w: None, workflow=wf, new=True))
            for instance, wf in made
        ]
    deliver_waiting(stepped)
    started = {instance.business_key: instance for instance, _ in made}
    return [existing.get(key) or started[key] for key in keys]


def deliver_waiting(started: list[tuple[ProcessInstance, Any]]) -> int:
    """Deliver the messages sent to new instances' business keys before they existed, now that
    they wait for them (``started``: each instance with its workflow after its first steps,
    None when they failed): one look-up for all of them.  How many were delivered."""
    keys = [i.business_key for i, wf in started if wf is not None and wf.event_manager.tasks]
    if not keys:
        return 0
    waiting = set(
        db.session.execute(
            select(WorkflowMessage.target_business_key)
            .where(
                WorkflowMessage.delivered_at.is_(None),
                WorkflowMessage.target_business_key.in_(keys),
            )
            .distinct()
        ).scalars()
    )
    return deliver_messages(waiting) if waiting else 0


def _check_key(business_key: str) -> None:
    if not business_key or len(business_key) > 200:
        raise InvalidInput("业务编号不能为空且不超过200个字符。")


def _existing(process_key: str, business_keys: list[str]) -> dict[str, ProcessInstance]:
    """The instances of ``process_key`` with these business keys, in one query."""
    found: dict[str, ProcessInstance] = {}
    for chunk in range(0, len(business_keys), 500):  # well under any bound-parameter limit
        rows = db.session.execute(
            select(ProcessInstance).where(
                ProcessInstance.process_key == process_key,
                ProcessInstance.business_key.in_(business_keys[chunk : chunk + 500]),
            )
        ).scalars()
        found.update((row.business_key, row) for row in rows)
    return found


def _new_instance(
    actor: User | None, definition: ProcessDefinition, start: Start
) -> tuple[ProcessInstance, Any]:
    """The instance row of ``start`` (not yet added) and its new workflow, data checked."""
    process_key = definition.key
    initial = dict(start.data or {})
    _check_start_data(process_key, initial)
    parsed = specs_for(definition)
    wf = spiff.new_workflow(parsed.spec, parsed.subprocess_specs, script_engine())
    initial.update(
        org_code=start.org.code, business_key=start.business_key, process_key=process_key
    )
    wf.task_tree.data.update(initial)
    now = clock.now()
    instance = ProcessInstance(
        definition_id=definition.id,
        process_key=process_key,
        org_id=start.org.id,
        business_key=start.business_key,
        data=initial,
        subject={k: v for k, v in initial.items() if k in fixed_names(process_key)},
        state_json=spiff.serialize(wf),
        state=InstanceState.RUNNING.value,
        version=1,
        return_count=0,
        started_by_id=actor.id if actor is not None else None,
        started_at=now,
        updated_at=now,
    )
    return instance, wf


def _record_starts(
    actor: User | None, definition: ProcessDefinition, started: list[ProcessInstance]
) -> None:
    """The history lines of the started instances (one statement) and an audit record each."""
    comment = f"{definition.name}（第 {definition.version} 版）"
    history_many([(instance, "start", actor, comment) for instance in started])
    for instance in started:
        audit_instance(
            "workflow.start",
            instance,
            actor,
            after={
                "process": definition.key,
                "version": definition.version,
                "business_key": instance.business_key,
            },
        )


def retry_instance(actor: User, instance_id: int) -> ProcessInstance:
    """Resume an instance in error from its last good state (after the cause is fixed)."""
    if not can(actor, "workflow.admin"):
        raise PermissionDenied("只有系统管理员可以重试流程。")
    instance = get_instance(instance_id)
    if instance.state != InstanceState.ERROR.value:
        raise Conflict("该流程不在异常状态。")
    before = instance.error
    history(instance, "retry", actor, comment=before)
    audit_instance("workflow.retry", instance, actor, before={"error": before})
    advance(instance, actor, lambda w: None)
    return instance


def cancel_instance(actor: User, instance_id: int, reason: str) -> ProcessInstance:
    if not can(actor, "workflow.admin"):
        raise PermissionDenied("只有系统管理员可以取消流程。")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写取消原因。", details={"reason": "必填"})
    instance = get_instance(instance_id)
    if instance.state in (InstanceState.COMPLETED.value, InstanceState.CANCELLED.value):
        raise Conflict("流程已结束。")
    result = db.session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == instance.id, ProcessInstance.version == instance.version)
        .values(
            state=InstanceState.CANCELLED.value,
            version=instance.version + 1,
            next_timer_at=None,
            business_status=ProcessStatus.CANCELLED.value,
            updated_at=clock.now(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict("流程已被他人修改，请刷新。")
    db.session.execute(
        update(HumanTask)
        .where(HumanTask.instance_id == instance.id, HumanTask.state.in_(OPEN_STATES))
        .values(state=TaskState.CANCELLED.value)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(instance)
    notices.clear_done(instance)  # nothing left to act on: its notices clear
    history(instance, "cancel", actor, comment=reason)
    audit_instance("workflow.cancel", instance, actor, message=reason)
    return instance


def change_subject(
    actor: User, instance: ProcessInstance, changes: dict[str, Any], *, reason: str
) -> ProcessInstance:
    """The one way a fixed subject value changes (延期: a new due time), for the feature that
    owns the business object to call after its own permission check.

    The live tasks' data take the new values, waiting timers whose expression names a changed
    value are armed again, the open tasks' due times follow; history and audit record who,
    why, before and after.  The engine's own names (org, business key) never change.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写调整原因。", details={"reason": "必填"})
    subject = dict(instance.subject or {})
    allowed = set(subject) - ENGINE_SUBJECT
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput(f"不能调整的流程数据：{'、'.join(unknown)}")
    if instance.state != InstanceState.RUNNING.value:
        raise Conflict("流程已结束或处于异常状态，不能调整。")
    before = {k: subject[k] for k in changes}
    new_subject = {**subject, **changes}
    instance.subject = new_subject  # what advance() checks the live tasks against
    wf = advance(
        instance,
        actor,
        lambda w: rearm_for_subject(w, changes),
        extra={"subject": new_subject},
    )
    if wf is None:  # the steps after the change failed: the instance is in error, audited
        raise Conflict(f"调整后流程无法继续：{instance.error}")
    refresh_due_times(instance, wf)
    history(instance, "subject_change", actor, comment=reason)
    audit_instance(
        "workflow.subject_change",
        instance,
        actor,
        before=before,
        after=dict(changes),
        message=reason,
    )
    return instance
