"""JSON API: /api/v1/tasks (inbox and task operations) and /api/v1/instances."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import jsonify
from flask_login import current_user
from marshmallow import Schema

from webapp.api import feature_api, refusals
from webapp.core.errors import Hidden
from webapp.core.operations import get_org
from webapp.core.permissions import can
from webapp.core.schemas import flat_dump
from webapp.core.states import status_label
from webapp.engine import inbox, instances, operations, queries
from webapp.engine.models import ProcessInstance
from webapp.engine.registry import form_schema
from webapp.engine.schemas import (
    CompleteSchema,
    InstanceSchema,
    RemindSchema,
    StartInstanceSchema,
    TaskDetailSchema,
    TaskListSchema,
    TaskQuerySchema,
    TaskSchema,
    UserTargetSchema,
)

tasks_bp = feature_api("api_tasks", __name__, "/api/v1/tasks", "流程任务", gate="task.work")
instances_bp = feature_api(
    "api_instances", __name__, "/api/v1/instances", "流程实例", gate="task.work"
)
blueprints = [tasks_bp, instances_bp]

F = TypeVar("F", bound=Callable[..., Any])

ERRORS = {403: "无权限", 404: "不存在", 409: "任务已被他人处理或状态不允许", 422: "数据有误"}


def task_action(rule: str, body: type[Schema] | None = None) -> Callable[[F], F]:
    """A POST on one task, ``/<task_id>/<rule>`` (with a ``body`` when given), answering with
    the task's summary (TaskSchema) or one of the ERRORS."""

    def decorator(fn: F) -> F:
        fn = refusals(tasks_bp, described=ERRORS)(_flat_answer(TaskSchema)(fn))
        fn = tasks_bp.response(200, TaskSchema)(fn)
        if body is not None:
            # an instance, built once: given the class, webargs builds a schema per request
            # (marshmallow's ``Schema.__init__`` binds every field again), and loading is
            # stateless, so one instance serves every request
            fn = tasks_bp.arguments(body())(fn)
        return tasks_bp.route(f"/<int:task_id>/{rule}", methods=["POST"])(fn)

    return decorator


def _flat_answer(schema: type[Schema]) -> Callable[[F], F]:
    """The view's dict answered as ``schema``'s JSON, written by :func:`flat_dump` (the
    response decorator passes a ready response through; it still documents the schema)."""

    def decorator(fn: F) -> F:
        @functools.wraps(fn)
        def answer(*args: Any, **kwargs: Any) -> Any:
            return jsonify(flat_dump(schema, fn(*args, **kwargs)))

        return answer  # type: ignore[return-value]

    return decorator


