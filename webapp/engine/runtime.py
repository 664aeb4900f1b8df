"""Load, advance and save process instances: the one place that steps SpiffWorkflow.

Every change to an instance goes through :func:`advance`:

1. the workflow is restored from the instance row (spec from the cache);
2. ``mutate`` runs (complete a user task, deliver a message, let timers fire); if it raises,
   nothing is saved and the error goes to the caller;
3. a checkpoint of the state is taken, then the automatic steps run inside a SAVEPOINT
   (gateways, scripts, service tasks that write domain rows).  If they fail, the savepoint is
   rolled back (no domain row half-written), the checkpoint is saved with the instance in state
   ``error`` and the message, and an administrator can :func:`retry` after a fix;
4. the state is saved with ``UPDATE ... WHERE version = expected``: 0 rows means somebody else
   saved first, and the caller gets a 409 (the in-memory workflow is dropped, never saved);
5. human task rows follow the ready user tasks; thrown messages are routed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import bindparam, insert, literal, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from webapp.core import audit, clock
from webapp.core.errors import Conflict, DomainError
from webapp.core.models import User
from webapp.engine import notices, script_pool, spiff
from webapp.engine.definitions import specs_for
from webapp.engine.lanes import LaneError, parse_lane, resolve_org_id
from webapp.engine.models import (
    OPEN_STATES,
    HumanTask,
    InstanceState,
    ProcessInstance,
    TaskState,
    WorkflowEvent,
)
from webapp.engine.parsing import TimerRules
from webapp.engine.script_pool import ScriptLimits
from webapp.engine.validation import parse_outcomes, task_properties
from webapp.extensions import db, execute_plain, insert_row, new_row, set_loaded

log = logging.getLogger(__name__)

CONFLICT_MESSAGE = "该任务已被他人处理，请刷新"


class StepFailed(DomainError):
    """The engine could not take a step the caller asked for (nothing was saved)."""

    status_code = 422
    code = "step_failed"


def script_engine() -> spiff.SandboxScriptEngine:
    config = current_app.config
    limits = ScriptLimits(
        cpu_ms=config.get("SCRIPT_CPU_MS", 100),
        memory_mb=config.get("SCRIPT_MEMORY_MB", 128),
        wall_ms=config.get("SCRIPT_WALL_MS", 2000),
        workers=config.get("SCRIPT_WORKERS", 2),
    )
    # Start the script workers with the first engine step of this process, so that a completion
    # that runs a script finds them ready instead of paying a process start.
    script_pool.pool().start(limits)
    return spiff.SandboxScriptEngine(limits, TimerRules.from_config())


def load(instance: ProcessInstance) -> Any:
    parsed = specs_for(instance.definition)
    return spiff.restore(instance.state_json, parsed.spec, parsed.subprocess_specs, script_engine())


def audit_instance(
    action: str, instance: ProcessInstance, actor: User | None = None, **details: Any
) -> None:
    """The audit record of ``action`` on ``instance`` (in its org); ``details`` as for
    :func:`webapp.core.audit.record` (before, after, message)."""
    audit.record_on(action, instance, actor, **details)


#: The history row's INSERT, built once (a plain statement: no ORM object, nothing to flush).
_HISTORY = insert(WorkflowEvent.__table__)


def history(
    instance: ProcessInstance,
    action: str,
    actor: User | None,
    *,
    task: HumanTask | None = None,
    outcome: str | None = None,
    comment: str | None = None,
    element_id: str | None = None,
) -> None:
    """One history line of ``instance``, inserted at once (the instance and the task are rows
    already)."""
    execute_plain(
        _HISTORY, _history_values(instance, action, actor, task, outcome, comment, element_id)
    )


def history_many(lines: list[tuple[ProcessInstance, str, User | None, str | None]]) -> None:
    """Many history lines without a task (instance, action, actor, comment), one statement."""
    if lines:
        execute_plain(
            _HISTORY,
            [
                _history_values(i, action, actor, None, None, comment)
                for i, action, actor, comment in lines
            ],
        )


def _history_values(
    instance: ProcessInstance,
    action: str,
    actor: User | None,
    task: HumanTask | None,
    outcome: str | None,
    comment: str | None,
    element_id: str | None = None,
) -> dict[str, Any]:
    return {
        "instance_id": instance.id,
        "task_id": task.id if task is not None else None,
        "element_id": element_id or (task.element_id if task is not None else None),
        "action": action,
        "actor_id": actor.id if actor is not None else None,
        "actor_name": actor.full_name if actor is not None else "系统",
        "outcome": outcome,
        "outcome_label": (task.outcome_label(outcome) if task is not None and outcome else outcome),
        "comment": comment,
        "at": clock.now(),
    }


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, spiff.ServiceFailed):
        original = exc.original
        text = getattr(original, "message", None) or str(original)
        return f"服务任务 {exc.element_id} 执行失败：{text}"
    text = getattr(exc, "message", None) or str(exc)
    task_spec = getattr(exc, "task_spec", None)
    element = getattr(task_spec, "bpmn_id", None) if task_spec is not None else None
    return f"{element}：{text}" if element else text


def advance(
    instance: ProcessInstance,
    actor: User | None,
    mutate: Callable[[Any], None],
    *,
    workflow: Any = None,
    extra: dict[str, Any] | None = None,
    steps: Callable[[Any], Any] | None = None,
    new: bool = False,
) -> Any:
    """Apply ``mutate`` to the instance's workflow, run the automatic steps, save.

    Returns the workflow after the steps, or None when the steps failed and the instance was
    put in error.  ``extra`` are column values saved with the state; ``steps`` replaces
    ``do_engine_steps`` (the timer worker fires timers in due order there).  ``new``: the
    instance was inserted in this transaction (its start), so it has no task row and no notice
    of an earlier step to read or clear; the messages sent to it before it existed are the
    starter's to deliver (:func:`webapp.engine.instances.deliver_waiting`, for many at once).
    """
    expected = instance.version
    notices.begin_step()
    wf = workflow if workflow is not None else load(instance)
    run = spiff.RunContext(instance, instance.org, actor, begin=db.session.begin_nested)
    token = spiff.current_run.set(run)
    try:
        try:
            mutate(wf)
        except DomainError:
            raise
        except Exception as exc:
            log.info("engine step refused for instance %s: %s", instance.id, exc)
            raise StepFailed(f"流程无法继续：{_error_text(exc)}") from exc
        # The state after ``mutate`` is what an error saves.  A workflow this function loaded
        # can be loaded and mutated again, so that state is only serialized if the steps fail
        # (once per step, not twice); one handed in by the caller is taken now.
        checkpoint = spiff.serialize(wf) if workflow is not None else None
        failure: BaseException | None = None
        if steps is not None:  # the timer worker's steps: protected from the start
            run.protect()
        try:
            (steps or _do_engine_steps)(wf)
            live = spiff.live_tasks(wf)  # one walk: the subject's check, the plan, the end
            changed = spiff.subject_changes(instance.subject or {}, wf, live)
            if changed:
                raise spiff.SubjectChanged(
                    "流程的固定数据被脚本修改：" + "、".join(changed) + "（已拒绝，未保存）"
                )
            events = wf.get_events()
            if run.savepoint is not None:
                run.savepoint.commit()
        except Exception as exc:
            if run.savepoint is not None:
                run.savepoint.rollback()
            failure = exc
        if failure is not None and checkpoint is None:
            checkpoint = _replay(instance, mutate)
    finally:
        spiff.current_run.reset(token)
    if failure is not None:
        message = _error_text(failure)
        log.warning("instance %s failed: %s", instance.id, message)
        _save_state(instance, expected, checkpoint, wf=None, extra=extra, error=message)
        history(instance, "error", None, comment=message)
        audit_instance("workflow.instance_error", instance, message=message)
        return None
    plan = plan_tasks(instance, wf, new=new, live=live)
    if plan.status:  # saved with the state, over any other value (as a second UPDATE did)
        extra = {**(extra or {}), "business_status": plan.status}
    _save_state(instance, expected, spiff.serialize(wf), wf=wf, extra=extra, live=live)
    apply_tasks(instance, plan, new=new)
    from webapp.engine.messages import deliver_to, route_events

    if events:
        route_events(instance, events)
    if wf.event_manager.tasks and not new:  # a new one's: its starter (deliver_waiting)
        deliver_to(instance)
    return wf


def _replay(instance: ProcessInstance, mutate: Callable[[Any], None]) -> str:
    """The state after ``mutate`` again, from the saved state (not yet overwritten): what
    :func:`advance` saves when the steps after it failed."""
    try:
        wf = load(instance)
        mutate(wf)
    except Exception as exc:  # pragma: no cover - it ran once already
        log.exception("instance %s: replaying the step for its error state failed", instance.id)
        raise StepFailed(f"流程无法继续：{_error_text(exc)}") from exc
    return spiff.serialize(wf)


def _do_engine_steps(wf: Any) -> None:
    wf.do_engine_steps()


#: The state's UPDATE with the version check, built once: the SET clause is the values given.
_SAVE_STATE = (
    update(ProcessInstance.__table__)
    .where(
        ProcessInstance.__table__.c.id == bindparam("b_id"),
        ProcessInstance.__table__.c.version == bindparam("b_expected"),
    )
    .execution_options(synchronize_session=False)
)


def _save_state(
    instance: ProcessInstance,
    expected: int,
    state_json: str,
    *,
    wf: Any,
    extra: dict[str, Any] | None = None,
    error: str | None = None,
    live: list[Any] | None = None,
) -> None:
    """``live``: the workflow's live tasks when the caller has them (:func:`spiff.live_tasks`,
    after the steps): one of them means the workflow is not completed, without a walk."""
    now = clock.now()
    values: dict[str, Any] = {
        "state_json": state_json,
        "version": expected + 1,
        "updated_at": now,
    }
    if error is not None:
        values.update(
            state=InstanceState.ERROR.value, error=error, error_at=now, next_timer_at=None
        )
    elif wf is not None:
        completed = False if live else wf.is_completed()  # a walk of the task tree: once
        values.update(
            state=(InstanceState.COMPLETED if completed else InstanceState.RUNNING).value,
            error=None,
            error_at=None,
            next_timer_at=next_timer(wf),
            data=_plain(wf.last_task.data if wf.last_task is not None else wf.task_tree.data),
        )
        if completed:
            values["completed_at"] = now
            values["business_status"] = _end_status(wf) or instance.business_status
    values.update(extra or {})
    result = execute_plain(_SAVE_STATE, {"b_id": instance.id, "b_expected": expected, **values})
    if result.rowcount != 1:
        db.session.expire(instance)
        raise Conflict(CONFLICT_MESSAGE)
    set_loaded(instance, values)  # the saved values mirrored on the object, not dirty


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(data, default=str))


def _end_status(wf: Any) -> str | None:
    """The status of the end event the process finished at.

    Not ``wf.last_task``'s: a timer that fired in the same run (a due reminder, whose branch
    ends at a plain end event) may have completed last, and the instance kept the status of
    the step before.  The latest completed end event that names a status wins.
    """
    ended = [
        t
        for t in wf.get_tasks(state=SpiffState.COMPLETED)
        if isinstance(t.task_spec, EndEvent) and task_properties(t.task_spec).get("status")
    ]
    if ended:
        return task_properties(max(ended, key=lambda t: t.last_state_change).task_spec)["status"]
    last = wf.last_task
    while last is not None:
        props = task_properties(last.task_spec)
        if props.get("status"):
            return props["status"]
        last = last.parent if last.task_spec.bpmn_id is None else None
    return None


def next_timer(wf: Any) -> datetime | None:
    """The earliest due time of the workflow's waiting timers."""
    due = [d for d in (timer_due(t) for t in wf.event_manager.tasks.values()) if d is not None]
    return min(due) if due else None


