"""What quarterly_report.bpmn and report_schedule.bpmn call: forms (with their domain checks)
and service operations.

The BPMN decides the order, the lanes and the deadlines.  This module only adapts the engine's
context: it finds the report from the instance's fixed subject, reads the task data and calls
one verb of ``webapp.reports.operations``, where the change and its audit record are made.
"""

from __future__ import annotations

from typing import Any

from webapp.core import clock
from webapp.core.errors import DomainError
from webapp.core.models import User
from webapp.engine import ServiceContext, register_form, service_operation
from webapp.periodic.flow import (
    SubjectLoader,
    drafted_by,
    numbered,
    register_document_process,
    register_scheduler,
)
from webapp.reports import operations
from webapp.reports.deadlines import next_window
from webapp.reports.models import Report
from webapp.reports.operations import RETURN_KINDS
from webapp.reports.readiness import readiness
from webapp.reports.staleness import submission_problems
from webapp.stats.periods import parse_period


#: Its tasks read "填报数据 · 2026年第一季度 · 中原区" (the period in words, never the key).
def _period_label(instance: Any) -> str:
    """ "2026年第一季度" from the subject's period ('' for an instance without a valid one)."""
    try:
        return parse_period(str((instance.subject or {}).get("period", ""))).label
    except (ValueError, DomainError):
        return ""


#: What a report's instance is about (reports.operations._start_data): fixed for its life; a
#: copy (抄送) of its task goes only to those who may read the report.
register_document_process(
    "quarterly_report",
    {
        "report_id": {"type": "integer", "title": "报告"},
        "kind": {"type": "string", "enum": ["quarterly", "annual"]},
        "period": {"type": "string", "pattern": r"^\d{4}(Q[1-4])?$"},
        "has_parent": {"type": "boolean", "title": "有上级单位"},
        "due_at": {"type": "string", "title": "截止时间"},
        "remind_at": {"type": "string", "title": "提醒时间"},
    },
    label="季度/年度分析报告",
    period_label=_period_label,
    view_action="report.view",
)


#: The report an instance is about, from its fixed subject (never from task data).
report_of = SubjectLoader(Report, "report_id", "流程对应的报告不存在。")


def validate_prepare(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict[str, str]:
    return numbered("report", readiness(report_of.of_task(task), narrative=False))


def validate_narrative(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict:
    return numbered("report", submission_problems(report_of.of_task(task)))


def validate_review(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict:
    if outcome != "approve":
        return {}
    report = report_of.of_task(task)
    if drafted_by(report.instance_id, "narrative", actor):
        return {"reviewer": "起草人不能审核本人起草的报告（职责分离），请由本单位其他审核人办理。"}
    return numbered("report", submission_problems(report))


def review_context(task: Any, user: User) -> dict[str, Any]:
    """What a reviewer's task page shows beside the buttons: the report's summary (its key
    figures, warnings with the clerk's explanations, links to the tables and the Word draft)."""
    from webapp.reports.pages import report_page

    report = report_of.of_task(task)
    if not operations.can_view(user, report):
        return {}
    return {"report_page": report_page(user, report)}


EMPTY = {"type": "object", "properties": {}}
register_form(
    "report.prepare",
    EMPTY,
    label="填报数据（附表）",
    template="reports/_task_form.html",
    validate=validate_prepare,
)
register_form(
    "report.narrative",
    EMPTY,
    label="撰写分析报告",
    template="reports/_task_form.html",
    validate=validate_narrative,
)
register_form(
    "report.review",
    EMPTY,
    label="本级审核",
    template="reports/_task_form.html",
    validate=validate_review,
    context=review_context,
)
ACCEPT_FORM = {
    "type": "object",
    "properties": {
        "return_kind": {
            "type": "string",
            "title": "退回类别",
            "enum": list(RETURN_KINDS),
            "enumNames": list(RETURN_KINDS.values()),
        },
    },
}


def validate_accept(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict:
    """Returning needs its kind (数据差错 / 内容失误 / 其他): it decides whether it is an error."""
    if outcome == "return" and data.get("return_kind") not in RETURN_KINDS:
        return {"return_kind": "退回时必须选择退回类别（数据差错、内容失误或其他）。"}
    return {}


register_form(
    "report.accept",
    ACCEPT_FORM,
    label="上级接收",
    template="reports/_task_form.html",
    validate=validate_accept,
    context=review_context,
)


@service_operation("report.submit")
def submit(ctx: ServiceContext) -> dict[str, Any]:
    """The unit's reviewer approved: freeze the figures, archive the Word file, send it up."""
    return operations.submit(report_of(ctx.subject), ctx.actor)


@service_operation("report.accept")
def accept(ctx: ServiceContext) -> dict[str, Any]:
    """The upper level (or, for the province, its own approval) accepted: lock and archive."""
    return operations.accept(report_of(ctx.subject), ctx.actor)


@service_operation("report.returned")
def returned(ctx: ServiceContext) -> dict[str, Any]:
    """The upper level returned the submission with its reasons (counts against the unit)."""
    kind = str(ctx.data.get("return_kind") or "other")
    comment = str(ctx.data.get("comment") or "")
    operations.record_return(report_of(ctx.subject), ctx.actor, kind, comment)
    return {}


@service_operation("report.remind", withdrawable=True)
def remind(ctx: ServiceContext) -> dict[str, Any]:
    """Reminder before the due date to whoever holds the open step (not for backfilled periods)."""
    from webapp.engine import notify_candidates

    def tell_candidates(message: str) -> dict[str, Any]:
        ctx.params["message"] = message
        return notify_candidates(ctx)

    operations.remind_due(report_of(ctx.subject), tell_candidates)
    return {}


@service_operation("report.overdue", withdrawable=True)
def overdue(ctx: ServiceContext) -> dict[str, Any]:
    """At the due date: mark the report overdue, tell the upper level's reviewers and whoever
    holds the unit's open step."""
    from webapp.engine import notify_candidates

    def tell_holders(message: str) -> dict[str, Any]:
        ctx.params.update(message=message, kind="overdue")
        return notify_candidates(ctx)

    operations.mark_overdue(report_of(ctx.subject), tell_holders)
    return {}


#: report_schedule.bpmn: ``reports.next_window`` and ``reports.open_scheduled`` (the latter kept
#: for instances of versions before ``reports.open_windows``).
register_scheduler(
    "reports", next_window, operations.open_period, process="report_schedule", label="报告期调度"
)


@service_operation("reports.open_windows")
def open_current_windows(ctx: ServiceContext) -> dict[str, Any]:
    """Open every window open now (at the scheduler's start and each time its timer fires):
    a window already open when the system starts, or missed while the worker was down, is
    opened at once for the units not yet due; idempotent."""
    opened = operations.open_current_windows(clock.now())
    return {"opened_windows": opened, "stop_schedule": False}
