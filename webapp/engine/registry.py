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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from webapp.core.models import Org, User
    from webapp.engine.models import HumanTask, ProcessInstance


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

    @property
    def subject(self) -> dict[str, Any]:
        """What the instance is about, fixed at its start (its report, unit, deadlines...):
        find the business object here, never in ``data``, which tasks write."""
        return dict(self.instance.subject or {})


ServiceOperation = Callable[[ServiceContext], dict[str, Any] | None]

SERVICE_OPERATIONS: dict[str, ServiceOperation] = {}
#: operation name → the task-data names it may return, where declared (``outputs=``); an
#: operation without a declaration has its results read from its source at deploy
#: (:mod:`webapp.engine.names`).
SERVICE_OUTPUTS: dict[str, frozenset[str]] = {}
#: The operations a 撤回 (withdrawal) of the step before them need not undo (see
#: :func:`service_operation`).
WITHDRAWABLE_OPERATIONS: set[str] = set()


def service_operation(
    name: str, *, withdrawable: bool = False, outputs: Iterable[str] | None = None
) -> Callable[[ServiceOperation], ServiceOperation]:
    """Register ``fn`` as the operation a BPMN service task names with ``name``.

    ``withdrawable``: what the operation did stays true when the step before it is taken back
    (a reminder of a date, a deadline that passed).  A withdrawal is refused once any other
    service task ran after the step, because its effect (a submission frozen, a message sent
    up) cannot be taken back with it.

    ``outputs``: the names of the dict it returns, when its source does not show them (a deploy
    refuses a condition reading a name nothing defines: webapp.engine.names).
    """

    def decorator(fn: ServiceOperation) -> ServiceOperation:
        SERVICE_OPERATIONS[name] = fn
        if outputs is not None:
            SERVICE_OUTPUTS[name] = frozenset(outputs)
        else:
            SERVICE_OUTPUTS.pop(name, None)
        if withdrawable:
            WITHDRAWABLE_OPERATIONS.add(name)
        else:
            WITHDRAWABLE_OPERATIONS.discard(name)
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


#: process key → what an instance is about in words, e.g. "2026年第一季度" (its period).
SubjectLabel = Callable[["ProcessInstance"], str]
SUBJECT_LABELS: dict[str, SubjectLabel] = {}


def register_subject_label(process_key: str, label: SubjectLabel) -> None:
    """Declare how an instance of ``process_key`` is named on screen beside its unit, e.g.
    its period ("2026年第一季度"), so that tasks read "填报数据 · 2026年第一季度 · 中原区" and never
    show a business key.  ``label(instance)`` reads the instance's fixed subject."""
    SUBJECT_LABELS[process_key] = label


#: process key → the page where a task of it is worked on (the report's workspace…).
TaskPage = Callable[["HumanTask"], "str | None"]
TASK_PAGES: dict[str, TaskPage] = {}


def register_task_page(process_key: str, page: TaskPage) -> None:
    """Declare the feature page where a task of ``process_key`` is done (its URL; None: the
    engine's task page).  The inbox links there and, after an action, the user lands there
    when the instance's next step is theirs."""
    TASK_PAGES[process_key] = page


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
    #: Optional read model the task page shows beside the form (the reviewer's summary of the
    #: report): ``context(task, user) -> dict`` passed to ``template`` (empty: nothing more).
    context: Callable[..., dict[str, Any]] | None = None


FORMS: dict[str, FormSpec] = {}

#: Set by the engine on every instance at start (part of its fixed subject).
ENGINE_SUBJECT = frozenset({"org_code", "business_key", "process_key"})
#: Task-data names the engine itself writes on completion: never a form field.
RESERVED_KEYS = frozenset({"outcome", "comment", "target"})


def _check_field_names(names: Any, what: str) -> None:
    bad = sorted(n for n in names if n in RESERVED_KEYS | ENGINE_SUBJECT or n.startswith("_"))
    if bad:
        raise ValueError(f"{what}: field names reserved by the engine: {bad}")