def timer_due(task: Any) -> datetime | None:
    """When a waiting timer task is due (None: not a timer, or not started yet)."""
    event_def = getattr(task.task_spec, "event_definition", None)
    if not isinstance(event_def, TimerEventDefinition):
        return None
    value = event_def.details(task).value
    if not isinstance(value, str):
        return None
    try:
        return TimerEventDefinition.get_datetime(value).astimezone(clock.UTC)
    except ValueError:
        return None


# Human tasks ----------------------------------------------------------------------------------
def ready_user_tasks(wf: Any, live: list[Any] | None = None) -> list[Any]:
    """The ready user tasks, from ``live`` (:func:`spiff.live_tasks`) when given."""
    if live is None:
        return [
            t for t in wf.get_tasks(state=SpiffState.READY) if isinstance(t.task_spec, UserTask)
        ]
    return [t for t in live if t._state == SpiffState.READY and isinstance(t.task_spec, UserTask)]


@dataclass
class TaskPlan:
    """How the task rows follow the ready user tasks: rows to cancel, rows to add, and the
    business status the first new step sets (None: unchanged)."""

    cancel: list[HumanTask]
    create: list[HumanTask]
    status: str | None
    returned_with: str | None


@functools.cache
def _rows_statement() -> Any:
    """The instance's open task rows and its last completed one, in one statement: the few
    columns the plan compares (plain rows, no ORM objects to build)."""
    table = HumanTask.__table__
    last_done = (
        select(table.c.id)
        .where(
            table.c.instance_id == bindparam("instance_id"),
            table.c.state == TaskState.COMPLETED.value,
        )
        .order_by(table.c.completed_at.desc(), table.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    # in id order: what is written from the plan (closed rows, their history and audit lines)
    # comes out in the same order on either database
    return (
        select(table.c.id, table.c.state, table.c.spiff_task_id, table.c.outcome, table.c.comment)
        .where(
            table.c.instance_id == bindparam("instance_id"),
            # the open states one by one: a list bound as one is expanded on every execution
            or_(table.c.state.in_([literal(s) for s in OPEN_STATES]), table.c.id == last_done),
        )
        .order_by(table.c.id)
    )


def plan_tasks(
    instance: ProcessInstance, wf: Any, *, new: bool = False, live: list[Any] | None = None
) -> TaskPlan:
    """Compare the open task rows with the ready user tasks (one read, nothing written; none
    for a ``new`` instance: it has no rows yet).  ``live``: :func:`spiff.live_tasks` of
    ``wf`` as it is now, when the caller has them."""
    ready = {str(t.id): t for t in ready_user_tasks(wf, live)}
    rows = [] if new else execute_plain(_rows_statement(), {"instance_id": instance.id}).all()
    last = next((r for r in rows if r.state == TaskState.COMPLETED.value), None)
    known = set()
    stale = []
    for row in rows:
        if row.state not in OPEN_STATES:
            continue
        if row.spiff_task_id in ready:
            known.add(row.spiff_task_id)
        else:
            stale.append(row.id)
    # The rows to cancel as objects (rare: a timer or a withdrawal moved the flow on).
    cancel = [db.session.get(HumanTask, row_id) for row_id in stale]
    returned = last is not None and last.outcome in ("return", "reject")
    create = [
        _new_task_row(instance, task, returned)
        for spiff_id, task in ready.items()
        if spiff_id not in known
    ]
    # The business status changes when the flow reaches a new step (a service task may also
    # set it, e.g. 逾期, and that must survive until the next step).
    status = next((r.business_status for r in create if r.business_status), None)
    returned_with = (last.comment or "") if returned and last is not None else None
    return TaskPlan(cancel, create, status, returned_with)


def apply_tasks(instance: ProcessInstance, plan: TaskPlan, *, new: bool = False) -> list[HumanTask]:
    """Write what :func:`plan_tasks` found; tell the holders of the new steps.  A ``new``
    instance has no notice to clear (those of this step are never cleared by it)."""
    for row in plan.cancel:
        row.state = TaskState.CANCELLED.value
        history(instance, "cancel", None, task=row, comment="流程已不在此步骤（如超时或撤回）")
    for row in plan.create:
        insert_row(row)  # one INSERT each, the row in the session as loaded (no flush)
    db.session.flush()  # the cancelled rows' state, and whatever the steps left pending
    if not new:
        notices.clear_done(instance)
    notices.notify_new_tasks(instance, plan.create, plan.returned_with)
    return plan.create


def sync_tasks(instance: ProcessInstance, wf: Any) -> list[HumanTask]:
    """Make the open task rows match the ready user tasks; returns the new rows."""
    plan = plan_tasks(instance, wf)
    created = apply_tasks(instance, plan)
    if plan.status and plan.status != instance.business_status:
        db.session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance.id)
            .values(business_status=plan.status)
            .execution_options(synchronize_session=False)
        )
        set_committed_value(instance, "business_status", plan.status)
    return created


