"""Read side: inbox views, instance details, the diagram's highlighted elements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from webapp.core.models import User
from webapp.core.states import status_label
from webapp.engine.models import (
    OPEN_STATES,
    HumanTask,
    InstanceState,
    ProcessInstance,
    TaskCopy,
    TaskState,
    WorkflowEvent,
)
from webapp.engine.naming import task_title
from webapp.engine.operations import RETURN_OUTCOMES
from webapp.extensions import db

VIEWS = ("todo", "done", "started", "cc")
VIEW_LABELS = {"todo": "待办", "done": "已办", "started": "我发起的", "cc": "抄送我的"}


def view_statement(user: User, view: str) -> Select[tuple[HumanTask]]:
    """The tasks of one inbox view, unordered: todo (open tasks of the user's roles in their
    org, or assigned to them), done (completed by them), started (the current or last task of
    instances they started), cc (tasks copied to them)."""
    stmt = select(HumanTask).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    if view == "todo":
        roles = [r.value for r in user.roles]
        return stmt.where(
            ProcessInstance.state == InstanceState.RUNNING.value,
            or_(
                and_(HumanTask.state == TaskState.CLAIMED.value, HumanTask.assignee_id == user.id),
                and_(
                    HumanTask.state == TaskState.READY.value,
                    HumanTask.candidate_org_id == user.org_id,
                    HumanTask.candidate_role.in_(roles),
                ),
                and_(HumanTask.state == TaskState.READY.value, HumanTask.assignee_id == user.id),
            ),
        )
    if view == "done":
        return stmt.where(
            HumanTask.completed_by_id == user.id, HumanTask.state == TaskState.COMPLETED.value
        )
    if view == "started":
        latest = (
            select(func.max(HumanTask.id))
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .where(ProcessInstance.started_by_id == user.id)
            .group_by(HumanTask.instance_id)
        )
        return stmt.where(HumanTask.id.in_(latest))
    if view == "cc":
        return stmt.where(
            HumanTask.id.in_(select(TaskCopy.task_id).where(TaskCopy.user_id == user.id))
        )
    raise ValueError(view)


_DEFAULT_ORDER = {
    "todo": (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id),
    "done": (HumanTask.completed_at.desc(),),
    "started": (HumanTask.id.desc(),),
    "cc": (HumanTask.id.desc(),),
}


def tasks_for(user: User, view: str = "todo", limit: int = 200) -> list[HumanTask]:
    """The user's inbox view (see :func:`view_statement`), in its default order."""
    stmt = view_statement(user, view).order_by(*_DEFAULT_ORDER[view])
    return list(db.session.execute(stmt.limit(limit)).scalars())


def count_todo(user: User) -> int:
    return len(tasks_for(user, "todo"))


def instance_tasks(instance: ProcessInstance) -> list[HumanTask]:
    return list(
        db.session.execute(
            select(HumanTask).where(HumanTask.instance_id == instance.id).order_by(HumanTask.id)
        ).scalars()
    )


def current_tasks(instance: ProcessInstance) -> list[HumanTask]:
    return [t for t in instance_tasks(instance) if t.state in OPEN_STATES]


def open_tasks(instance_id: int, element_id: str | None = None) -> list[HumanTask]:
    """The instance's open (ready or claimed) tasks, oldest first; only those of the BPMN step
    ``element_id`` when given.  Features ask this instead of querying the task rows."""
    stmt = select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.state.in_(OPEN_STATES)
    )
    if element_id is not None:
        stmt = stmt.where(HumanTask.element_id == element_id)
    return list(db.session.execute(stmt.order_by(HumanTask.id)).scalars())


