"""What quarterly_report.bpmn calls: its forms (with their domain checks) and service operations.

The BPMN decides the order, the lanes and the deadlines; these functions only do the step named.
"""

from __future__ import annotations

from typing import Any

from webapp.archive import operations as archive
from webapp.core import audit, clock
from webapp.core.errors import NotFound
from webapp.core.models import User
from webapp.core.permissions import can
from webapp.engine import (
    ServiceContext,
    register_form,
    register_start_form,
    register_subject_viewer,
    service_operation,
)
from webapp.extensions import db
from webapp.reports.document import _last_completer, archive_document, freeze
from webapp.reports.models import Report
from webapp.reports.readiness import readiness, reviewers_of

#: What a report's instance is about (reports.operations._start_data): fixed for its life.
register_start_form(
    "quarterly_report",
    {
        "type": "object",
        "properties": {
            "report_id": {"type": "integer", "title": "报告"},
            "kind": {"type": "string", "enum": ["quarterly", "annual"]},
            "period": {"type": "string", "pattern": r"^\d{4}(Q[1-4])?$"},
            "has_parent": {"type": "boolean", "title": "有上级单位"},
            "due_at": {"type": "string", "title": "截止时间"},
            "remind_at": {"type": "string", "title": "提醒时间"},
        },
    },
    label="季度/年度分析报告",
)
register_start_form("report_schedule", {"type": "object", "properties": {}}, label="报告期调度")


def report_of(subject: dict[str, Any]) -> Report:
    """The report an instance is about, from its fixed subject (never from task data)."""
    report = db.session.get(Report, int(subject.get("report_id") or 0))
    if report is None:
        raise NotFound("流程对应的报告不存在。")
    return report


def _report_for_task(task: Any) -> Report:
    return report_of(task.instance.subject or {})


def _problems(problems: list[str]) -> dict[str, str]:
    return {f"report_{i}": p for i, p in enumerate(problems, 1)}


def validate_prepare(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict[str, str]:
    return _problems(readiness(_report_for_task(task), narrative=False))


def validate_narrative(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict:
    return _problems(readiness(_report_for_task(task)))


def validate_review(task: Any, actor: User, outcome: str, data: dict[str, Any]) -> dict:
    if outcome != "approve":
        return {}
    report = _report_for_task(task)
    drafter = _last_completer(report, "narrative")
    if drafter is not None and drafter.id == actor.id:
        return {"reviewer": "起草人不能审核本人起草的报告（职责分离），请由本单位其他审核人办理。"}
    return _problems(readiness(report))


#: A copy (抄送) of a report's task goes only to those who may read the report.
register_subject_viewer(
    "quarterly_report", lambda user, instance: can(user, "report.view", instance.org)
)

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
)
#: 退回类别: the upper level classifies every return (domain.md §7, reporting record).  Only
#: 数据差错 and 内容失误 count as errors against the unit (第八条(五) "对报送…出现差错的").
RETURN_KINDS = {
    "data_error": "数据差错",
    "content_error": "内容失误",
    "other": "其他（格式、补充说明等）",
}
ERROR_KINDS = ("data_error", "content_error")

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
)


def _audit(action: str, report: Report, actor: User | None, **extra: Any) -> None:
    after = {
        "period": report.period,
        "kind": report.kind,
        "round": report.round,
        "subject": f"report:{report.id}",
        **extra.pop("after", {}),
    }
    audit.record(
        action,
        actor=actor,
        actor_name=None if actor else "system",
        org=report.org,
        object_type="report",
        object_id=report.id,
        after=after,
        **extra,
    )


@service_operation("report.submit")
def submit(ctx: ServiceContext) -> dict[str, Any]:
    """The unit's reviewer approved: freeze the figures, archive the Word file, send it up."""
    report = report_of(ctx.subject)
    now = clock.now()
    snapshot = freeze(report, ctx.actor)
    report.snapshot = snapshot
    report.submitted_at = now
    first = report.first_submitted_at is None
    if first:
        report.first_submitted_at = now
    doc = archive_document(report, snapshot, ctx.actor, "submitted")
    on_time = (report.first_submitted_at or now) <= report.due_at
    _audit(
        "report.submit",
        report,
        ctx.actor,
        after={
            "due_at": report.due_at.isoformat(),
            "on_time": on_time,
            "first": first,
            "document": doc.sha256,
            "checks": len(snapshot["checks"]),
        },
    )
    return {"submitted_at": now.isoformat(), "document_id": doc.id}


