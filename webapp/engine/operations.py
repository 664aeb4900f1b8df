"""Task operations: 签收 claim, 取消签收 unclaim, 办理 complete, 撤回 withdraw, 转办 transfer,
催办 remind, 抄送 cc, and the administrator's reassign.

Each takes the acting user, checks the task's state and the user's right to it (candidate role
in the candidate org, or being its assignee) before anything reaches SpiffWorkflow, writes the
history and the audit record, flushes and never commits.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from flask import current_app
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import bindparam, literal, select, update
from sqlalchemy.orm import defer, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from webapp.core import audit, clock
from webapp.core.errors import Conflict, Hidden, InvalidInput, NotFound, PermissionDenied
from webapp.core.models import Org, Role, User
from webapp.core.operations import users_in_role
from webapp.core.permissions import can
from webapp.engine import jsonschema, notices
from webapp.engine.models import (
    OPEN_STATES,
    HumanTask,
    InstanceState,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    TaskCopy,
    TaskState,
)
from webapp.engine.notices import about, actor_mention, notify
from webapp.engine.registry import (
    FORMS,
    RESERVED_KEYS,
    SUBJECT_VIEWERS,
    WITHDRAWABLE_OPERATIONS,
    declared_fields,
    registered_schema,
)
from webapp.engine.resets import reset_to
from webapp.engine.runtime import CONFLICT_MESSAGE, advance, history, load
from webapp.extensions import db, execute_plain, set_loaded

#: Outcome values that send the work back (comment required, loop counted).
RETURN_OUTCOMES = frozenset({"return", "reject"})


#: What every task operation reads besides the task, loaded with it in one statement: its
#: instance (state, subject), the instance's org (the audit record's org; the next step's lane
#: ``@self`` or ``@parent`` resolved by its id and ``parent_id``: the units above are not read,
#: a lane ``@grandparent`` or ``@province`` reads them when it is reached), and the definition
#: (the spec cache's key; the BPMN bytes only if the cache has to parse them).
TASK_LOAD = (
    joinedload(HumanTask.instance).options(
        joinedload(ProcessInstance.org),
        joinedload(ProcessInstance.definition).defer(ProcessDefinition.content),
    ),
)


TASK_MISSING = "任务不存在。"


@functools.cache
def _task_statement() -> Any:
    """The task with :data:`TASK_LOAD`'s rows as four entities of one statement, built once
    (a statement built per call is keyed again for SQLAlchemy's statement cache on every
    call).  Four plain entities, not joined eager loads: the ORM sets up its eager loaders'
    row processing on every execution, which cost more than the rows."""
    return (
        select(HumanTask, ProcessInstance, Org, ProcessDefinition)
        .join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
        .join(Org, ProcessInstance.org_id == Org.id)
        .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
        .options(defer(ProcessDefinition.content))
        .where(HumanTask.id == bindparam("task_id"))
    )


def get_task(task_id: int, actor: User | None = None) -> HumanTask:
    """The task, its instance, the instance's org and definition (:data:`TASK_LOAD`); with
    ``actor``, only if they may see it (checked before anything about its state is told: to
    another org's user a task they may not see answers as a missing one)."""
    row = db.session.execute(_task_statement(), {"task_id": task_id}).first()
    if row is None:
        raise NotFound(TASK_MISSING)
    task, instance, org, definition = row
    # the relationships as loaded (no lazy load when they are read)
    set_committed_value(task, "instance", instance)
    set_committed_value(instance, "org", org)
    set_committed_value(instance, "definition", definition)
    if task.candidate_org_id == org.id:  # the common lane @self: the unit is at hand
        set_committed_value(task, "candidate_org", org)
    if actor is not None and not can_view(actor, task):
        raise Hidden(TASK_MISSING, action="task.view")
    return task


def is_candidate(user: User, task: HumanTask) -> bool:
    return user.org_id == task.candidate_org_id and task.candidate_role in user.roles


def can_work(user: User, task: HumanTask) -> bool:
    """May ``user`` act on this open task (claim, complete)?"""
    if task.state == TaskState.CLAIMED.value:
        return task.assignee_id == user.id
    return is_candidate(user, task) or task.assignee_id == user.id


def can_view(user: User, task: HumanTask) -> bool:
    """Candidates, assignee, completer, people copied, the instance's org and those above it."""
    if is_candidate(user, task) or can(user, "workflow.admin"):  # the cheaper test first
        return True
    if user.id in (task.assignee_id, task.completed_by_id, task.instance.started_by_id):
        return True
    if can(user, "workflow.view", task.instance.org):
        return True
    return (
        db.session.execute(
            select(TaskCopy.id).where(
                TaskCopy.user_id == user.id, TaskCopy.task_id.in_(_instance_task_ids(task))
            )
        ).first()
        is not None
    )


def may_view_subject(user: User, instance: ProcessInstance) -> bool:
    """May ``user`` see what ``instance`` is about?  The feature's rule (its report's,
    publication's, assessment's org subtree), else ``workflow.view`` on the instance's org."""
    if not user.is_enabled:
        return False
    if can(user, "workflow.admin"):
        return True
    rule = SUBJECT_VIEWERS.get(instance.process_key)
    if rule is not None:
        return rule(user, instance)
    return can(user, "workflow.view", instance.org)


def _instance_task_ids(task: HumanTask) -> Any:
    return select(HumanTask.id).where(HumanTask.instance_id == task.instance_id)


#: The actor's own earlier action, from another window or tab (not "someone else").
DONE_BY_YOU = "您已办理过该步骤（可能在另一窗口），无需重复办理，请刷新。"


def _require_open(task: HumanTask, actor: User) -> None:
    if task.state not in OPEN_STATES:
        if task.state == TaskState.COMPLETED.value and task.completed_by_id == actor.id:
            raise Conflict(DONE_BY_YOU)
        raise Conflict(CONFLICT_MESSAGE)
    if task.instance.state != InstanceState.RUNNING.value:
        raise Conflict(f"流程当前状态为“{task.instance.state_label}”，不能办理。")


def _require_work(actor: User, task: HumanTask) -> None:
    if not can_work(actor, task):
        if task.state == TaskState.CLAIMED.value and is_candidate(actor, task):
            raise PermissionDenied("该任务已由他人签收。")
        raise PermissionDenied("您不是该任务的办理人。")


def _audit(action: str, actor: User | None, task: HumanTask, **kwargs: Any) -> None:
    audit.record_on(action, task, actor, org=task.instance.org, **kwargs)


@functools.cache
def _transition_statement(from_states: tuple[str, ...]) -> Any:
    """The conditional UPDATE of a task row from ``from_states``, built once per tuple of
    states (the SET clause is the values given).  The states are bound one by one: a bound
    list would be expanded by SQLAlchemy on every execution."""
    table = HumanTask.__table__
    return (
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.state.in_([literal(state) for state in from_states]),
        )
        .execution_options(synchronize_session=False)
    )