def acting_user() -> Any:
    """The signed-in user itself, not flask-login's proxy: every attribute read through the
    proxy looks the user up again (about 28 Python calls), and a task operation reads the
    actor's id, roles and org dozens of times."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def task_detail(task_id: int) -> dict[str, Any]:
    task = operations.get_task(task_id, acting_user())
    body = queries.task_summary(task)
    body.update(
        form_schema=form_schema(task.form_key),
        outcomes=task.outcomes or [],
        data=task.data,
        can_work=task.is_open and operations.can_work(acting_user(), task),
    )
    return body


@tasks_bp.route("")
@tasks_bp.arguments(TaskQuerySchema, location="query")
@tasks_bp.response(200, TaskListSchema)
def list_tasks(args: dict[str, str]) -> Any:
    """The current user's tasks: todo 待办, done 已办, started 我发起的, cc 抄送我的; filtered,
    sorted and paged as the 待办 page does."""
    page = inbox.inbox_page(acting_user(), inbox.InboxQuery.from_args(args, per_page=100))
    items = [
        {
            **queries.task_summary(row.task),
            "title": row.title,
            "state_label": row.state_label,
            "needs_claim": row.needs_claim,
            "overdue": row.overdue,
            "returned": row.returned,
        }
        for row in page.rows
    ]
    return {
        "items": items,
        "total": page.total,
        "page": page.query.page,
        "per_page": page.query.per_page,
    }


@tasks_bp.route("/<int:task_id>")
@tasks_bp.response(200, TaskDetailSchema)
@refusals(tasks_bp, described=ERRORS)
def get_task(task_id: int) -> Any:
    """A task with its form (JSON Schema) and allowed outcomes."""
    return task_detail(task_id)


@task_action("claim")
def claim(task_id: int) -> Any:
    """签收."""
    return queries.task_summary(operations.claim(acting_user(), task_id))


@task_action("unclaim")
def unclaim(task_id: int) -> Any:
    """取消签收."""
    return queries.task_summary(operations.unclaim(acting_user(), task_id))


@task_action("complete", CompleteSchema)
def complete(body: dict[str, Any], task_id: int) -> Any:
    """办理: outcome, 审批意见 (required when returning) and the form data."""
    task = operations.complete_task(
        acting_user(), task_id, body["outcome"], body.get("comment"), body.get("data")
    )
    return queries.task_summary(task)


@task_action("withdraw")
def withdraw(task_id: int) -> Any:
    """撤回 a step one just completed (the reopened task is returned)."""
    return queries.task_summary(operations.withdraw(acting_user(), task_id))


@task_action("transfer", UserTargetSchema)
def transfer(body: dict[str, Any], task_id: int) -> Any:
    """转办 to a colleague with the same role in the same org."""
    task = operations.transfer(acting_user(), task_id, body["user_id"], body.get("comment"))
    return queries.task_summary(task)


@task_action("remind", RemindSchema)
def remind(body: dict[str, Any], task_id: int) -> Any:
    """催办 the holder or the candidates of an open task."""
    operations.remind(acting_user(), task_id, body.get("message"))
    return queries.task_summary(operations.get_task(task_id))


@task_action("cc", UserTargetSchema)
def cc(body: dict[str, Any], task_id: int) -> Any:
    """抄送 a read-only copy to a user."""
    operations.cc(acting_user(), task_id, body["user_id"], body.get("comment"))
    return queries.task_summary(operations.get_task(task_id))


def instance_body(instance: ProcessInstance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "process_key": instance.process_key,
        "process_name": instance.definition.name,
        "definition_version": instance.definition.version,
        "business_key": instance.business_key,
        "org_code": instance.org.code,
        "state": instance.state,
        "business_status": instance.business_status,
        "business_status_label": status_label(instance.business_status),
        "error": instance.error,
        "started_at": instance.started_at,
        "completed_at": instance.completed_at,
        "current_tasks": [queries.task_summary(t) for t in queries.current_tasks(instance)],
        "history": queries.instance_history(instance),
    }


def require_instance_view(instance: ProcessInstance) -> None:
    user = acting_user()
    if can(user, "workflow.admin") or can(user, "workflow.view", instance.org):
        return
    tasks = queries.instance_tasks(instance)
    if any(operations.can_view(user, t) for t in tasks):
        return
    raise Hidden(instances.INSTANCE_MISSING, action="workflow.view")


@instances_bp.route("", methods=["POST"])
@instances_bp.arguments(StartInstanceSchema)
@instances_bp.response(201, InstanceSchema)
@refusals(instances_bp, described=ERRORS)
def start(body: dict[str, Any]) -> Any:
    """Start the latest deployed version of a process for a unit, as every BPMN engine's API
    does: only a process with a registered start form whose feature lets it be started here
    (the demo process ``demo_two_tier``; a report, publication or accident process is started
    by its feature's own operation).  ``data`` is checked against the start form and becomes
    the instance's fixed subject; the business object it names is checked for the user; the
    start is audited (``workflow.start``).  409 when the business key is already used."""
    org = get_org(body["org_code"])
    instance = instances.start_requested(
        acting_user(), body["process_key"], org, body["business_key"], body["data"]
    )
    return instance_body(instance)


@instances_bp.route("/<int:instance_id>")
@instances_bp.response(200, InstanceSchema)
@refusals(instances_bp, described=ERRORS)
def get_instance(instance_id: int) -> Any:
    """State, current tasks and the full history of an instance."""
    instance = instances.get_instance(instance_id)
    require_instance_view(instance)
    return instance_body(instance)


@instances_bp.route("/<int:instance_id>/retry", methods=["POST"])
@instances_bp.response(200, InstanceSchema)
@refusals(instances_bp, described=ERRORS)
def retry(instance_id: int) -> Any:
    """Resume an instance in error (administrator)."""
    return instance_body(instances.retry_instance(acting_user(), instance_id))
