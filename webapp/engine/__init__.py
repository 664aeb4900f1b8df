"""The workflow engine: the only package that imports SpiffWorkflow.

Public functions other features call (see docs/engine.md)::

    deploy_definitions(actor, directory) -> list[DeployResult]
    deploy_bpmn(actor, key, content: bytes) -> DeployResult          # InvalidInput lists problems
    validate_bpmn(content: bytes) -> list[Problem]
    start_instance(actor, process_key, org, business_key, data) -> ProcessInstance
    get_or_start_instance(actor, process_key, org, business_key, data) -> ProcessInstance
    complete_task(actor, task_id, outcome, comment=None, data=None) -> HumanTask
    tasks_for(user, view) -> list[HumanTask]
    run_timers(now=None) -> dict
    deliver_messages(business_keys=None) -> int
    retry_instance(actor, instance_id) -> ProcessInstance
    @service_operation(name), register_form(key, json_schema, label=..., template=None)
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
from webapp.engine.definitions import (
    DeployResult,
    deploy_bpmn,
    deploy_definitions,
    latest_definition,
    specs_for,
)
from webapp.engine.instances import (
    cancel_instance,
    find_instance,
    get_instance,
    get_or_start_instance,
    retry_instance,
    start_instance,
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
from webapp.engine.operations import (
    cc,
    claim,
    complete_task,
    reassign,
    remind,
    transfer,
    unclaim,
    withdraw,
)
from webapp.engine.parsing import install_clock
from webapp.engine.queries import current_tasks, tasks_for
from webapp.engine.registry import (
    ServiceContext,
    form_choices,
    register_form,
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
    "DeployResult",
    "ElementChange",
    "HumanTask",
    "InstanceState",
    "Notification",
    "Problem",
    "ProcessDefinition",
    "ProcessInstance",
    "ServiceContext",
    "TaskCopy",
    "TaskState",
    "VersionDiff",
    "WorkflowEvent",
    "WorkflowMessage",
    "cancel_instance",
    "cc",
    "claim",
    "compare_versions",
    "complete_task",
    "current_tasks",
    "deliver_messages",
    "deploy_bpmn",
    "deploy_definitions",
    "find_instance",
    "form_choices",
    "get_instance",
    "get_or_start_instance",
    "latest_definition",
    "migrate_instance",
    "migration_problems",
    "reassign",
    "register_form",
    "remind",
    "retry_instance",
    "run_timers",
    "service_operation",
    "service_operation_names",
    "specs_for",
    "start_instance",
    "tasks_for",
    "transfer",
    "unclaim",
    "validate_bpmn",
    "withdraw",
]