def _transition(task: HumanTask, from_states: tuple[str, ...], **values: Any) -> None:
    """Conditional UPDATE: only one of two concurrent requests changes the row."""
    result = execute_plain(_transition_statement(from_states), {"b_id": task.id, **values})
    if result.rowcount != 1:
        raise Conflict(CONFLICT_MESSAGE)
    # Mirror the saved values on the object (no reload); the people it points to are read
    # again only if asked for.
    set_loaded(task, values)
    db.session.expire(task, ["assignee", "completed_by"])


def _assign(task: HumanTask, from_states: tuple[str, ...], user: User) -> None:
    """The task, in one of ``from_states``, becomes claimed by ``user`` from now."""
    _transition(
        task,
        from_states,
        state=TaskState.CLAIMED.value,
        assignee_id=user.id,
        claimed_at=clock.now(),
    )


def claim(actor: User, task_id: int) -> HumanTask:
    task = get_task(task_id, actor)
    _require_open(task, actor)
    if task.state == TaskState.CLAIMED.value:
        if task.assignee_id == actor.id:
            return task
        raise Conflict("该任务已被他人签收，请刷新。")
    _require_work(actor, task)
    _assign(task, (TaskState.READY.value,), actor)
    history(task.instance, "claim", actor, task=task)
    _audit("task.claim", actor, task)
    return task