def last_completer(instance_id: int | None, element_id: str) -> User | None:
    """Who completed the instance's step ``element_id`` most recently (None: nobody yet).

    Features ask this for "who drafted / who approved" instead of querying the task rows.
    """
    task = db.session.execute(
        select(HumanTask)
        .where(
            HumanTask.instance_id == instance_id,
            HumanTask.element_id == element_id,
            HumanTask.state == "completed",
        )
        .order_by(HumanTask.completed_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    return task.completed_by if task is not None else None


def instance_business_status(instance_id: int) -> str | None:
    """The business status the BPMN set on the instance (None: none set, or no such instance)."""
    instance = db.session.get(ProcessInstance, instance_id)
    return instance.business_status if instance is not None else None


def business_statuses(instance_ids: list[int]) -> dict[int, str | None]:
    """The business status of each instance, in one query (a board of many reports)."""
    if not instance_ids:
        return {}
    rows = db.session.execute(
        select(ProcessInstance.id, ProcessInstance.business_status).where(
            ProcessInstance.id.in_(instance_ids)
        )
    )
    return {instance_id: status for instance_id, status in rows}


def return_counts(business_keys: list[str]) -> dict[tuple[str, int], int]:
    """How many times the work of each instance was returned (a task completed with a return
    outcome: 退回), by business key and the unit whose task returned it (the task's candidate
    org: the unit itself for its own review, the upper level for its acceptance); one query."""
    if not business_keys:
        return {}
    rows = db.session.execute(
        select(ProcessInstance.business_key, HumanTask.candidate_org_id, func.count(HumanTask.id))
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(
            ProcessInstance.business_key.in_(set(business_keys)),
            HumanTask.state == TaskState.COMPLETED.value,
            HumanTask.outcome.in_(RETURN_OUTCOMES),
        )
        .group_by(ProcessInstance.business_key, HumanTask.candidate_org_id)
    )
    return {(key, org_id): count for key, org_id, count in rows}


def instance_history(instance: ProcessInstance) -> list[WorkflowEvent]:
    return list(
        db.session.execute(
            select(WorkflowEvent)
            .where(WorkflowEvent.instance_id == instance.id)
            .order_by(WorkflowEvent.at, WorkflowEvent.id)
        ).scalars()
    )


def diagram_marks(instance: ProcessInstance) -> dict[str, list[str]]:
    """BPMN element ids to highlight: completed ones and the current (open) ones."""
    from webapp.engine.pruning import pruned_elements
    from webapp.engine.runtime import load

    wf = load(instance)
    completed: set[str] = set()
    current: set[str] = set()
    from SpiffWorkflow.util.task import TaskState as SpiffState

    for task in wf.get_tasks():
        element = getattr(task.task_spec, "bpmn_id", None)
        if not element:
            continue
        if task.state == SpiffState.COMPLETED:
            completed.add(element)
        elif task.state in (SpiffState.READY, SpiffState.WAITING, SpiffState.STARTED):
            current.add(element)
    # steps of earlier return loops, cut from the saved tree (webapp.engine.pruning)
    completed |= pruned_elements(wf)
    if instance.state == InstanceState.ERROR.value:
        current |= {t.element_id for t in current_tasks(instance)}
    return {"completed": sorted(completed - current), "current": sorted(current)}


def task_data(tasks: list[HumanTask]) -> dict[int, dict[str, Any]]:
    """The SpiffWorkflow task data behind human-task rows, by row id (read-only copies).

    Lets a feature tell apart the tasks of a multi-instance activity (which unit a 考核评分 task
    is for) without keeping its own table.  Loads each instance's workflow once.
    """
    from uuid import UUID

    from webapp.engine.runtime import _plain, load

    out: dict[int, dict[str, Any]] = {}
    by_instance: dict[int, list[HumanTask]] = {}
    for t in tasks:
        by_instance.setdefault(t.instance_id, []).append(t)
    for rows in by_instance.values():
        wf = load(rows[0].instance)
        for row in rows:
            spiff_task = wf.get_task_from_id(UUID(row.spiff_task_id))
            if spiff_task is not None:
                out[row.id] = _plain(dict(spiff_task.data))
    return out


def error_instances() -> list[ProcessInstance]:
    return list(
        db.session.execute(
            select(ProcessInstance)
            .where(ProcessInstance.state == InstanceState.ERROR.value)
            .order_by(ProcessInstance.error_at.desc())
        ).scalars()
    )


def task_summary(task: HumanTask) -> dict[str, Any]:
    """The fields the inbox API lists for a task."""
    instance = task.instance
    return {
        "id": task.id,
        "name": task.name,
        "title": task_title(task),
        "element_id": task.element_id,
        "instance_id": task.instance_id,
        "process_key": instance.process_key,
        "process_name": instance.definition.name,
        "business_key": instance.business_key,
        "business_status": instance.business_status,
        "business_status_label": status_label(instance.business_status),
        "instance_state": instance.state,
        "org_code": instance.org.code,
        "org_name": instance.org.name,
        "candidate_org_code": task.candidate_org.code,
        "role": task.candidate_role,
        "form_key": task.form_key,
        "due_at": task.due_at,
        "state": task.state,
        "assignee": task.assignee.username if task.assignee else None,
        "outcome": task.outcome,
        "comment": task.comment,
        "created_at": task.created_at,
        "completed_at": task.completed_at,
    }
