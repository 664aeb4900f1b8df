"""The workflow engine: the only package that imports SpiffWorkflow.

This module is the engine's public face: other packages import from ``webapp.engine`` only,
never from its submodules (the import-linter contract "Features use only webapp.engine's public
face" in pyproject.toml; docs/architecture.md).  What a feature needs is re-exported here.

Public functions other features call (see docs/engine.md)::

    deploy_definitions(actor, directory) -> list[DeployResult]
    deploy_bpmn(actor, key, content: bytes) -> DeployResult          # InvalidInput lists problems
    validate_bpmn(content: bytes) -> list[Problem]
    start_instance(actor, process_key, org, business_key, data, existing_ok=) -> ProcessInstance
    start_instances(actor, process_key, [Start(org, business_key, data), …], existing_ok=)
        -> list[ProcessInstance]      # the same, many at once: shared reads, one notice INSERT
    complete_task(actor, task_id, outcome, comment=None, data=None) -> HumanTask
    tasks_for(user, view) -> list[HumanTask]
    can_work(user, task) -> bool
    notify(user, kind, message, task=None, *, instance=None) -> Notification  # + e-mail if on
    unit_unless_named(unit, rest) -> str   # a unit's name for a notice, "" if rest names it
    notify_many(kind, [Notice(user, message), …], instance=) -> int  # one INSERT, same rows
    unread_count(user) -> int; notifications_for(user, unread_only=, page=, per_page=)
    mark_read(user, notification_id); mark_all_read(user) -> int        # audited
    task_data(tasks) -> {task row id: data}; last_completer(instance_id, element_id) -> User | None
    open_tasks(instance_id, element_id=None) -> list[HumanTask]        # ready or claimed
    instance_business_status(instance_id) -> str | None
    business_statuses(instance_ids) -> {instance id: str | None}        # one query
    set_status(ctx), notify_candidates(ctx)            # built-in service operations
    run_timers(now=None) -> dict
    deliver_messages(business_keys=None) -> int
    retry_instance(actor, instance_id) -> ProcessInstance
    change_subject(actor, instance, changes, reason=...) -> ProcessInstance   # 延期 (audited)
    @service_operation(name), register_start_form(process_key, json_schema, label=...)
    @service_operation(name), register_form(key, json_schema, label=..., template=None)
    register_subject_viewer(process_key, may_view(user, instance))   # who may be copied (抄送)
    register_subject_label(process_key, label(instance))  # "2026年第一季度": titles, no keys
    register_task_page(process_key, url(task))            # where a task is worked on
    task_page_url(task) -> str | None                     # that page's URL (None: /tasks/<id>)
    task_title(task), instance_title(instance)            # "填报数据 · 2026年第一季度 · 中原区"
    subject_title(instance)                               # "2026年第一季度 · 中原区" (notices)
    current_return(instance_id) -> ReturnNote | None      # why the work came back (退回原因)
    return_counts(business_keys) -> {(key, org_id): n}    # 退回 so far, by the returning unit
    form_choices() -> list[(key, label)]; service_operation_names() -> list[str]
    compare_versions(old, new) -> VersionDiff                          # added/removed/changed
    migration_problems(instance_id) -> list[str]                       # empty: can migrate
    migrate_instance(actor, instance_id) -> ProcessInstance            # to the newest version
"""

from __future__ import annotations

from typing import Any