def _new_task_row(instance: ProcessInstance, task: Any, returned: bool) -> HumanTask:
    spec = task.task_spec
    props = task_properties(spec)
    try:
        lane = parse_lane(spec.lane)
    except LaneError as exc:
        raise StepFailed(str(exc)) from exc
    org_id = resolve_org_id(instance.org, lane.relation)
    if org_id is None:
        raise StepFailed(f"泳道“{spec.lane}”：单位 {instance.org.name} 没有上级单位")
    status = props.get("status")
    if returned and props.get("returnedStatus"):
        status = props["returnedStatus"]
    name = spec.bpmn_name or spec.bpmn_id
    subject = _data_path(task.data, props.get("titleVariable"))
    if subject:
        # e.g. one multi-instance task per unit: 考核评分 · 郑州市
        name = f"{name} · {subject}"[:200]
    return new_row(
        HumanTask,
        instance_id=instance.id,
        spiff_task_id=str(task.id),
        element_id=spec.bpmn_id,
        name=name,
        lane=spec.lane,
        candidate_role=lane.role.value,
        candidate_org_id=org_id,
        form_key=props.get("formKey"),
        outcomes=parse_outcomes(props.get("outcomes")),
        business_status=status,
        due_at=_due_at(task),
        state=TaskState.READY.value,
        created_at=clock.now(),
    )