@service_operation("report.accept")
def accept(ctx: ServiceContext) -> dict[str, Any]:
    """The upper level (or, for the province, its own approval) accepted: lock and archive."""
    report = report_of(ctx.subject)
    now = clock.now()
    report.accepted_at = now
    report.locked = True
    report.accepted_snapshot = report.snapshot
    latest = archive.latest("report", report.id)
    if latest is not None:
        latest.stage = "accepted"  # the file sent up, archived unchanged
    _audit(
        "report.accept", report, ctx.actor, after={"document": latest.sha256 if latest else None}
    )
    return {"accepted_at": now.isoformat()}


@service_operation("report.returned")
def returned(ctx: ServiceContext) -> dict[str, Any]:
    """The upper level returned the submission with its reasons (counts against the unit)."""
    report = report_of(ctx.subject)
    report.upper_returns += 1
    kind = str(ctx.data.get("return_kind") or "other")
    _audit(
        "report.return",
        report,
        ctx.actor,
        message=str(ctx.data.get("comment") or ""),
        after={"return_kind": kind, "error": kind in ERROR_KINDS},
    )
    return {}


@service_operation("report.remind")
def remind(ctx: ServiceContext) -> dict[str, Any]:
    """Reminder before the due date to whoever holds the open step (not for backfilled periods)."""
    from webapp.engine import notify_candidates

    report = report_of(ctx.subject)
    if report.opened_at >= report.remind_at or report.first_submitted_at is not None:
        return {}
    local_due = clock.to_local(report.due_at)
    ctx.params["message"] = f"报送期限为 {local_due:%Y-%m-%d %H:%M}，请抓紧办理。"
    result = notify_candidates(ctx)
    _audit("report.remind", report, None, after=result)
    return {}


@service_operation("report.overdue")
def overdue(ctx: ServiceContext) -> dict[str, Any]:
    """At the due date: mark the report overdue and tell the upper level's reviewers."""
    from webapp.engine import notify

    report = report_of(ctx.subject)
    if (
        report.opened_at >= report.due_at
        or report.first_submitted_at is not None
        or report.overdue_at is not None
    ):
        return {}
    report.overdue_at = clock.now()
    upper = report.org.parent
    notified = 0
    if upper is not None:
        for user in reviewers_of(upper.id):
            notify(
                user,
                "overdue",
                f"{report.org.name}{report.period}工程质量分析报告已逾期未报，请督促。",
            )
            notified += 1
    _audit("report.overdue", report, None, after={"notified": notified})
    return {}


@service_operation("reports.next_window")
def schedule_next(ctx: ServiceContext) -> dict[str, Any]:
    """The scheduler's next step: which period opens next, and when (aware ISO)."""
    from webapp.reports.deadlines import next_window

    period, opens = next_window(clock.now())
    return {"next_period": period, "next_open_at": opens.isoformat(), "stop_schedule": False}


@service_operation("reports.open_windows")
def open_current_windows(ctx: ServiceContext) -> dict[str, Any]:
    """Open every window open now (at the scheduler's start and each time its timer fires):
    a window already open when the system starts, or missed while the worker was down, is
    opened at once for the units not yet due; idempotent."""
    from webapp.reports.deadlines import open_windows
    from webapp.reports.operations import open_period

    now = clock.now()
    opened = {}
    for period in open_windows(now):
        opened[period] = open_period(None, period, due_after=now)["opened"]
    return {"opened_windows": opened, "stop_schedule": False}


@service_operation("reports.open_scheduled")
def open_scheduled(ctx: ServiceContext) -> dict[str, Any]:
    """The window opened: start the period for every reporting unit (idempotent).  Kept for
    instances of report_schedule.bpmn versions before ``reports.open_windows``."""
    from webapp.reports.operations import open_period

    counts = open_period(None, str(ctx.data["next_period"]))
    return {"opened_period": ctx.data["next_period"], "opened_units": counts["opened"]}