from webapp.core.models import Role
from webapp.core.permissions import ANY, DOWNWARD, register
from webapp.engine import builtin  # noqa: F401 (registers the built-in forms and operations)
from webapp.engine.builtin import notify_candidates, set_status
from webapp.engine.definitions import (
    DeployResult,
    deploy_bpmn,
    deploy_definitions,
    latest_definition,
    specs_for,
)
from webapp.engine.inbox import ReturnNote, current_return, task_page_url
from webapp.engine.instances import (
    Start,
    cancel_instance,
    change_subject,
    find_instance,
    get_instance,
    retry_instance,
    start_instance,
    start_instances,
)
from webapp.engine.messages import deliver_messages
from webapp.engine.models import (
    HumanTask,
    InstanceState,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    TaskCopy,
    TaskState,
    WorkflowEvent,
    WorkflowMessage,
)
from webapp.engine.naming import instance_title, subject_title, task_title
from webapp.engine.notices import (
    Notice,
    kind_label,
    mark_all_read,
    mark_read,
    notifications_for,
    notify,
    notify_many,
    unit_unless_named,
    unread_count,
)
from webapp.engine.operations import (
    can_work,
    cc,
    claim,
    complete_task,
    reassign,
    remind,
    transfer,
    unclaim,
    withdraw,
)
from webapp.engine.parsing import MAX_BPMN_BYTES, hostile_bpmn, install_clock
from webapp.engine.queries import (
    business_statuses,
    current_tasks,
    instance_business_status,
    last_completer,
    open_tasks,
    return_counts,
    task_data,
    tasks_for,
)
from webapp.engine.registry import (
    ServiceContext,
    form_choices,
    register_form,
    register_start_admission,
    register_start_form,
    register_subject_label,
    register_subject_viewer,
    register_task_page,
    service_operation,
    service_operation_names,
)
from webapp.engine.timers import run_timers
from webapp.engine.validation import Problem, validate_bpmn
from webapp.engine.versions import (
    ElementChange,
    VersionDiff,
    compare_versions,
    migrate_instance,
    migration_problems,
)

_WORKERS = (Role.CLERK, Role.REVIEWER, Role.LEADER, Role.ASSESSOR)

register("workflow.view", _WORKERS, DOWNWARD, label="查看流程")
register("workflow.start", (Role.CLERK, Role.REVIEWER, Role.LEADER), DOWNWARD, label="发起流程")
register("task.inbox", frozenset(Role), ANY, label="待办事项")
#: Act on tasks and instances (claim, complete, transfer, remind, cc, retry...): everyone but
#: auditors, who only read; the operation then checks the task itself.
register("task.work", frozenset(Role) - {Role.AUDITOR}, ANY, label="办理待办任务")

install_clock()


def init_app(app: Any, api: Any) -> None:
    from webapp.engine import vocabulary
    from webapp.engine.api import blueprints
    from webapp.engine.cli import workflow_cli
    from webapp.engine.views import bp
    from webapp.extensions import csrf
    from webapp.main.views import SECTION_ENDPOINTS

    app.register_blueprint(bp)
    for api_bp in blueprints:
        csrf.exempt(api_bp)
        api.register_blueprint(api_bp)
    app.cli.add_command(workflow_cli)
    vocabulary.register()
    SECTION_ENDPOINTS["tasks"] = "engine.inbox"


__all__ = [
    "task_page_url",
    "MAX_BPMN_BYTES",
    "DeployResult",
    "ElementChange",
    "HumanTask",
    "InstanceState",
    "Notification",
    "Problem",
    "ProcessDefinition",
    "ProcessInstance",
    "ReturnNote",
    "ServiceContext",
    "TaskCopy",
    "TaskState",
    "VersionDiff",
    "WorkflowEvent",
    "WorkflowMessage",
    "can_work",
    "cancel_instance",
    "change_subject",
    "cc",
    "claim",
    "compare_versions",
    "complete_task",
    "current_return",
    "current_tasks",
    "deliver_messages",
    "deploy_bpmn",
    "hostile_bpmn",
    "deploy_definitions",
    "find_instance",
    "form_choices",
    "get_instance",
    "instance_title",
    "business_statuses",
    "instance_business_status",
    "last_completer",
    "latest_definition",
    "migrate_instance",
    "migration_problems",
    "kind_label",
    "mark_all_read",
    "mark_read",
    "notifications_for",
    "notify",
    "unit_unless_named",
    "notify_many",
    "Notice",
    "notify_candidates",
    "open_tasks",
    "return_counts",
    "reassign",
    "register_form",
    "register_start_admission",
    "register_start_form",
    "register_subject_label",
    "register_subject_viewer",
    "register_task_page",
    "remind",
    "retry_instance",
    "run_timers",
    "service_operation",
    "service_operation_names",
    "set_status",
    "specs_for",
    "start_instance",
    "start_instances",
    "Start",
    "subject_title",
    "task_data",
    "task_title",
    "tasks_for",
    "transfer",
    "unclaim",
    "unread_count",
    "validate_bpmn",
    "withdraw",
]
