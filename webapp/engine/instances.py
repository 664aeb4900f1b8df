"""Instance operations: start (idempotent by business key), retry after an error, cancel."""

from __future__ import annotations

from typing import Any

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
from webapp.engine.models import OPEN_STATES, HumanTask, InstanceState, ProcessInstance, TaskState
from webapp.engine.registry import ENGINE_SUBJECT, START_ADMISSIONS, START_FORMS, fixed_names
from webapp.engine.runtime import (
    advance,
    audit_instance,
    history,
    rearm_for_subject,
    refresh_due_times,
    script_engine,
)
from webapp.extensions import db


def get_instance(instance_id: int) -> ProcessInstance:
    return get_row(ProcessInstance, instance_id, "流程实例不存在。")


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
    if not business_key or len(business_key) > 200:
        raise InvalidInput("业务编号不能为空且不超过200个字符。")
    if find_instance(process_key, business_key) is not None:
        raise Conflict(f"业务编号 {business_key} 的流程已存在。")
    definition = latest_definition(process_key)
    initial = dict(data or {})
    _check_start_data(process_key, initial)
    parsed = specs_for(definition)
    wf = spiff.new_workflow(parsed.spec, parsed.subprocess_specs, script_engine())
    initial.update(org_code=org.code, business_key=business_key, process_key=process_key)
    wf.task_tree.data.update(initial)
    now = clock.now()
    instance = ProcessInstance(
        definition_id=definition.id,
        process_key=process_key,
        org_id=org.id,
        business_key=business_key,
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
    history(instance, "start", actor, comment=f"{definition.name}（第 {definition.version} 版）")
    audit_instance(
        "workflow.start",
        instance,
        actor,
        after={"process": process_key, "version": definition.version, "business_key": business_key},
    )
    advance(instance, actor, lambda w: None, workflow=wf)
    return instance


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