def _data_path(data: dict[str, Any], path: str | None) -> str:
    """The task-data value at a dotted path (``unit.org_name``) as short text, or ''."""
    value: Any = data
    for part in (path or "").split("."):
        if not part or not isinstance(value, dict):
            return ""
        value = value.get(part)
    return str(value)[:100] if isinstance(value, str | int) and value != "" else ""


def _due_at(task: Any) -> datetime | None:
    """Due time from the attached boundary timers: interrupting ones, or ``due=true`` ones.

    A task inside an embedded subprocess also takes the timers attached to the subprocess
    (a deadline on a whole phase, e.g. fill in + approve).
    """
    due = []
    current: Any = task
    for _ in range(10):
        parent = current.parent
        if parent is not None:
            for sibling in parent.children:
                spec = sibling.task_spec
                if sibling is current or not isinstance(spec, BoundaryEvent):
                    continue
                if spec.cancel_activity or task_properties(spec).get("due") == "true":
                    when = timer_due(sibling)
                    if when is not None:
                        due.append(when)
        current = _enclosing_subprocess_task(current)
        if current is None:
            break
    return min(due) if due else None


def _enclosing_subprocess_task(task: Any) -> Any:
    workflow = task.workflow
    parent_id = getattr(workflow, "parent_task_id", None)
    if parent_id is None:
        return None
    return workflow.top_workflow.get_task_from_id(parent_id)