def unclaim(actor: User, task_id: int) -> HumanTask:
    task = get_task(task_id, actor)
    _require_open(task, actor)
    if task.state != TaskState.CLAIMED.value:
        raise Conflict("该任务尚未签收。")
    if task.assignee_id != actor.id and not can(actor, "workflow.admin"):
        raise PermissionDenied("只有签收人可以取消签收。")
    _transition(
        task,
        (TaskState.CLAIMED.value,),
        state=TaskState.READY.value,
        assignee_id=None,
        claimed_at=None,
    )
    history(task.instance, "unclaim", actor, task=task)
    _audit("task.unclaim", actor, task)
    return task


def complete_task(
    actor: User,
    task_id: int,
    outcome: str,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
) -> HumanTask:
    """办理: complete a user task with an outcome, an opinion and the form's data."""
    task = get_task(task_id, actor)
    schema = registered_schema(task.form_key)
    return _complete(actor, task, outcome, comment, dict(data or {}), schema)


def complete_task_form(
    actor: User, task_id: int, outcome: str, comment: str | None, fields: Mapping[str, str]
) -> HumanTask:
    """办理 from the task page: the posted ``f_<name>`` fields typed as the form's schema says
    (the task is loaded once, its schema looked up once)."""
    task = get_task(task_id, actor)
    schema = registered_schema(task.form_key)
    return _complete(actor, task, outcome, comment, form_values(schema, fields), schema)


_LIST_SPLIT = re.compile(r"[,，、;；\s]+")


