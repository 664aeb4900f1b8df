"""What a BPMN file may name: service operations (service tasks) and forms (user tasks).

Features register their Python functions and form schemas at import time::

    from webapp.engine import register_form, service_operation

    @service_operation("quarterly.freeze_snapshot")
    def freeze_snapshot(ctx: ServiceContext) -> dict:
        ...  # ctx.instance, ctx.org, ctx.data (read-only copy), ctx.actor, ctx.params
        return {"snapshot_id": 42}  # merged into the task data (plain JSON values only)

    register_form("quarterly.prepare", {"type": "object", ...}, label="填报季度数据")

A deploy refuses a BPMN that names an operation or form key that is not registered.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from webapp.core.models import Org, User
    from webapp.engine.models import ProcessInstance


@dataclass
class ServiceContext:
    """What a service operation receives.

    ``data`` is a copy of the task data; return a dict to merge into it.  ``actor`` is the user
    whose action ran the step (None when a timer or message did).  ``params`` are the service
    task's ``spiffworkflow:parameter`` values, evaluated in the sandbox.  Operations run inside
    the caller's transaction: flush, never commit; raise a DomainError to fail the step (the
    whole transaction is rolled back and, for timers, the instance is marked in error).
    """

    instance: ProcessInstance
    org: Org
    data: dict[str, Any]
    actor: User | None
    params: dict[str, Any] = field(default_factory=dict)
    element_id: str = ""


ServiceOperation = Callable[[ServiceContext], dict[str, Any] | None]

SERVICE_OPERATIONS: dict[str, ServiceOperation] = {}


def service_operation(name: str) -> Callable[[ServiceOperation], ServiceOperation]:
    """Register ``fn`` as the operation a BPMN service task names with ``name``."""

    def decorator(fn: ServiceOperation) -> ServiceOperation:
        SERVICE_OPERATIONS[name] = fn
        return fn

    return decorator


#: process key → who may see what an instance is about (its report, publication, assessment).
SubjectViewer = Callable[["User", "ProcessInstance"], bool]
SUBJECT_VIEWERS: dict[str, SubjectViewer] = {}


def register_subject_viewer(process_key: str, may_view: SubjectViewer) -> None:
    """Declare who may see the business object of an instance of ``process_key``.

    A copy (抄送) of a task goes only to such a user: it opens the instance's history to
    them.  A process without one: ``workflow.view`` on the instance's org.
    """
    SUBJECT_VIEWERS[process_key] = may_view


@dataclass(frozen=True)
class FormSpec:
    key: str
    schema: dict[str, Any]
    label: str
    #: Optional Jinja template rendering the form's fields (else rendered from the schema).
    template: str | None = None
    #: Optional domain check run before the task is completed (after the schema check):
    #: ``validate(task, actor, outcome, data) -> dict[field, message]`` (empty when fine).
    #: Lets a feature refuse a step whose business data is not ready (e.g. a report whose
    #: checks still show errors), for pages and API alike.
    validate: Callable[..., dict[str, str]] | None = None


FORMS: dict[str, FormSpec] = {}


def register_form(
    key: str,
    json_schema: dict[str, Any],
    *,
    label: str = "",
    template: str | None = None,
    validate: Callable[..., dict[str, str]] | None = None,
) -> FormSpec:
    """Register the JSON Schema of a user-task form (``formKey`` property in the BPMN).

    Supported keywords (validated on completion): type (object, string, integer, number,
    boolean, array), properties, required, enum, minLength, maxLength, minimum, maximum,
    pattern, items, title, description, format (date: YYYY-MM-DD).
    """
    if json_schema.get("type", "object") != "object":
        raise ValueError("a form schema must be an object schema")
    spec = FormSpec(key, copy.deepcopy(json_schema), label or key, template, validate)
    FORMS[key] = spec
    return spec


def form_schema(key: str | None) -> dict[str, Any]:
    if key and key in FORMS:
        return copy.deepcopy(FORMS[key].schema)
    return {"type": "object", "properties": {}}


#: The approval form every process can use: the outcome buttons and the 审批意见 are handled by
#: the engine, so the form itself has no fields.
register_form(
    "generic.approval",
    {"type": "object", "title": "审批", "properties": {}, "additionalProperties": True},
    label="审批（同意/退回 + 审批意见）",
)


def form_choices() -> list[tuple[str, str]]:
    """The registered forms as (key, label), sorted by key: what a user task may name."""
    return sorted((key, spec.label) for key, spec in FORMS.items())


def service_operation_names() -> list[str]:
    """The registered service operations, sorted: what a service task may name."""
    return sorted(SERVICE_OPERATIONS)