def register_form(
    key: str,
    json_schema: dict[str, Any],
    *,
    label: str = "",
    template: str | None = None,
    validate: Callable[..., dict[str, str]] | None = None,
    context: Callable[..., dict[str, Any]] | None = None,
) -> FormSpec:
    """Register the JSON Schema of a user-task form (``formKey`` property in the BPMN).

    Supported keywords (validated on completion): type (object, string, integer, number,
    boolean, array), properties, required, enum, minLength, maxLength, minimum, maximum,
    pattern, items, title, description, format (date: YYYY-MM-DD).
    """
    if json_schema.get("type", "object") != "object":
        raise ValueError("a form schema must be an object schema")
    if json_schema.get("additionalProperties", False) is not False:
        raise ValueError(f"form {key}: a task accepts only the fields its form declares")
    _check_field_names(json_schema.get("properties", {}), f"form {key}")
    spec = FormSpec(key, copy.deepcopy(json_schema), label or key, template, validate, context)
    FORMS[key] = spec
    return spec


def declared_fields(key: str | None) -> frozenset[str]:
    """The fields a task with this form may write (everything else is refused)."""
    return frozenset(registered_schema(key).get("properties", {}))


@dataclass(frozen=True)
class StartForm:
    """What an instance of ``process_key`` is about: its start data, fixed for its life."""

    process_key: str
    schema: dict[str, Any]
    label: str


START_FORMS: dict[str, StartForm] = {}


def register_start_form(process_key: str, json_schema: dict[str, Any], *, label: str) -> None:
    """Register the start data of a process.  Its fields become the instance's **subject**:
    validated at start (undeclared fields refused), then fixed — no task form, BPMN script or
    service operation may change them (a deadline moves only by :func:`change_subject`)."""
    if json_schema.get("type", "object") != "object":
        raise ValueError("a start form schema must be an object schema")
    _check_field_names(json_schema.get("properties", {}), f"start form {process_key}")
    schema = {**copy.deepcopy(json_schema), "additionalProperties": False}
    START_FORMS[process_key] = StartForm(process_key, schema, label)


#: process key → the check that a user may start it through ``POST /api/v1/instances`` for the
#: business object its start data names: ``admit(user, org, data)`` raises a DomainError
#: (PermissionDenied, NotFound, Conflict...) or returns.  A process without one is started only
#: by its feature (a report period, an accident record): the API refuses it.
StartAdmission = Callable[["User", "Org", dict[str, Any]], None]
START_ADMISSIONS: dict[str, StartAdmission] = {}


def register_start_admission(process_key: str, admit: StartAdmission) -> None:
    """Let ``process_key`` (which has a start form) be started through the API; ``admit``
    checks the user's right to the business object the (already validated) start data names."""
    if process_key not in START_FORMS:
        raise ValueError(f"{process_key}: register its start form first")
    START_ADMISSIONS[process_key] = admit


def fixed_names(process_key: str) -> frozenset[str]:
    """The names no task or script of ``process_key`` may assign."""
    start = START_FORMS.get(process_key)
    declared = frozenset(start.schema.get("properties", {})) if start else frozenset()
    return ENGINE_SUBJECT | declared


def form_schema(key: str | None) -> dict[str, Any]:
    """The form's JSON schema, a copy the caller may change."""
    return copy.deepcopy(registered_schema(key))


#: The schema of a task without a registered form: no field.
_NO_FIELDS: dict[str, Any] = {"type": "object", "properties": {}}


def registered_schema(key: str | None) -> dict[str, Any]:
    """The form's JSON schema as registered, not copied: to read, never to change (the
    completion path validates against it; a copy per call was a tenth of a millisecond)."""
    if key and key in FORMS:
        return FORMS[key].schema
    return _NO_FIELDS


#: The approval form every process can use: the outcome buttons and the 审批意见 are handled by
#: the engine, so the form itself has no fields.
register_form(
    "generic.approval",
    {"type": "object", "title": "审批", "properties": {}},
    label="审批（同意/退回 + 审批意见）",
)


def form_choices() -> list[tuple[str, str]]:
    """The registered forms as (key, label), sorted by key: what a user task may name."""
    return sorted((key, spec.label) for key, spec in FORMS.items())


def service_operation_names() -> list[str]:
    """The registered service operations, sorted: what a service task may name."""
    return sorted(SERVICE_OPERATIONS)