def form_values(schema: dict[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """The posted ``f_<name>`` fields named by the schema, typed as the schema says (a value
    of the wrong type is kept as posted: the validator reports it)."""
    data: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        kind = prop.get("type", "string")
        if kind == "boolean":
            data[name] = fields.get(f"f_{name}") == "on"
            continue
        raw = (fields.get(f"f_{name}") or "").strip()
        if raw == "":
            continue
        if kind in ("integer", "number"):
            try:
                data[name] = int(raw) if kind == "integer" or raw.isdigit() else float(raw)
            except ValueError:
                data[name] = raw
        elif kind == "array":  # one text box: the entries separated by commas or new lines
            data[name] = [part for part in _LIST_SPLIT.split(raw) if part]
        else:
            data[name] = raw
    return data


def _complete(
    actor: User,
    task: HumanTask,
    outcome: str,
    comment: str | None,
    data: dict[str, Any],
    schema: dict[str, Any],
) -> HumanTask:
    _require_open(task, actor)
    _require_work(actor, task)
    instance = task.instance
    comment = (comment or "").strip() or None
    allowed = [o["value"] for o in task.outcomes or []]
    errors: dict[str, str] = {}
    if outcome not in allowed:
        errors["outcome"] = "办理结果须为：" + "、".join(
            f"{o['label']}（{o['value']}）" for o in task.outcomes or []
        )
    if outcome in RETURN_OUTCOMES and not comment:
        errors["comment"] = "退回时必须填写审批意见"
    if comment and len(comment) > 2000:
        errors["comment"] = "审批意见最多2000个字符"
    errors.update(form_data_problems(task, data))
    errors.update(jsonschema.validate(schema, data))
    spec = FORMS.get(task.form_key or "")
    # The feature's check reads valid form data; a missing opinion alone does not stop it, so a
    # 退回 without opinion and without its kind is told both at once, not one after the other.
    if not (errors.keys() - {"comment"}) and spec is not None and spec.validate is not None:
        errors.update(spec.validate(task, actor, outcome, data))
    if errors:
        raise InvalidInput("提交的数据有误：" + "；".join(errors.values()), details=errors)
    returning = outcome in RETURN_OUTCOMES
    limit = int(current_app.config.get("MAX_RETURN_LOOPS", 30))
    if returning and instance.return_count >= limit:
        raise Conflict(
            f"本流程已退回 {instance.return_count} 次，达到上限（{limit} 次），不能再退回；"
            "请同意后另行处理，或联系系统管理员。"
        )
    now = clock.now()
    _transition(
        task,
        OPEN_STATES,
        state=TaskState.COMPLETED.value,
        outcome=outcome,
        comment=comment,
        data=data,
        assignee_id=task.assignee_id or actor.id,
        completed_by_id=actor.id,
        completed_at=now,
    )
    # the people it now points to are at hand: no read when the answer names them
    set_committed_value(task, "completed_by", actor)
    if task.assignee_id == actor.id:
        set_committed_value(task, "assignee", actor)

    def mutate(wf: Any) -> None:
        spiff_task = _ready_spiff_task(wf, task)
        spiff_task.data.update(data)
        spiff_task.data.update(outcome=outcome, comment=comment or "")
        spiff_task.run()

    extra = {"return_count": instance.return_count + 1} if returning else None
    history(instance, "complete", actor, task=task, outcome=outcome, comment=comment)
    _audit(
        "task.complete",
        actor,
        task,
        after={"outcome": outcome, "outcome_label": task.outcome_label(outcome), "data": data},
        message=comment,
    )
    advance(instance, actor, mutate, extra=extra)
    return task


def form_data_problems(task: HumanTask, data: dict[str, Any]) -> dict[str, str]:
    """A task writes only the fields its form declares: never the instance's fixed subject
    (its report, unit, deadlines), never the engine's own names, nothing undeclared."""
    fixed = set(task.instance.subject or {})
    declared = declared_fields(task.form_key)
    problems: dict[str, str] = {}
    for key in data:
        if key in RESERVED_KEYS or key.startswith("_"):
            problems[key] = f"字段名 {key} 为系统保留"
        elif key in fixed:
            problems[key] = f"字段 {key} 是流程的固定数据（启动时确定），任何任务都不能修改"
    undeclared = sorted(k for k in data if k not in declared and k not in problems)
    if undeclared:
        problems["_undeclared"] = "表单未声明以下字段，不能提交：" + "、".join(undeclared)
    return problems


def _ready_spiff_task(wf: Any, task: HumanTask) -> Any:
    """The SpiffWorkflow task behind a row, checked READY (``Task.run`` does not check)."""
    try:
        spiff_task = wf.get_task_from_id(UUID(task.spiff_task_id))
    except Exception:
        spiff_task = None
    if (
        spiff_task is None
        or spiff_task.state != SpiffState.READY
        or not isinstance(spiff_task.task_spec, UserTask)
        or spiff_task.task_spec.bpmn_id != task.element_id
    ):
        raise Conflict(CONFLICT_MESSAGE)
    return spiff_task


def withdraw(actor: User, task_id: int) -> HumanTask:
    """撤回: take back a step one just completed, while the next step is still unclaimed.

    Refused once anything irreversible happened after it: the next step was claimed or
    completed, a service task ran or a message was sent, or the flow ended.  The workflow is
    reset to the completed user task (:func:`resets.reset_to`, which also drops the waiting
    timers and messages of the steps it removes), which is ready again; the next steps' rows
    are cancelled.
    """
    task = get_task(task_id, actor)
    instance = task.instance
    if task.state != TaskState.COMPLETED.value or task.completed_by_id != actor.id:
        raise PermissionDenied("只能撤回自己刚办理的步骤。")
    if instance.state != InstanceState.RUNNING.value:
        raise Conflict("流程已结束或异常，不能撤回。")
    later = (
        db.session.execute(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.id > task.id)
        )
        .scalars()
        .all()
    )
    if any(
        t.state != TaskState.READY.value and t.state != TaskState.CANCELLED.value for t in later
    ):
        raise Conflict("下一步已被签收或办理，不能撤回。")
    wf = load(instance)
    try:
        spiff_task = wf.get_task_from_id(UUID(task.spiff_task_id))
    except Exception:
        spiff_task = None
    if spiff_task is None or spiff_task.state != SpiffState.COMPLETED:
        raise Conflict("流程已不在该步骤之后，不能撤回。")
    if any(_irreversible(follower) for follower in _descendants(spiff_task)):
        raise Conflict("后续已执行自动处理（如服务任务或消息），不能撤回。")

    def mutate(w: Any) -> None:
        reset_to(w, spiff_task.id)  # not ``reset_from_task_id``: it leaves the timers behind

    extra = None
    if task.outcome in RETURN_OUTCOMES:
        extra = {"return_count": max(instance.return_count - 1, 0)}
    history(instance, "withdraw", actor, task=task, outcome=task.outcome)
    _audit("task.withdraw", actor, task, before={"outcome": task.outcome})
    advance(instance, actor, mutate, workflow=wf, extra=extra)
    return db.session.execute(
        select(HumanTask)
        .where(HumanTask.instance_id == instance.id, HumanTask.state.in_(OPEN_STATES))
        .order_by(HumanTask.id.desc())
        .limit(1)
    ).scalar_one()


def _irreversible(follower: Any) -> bool:
    """A completed step after the withdrawn one that a withdrawal cannot take back: a user's
    action, a service task whose operation is not declared ``withdrawable`` (a reminder, a
    deadline passed: :func:`registry.service_operation`), an event that threw something (a
    message, a signal, a terminate...).  A plain end event throws nothing."""
    if follower.state != SpiffState.COMPLETED:
        return False
    spec = follower.task_spec
    if isinstance(spec, UserTask):
        return True
    if isinstance(spec, ServiceTask):
        return spec.operation_name not in WITHDRAWABLE_OPERATIONS
    if isinstance(spec, ThrowingEvent):
        return not isinstance(spec.event_definition, NoneEventDefinition)
    return False


def _descendants(spiff_task: Any) -> list[Any]:
    out, stack = [], list(spiff_task.children)
    while stack:
        t = stack.pop()
        out.append(t)
        stack.extend(t.children)
    return out


def _enabled_user(user_id: int) -> User | None:
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.is_enabled else None


def _colleague(user_id: int, task: HumanTask) -> User:
    """改派's target: any enabled user (only an administrator reassigns, and sees every user)."""
    user = _enabled_user(user_id)
    if user is None:
        raise InvalidInput("指定的用户不存在或已停用。", details={"user_id": "用户不存在"})
    return user


def _hand_over(
    actor: User, task: HumanTask, target: User, action: str, comment: str, message: str
) -> None:
    """Give an open task to ``target`` (转办/改派): the history line ``action`` with
    ``comment``, and ``message`` to the new assignee."""
    _assign(task, OPEN_STATES, target)
    history(task.instance, action, actor, task=task, comment=comment)
    notify(target, action, message, task)


#: The 转办 comment's length (the page's box says so too).
MAX_TRANSFER_COMMENT = 500


def transfer(actor: User, task_id: int, to_user_id: int, comment: str | None = None) -> HumanTask:
    """转办 to a colleague with the same role in the same org."""
    task = get_task(task_id, actor)
    _require_open(task, actor)
    _require_work(actor, task)
    # One refusal whether the user is missing, disabled or elsewhere: it names nobody and does
    # not tell which ids exist (docs/security.md, "refusals naming people").
    target = _enabled_user(to_user_id)
    if target is None or not is_candidate(target, task) or target.id == actor.id:
        raise InvalidInput(
            "只能转办给本单位具有相同角色的其他同事。", details={"user_id": "不符合转办条件"}
        )
    if len(comment or "") > MAX_TRANSFER_COMMENT:
        raise InvalidInput(
            f"转办说明不能超过 {MAX_TRANSFER_COMMENT} 字。", details={"comment": "过长"}
        )
    _hand_over(
        actor,
        task,
        target,
        "transfer",
        f"转办给 {target.full_name}",
        f"{actor.full_name} 将任务“{task.name}”（{about(task.instance)}）转办给您。",
    )
    _audit("task.transfer", actor, task, after={"to": target.username}, message=comment)
    return task


def reassign(actor: User, task_id: int, to_user_id: int) -> HumanTask:
    """An administrator gives an open task to any enabled user."""
    if not can(actor, "workflow.admin"):
        raise PermissionDenied("只有系统管理员可以改派任务。")
    task = get_task(task_id)
    _require_open(task, actor)
    target = _colleague(to_user_id, task)
    before = task.assignee_id
    _hand_over(
        actor,
        task,
        target,
        "reassign",
        f"改派给 {target.full_name}",
        f"系统管理员将任务“{task.name}”（{about(task.instance)}）指派给您。",
    )
    _audit("task.reassign", actor, task, before={"assignee": before}, after={"to": target.username})
    return task


def candidates(task: HumanTask) -> list[User]:
    """Who holds the task: its assignee, or every candidate while it is unclaimed."""
    return notices.holders(task)


def colleagues(task: HumanTask) -> list[User]:
    """Every enabled user with the candidate role in the candidate org."""
    return users_in_role(task.candidate_org_id, task.candidate_role)


def remind(actor: User, task_id: int, message: str | None = None) -> list[Notification]:
    """催办: notify the holder (or every candidate) of an open task."""
    task = get_task(task_id, actor)
    _require_open(task, actor)
    if not can_view(actor, task) or is_candidate(actor, task):
        raise PermissionDenied("您不能催办该任务。")
    where = about(task.instance)
    text = f"{actor_mention(actor, where)}催办：请尽快办理“{task.name}”（{where}）。"
    if message:
        text += f" {message.strip()[:200]}"
    rows = [notify(user, "remind", text, task) for user in candidates(task)]
    history(task.instance, "remind", actor, task=task, comment=message)
    _audit("task.remind", actor, task, message=message, after={"notified": len(rows)})
    return rows


def cc(actor: User, task_id: int, user_id: int, message: str | None = None) -> TaskCopy:
    """抄送: give a user a read-only copy of the task and its instance.

    Only to someone who may see the instance's business object anyway (the report's,
    publication's or assessment's org subtree): a copy opens the instance's history.
    """
    task = get_task(task_id, actor)
    if not can_view(actor, task):
        raise PermissionDenied("您不能抄送该任务。")
    # One refusal whether the user is missing, disabled or may not see the instance: naming
    # them would let anyone list every user's name and unit by trying ids.
    target = _enabled_user(user_id)
    if target is None or not may_view_subject(target, task.instance):
        raise InvalidInput(
            "不能抄送给所选人员：抄送只能发给有权查看该事项的人员"
            "（事项所属单位及其上级单位的相关人员）。",
            details={"user_id": "所选人员无权查看该事项"},
        )
    existing = db.session.execute(
        select(TaskCopy).where(TaskCopy.task_id == task.id, TaskCopy.user_id == target.id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    copy = TaskCopy(task_id=task.id, user_id=target.id, by_id=actor.id, created_at=clock.now())
    db.session.add(copy)
    notify(
        target,
        "cc",
        f"{actor.full_name} 抄送给您：“{task.name}”（{about(task.instance)}）",
        task,
    )
    history(task.instance, "cc", actor, task=task, comment=f"抄送给 {target.full_name}")
    _audit("task.cc", actor, task, after={"to": target.username}, message=message)
    db.session.flush()
    return copy


__all__ = [
    "RETURN_OUTCOMES",
    "Role",
    "can_view",
    "can_work",
    "cc",
    "claim",
    "complete_task",
    "reassign",
    "remind",
    "transfer",
    "unclaim",
    "withdraw",
]