def rearm_for_subject(wf: Any, changes: dict[str, Any]) -> None:
    """Give the unfinished tasks the new subject values and re-evaluate the waiting timers
    whose expression names one of them (a new due time moves its deadline and reminder)."""
    for task in wf.get_tasks(state=SpiffState.NOT_FINISHED_MASK):
        task.data.update(changes)
    if wf.last_task is not None:  # the data the instance row shows, and the next step copies
        wf.last_task.data.update(changes)
    for task in wf.event_manager.tasks.values():
        event_def = getattr(task.task_spec, "event_definition", None)
        if not isinstance(event_def, TimeDateEventDefinition):
            continue
        if not _names(event_def.expression) & set(changes):
            continue
        task.data.update(changes)
        value = wf.script_engine.evaluate(task, event_def.expression)
        task._set_internal_data(event_value=value, event_fired=False)


def _names(expression: str | None) -> set[str]:
    import ast

    try:
        tree = ast.parse(expression or "", mode="eval")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def refresh_due_times(instance: ProcessInstance, wf: Any) -> None:
    """Open task rows take the due times of their (re-armed) boundary timers."""
    rows = db.session.execute(
        select(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.state.in_(OPEN_STATES)
        )
    ).scalars()
    for row in rows:
        task = next((t for t in wf.get_tasks() if str(t.id) == row.spiff_task_id), None)
        if task is not None:
            row.due_at = _due_at(task)
