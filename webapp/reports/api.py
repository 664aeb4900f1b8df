"""Reports API: open a period, list reports, read one with its tables, draft, download.

Steps of the flow (submit, approve, accept, return) are the engine's task operations
(``POST /api/v1/tasks/<id>/complete``), with the same checks as the pages.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from webapp.api import feature_api, listed, refusals
from webapp.core.permissions import require
from webapp.drafts.api import saves_sections
from webapp.reports import operations as ops
from webapp.reports.models import Report
from webapp.reports.pages import report_page, report_row, report_rows, viewable_report
from webapp.reports.schemas import (
    DeadlineSchema,
    ExplanationsSchema,
    MeetingSchema,
    NarrativeSchema,
    OpenPeriodSchema,
    OpenResultSchema,
    ReportDetailSchema,
    ReportListSchema,
    ReportQuerySchema,
    ReportSchema,
)

bp = feature_api(
    "api_reports", __name__, "/api/v1/reports", "季度/年度工程质量分析报告", gate="report.write"
)


@bp.route("/open", methods=["POST"])
@bp.arguments(OpenPeriodSchema)
@bp.response(200, OpenResultSchema)
@refusals(bp, 403)
def open_period(body: dict[str, str]) -> Any:
    """Open a period for every reporting unit (administrator; idempotent; "2026" = annual)."""
    require(current_user, "report.open")
    counts = ops.open_period(current_user, body["period"])
    return {"period": body["period"], **counts}


@bp.route("")
@bp.arguments(ReportQuerySchema, location="query")
@bp.response(200, ReportListSchema)
def list_reports(args: dict[str, str]) -> Any:
    """Reports of one org (``org``), or of an org and every unit below it (``under``;
    default: the user's org and below), by period and state."""
    items = report_rows(list(listed(Report, args, "report.view")))
    if args.get("state"):
        items = [i for i in items if i.state == args["state"]]
    return {"items": items}


@bp.route("/<int:report_id>")
@bp.response(200, ReportDetailSchema)
@refusals(bp, 403, 404)
def get_report(report_id: int) -> Any:
    """A report: state, tables (frozen once submitted), checks, narrative, problems, documents."""
    return report_page(current_user, viewable_report(current_user, report_id))


@bp.route("/<int:report_id>/meeting", methods=["PUT"])
@bp.arguments(MeetingSchema)
@bp.response(200, MeetingSchema)
@refusals(bp, 403, described={422: "日期不在本季度以来或文字过短、过长"})
def put_meeting(body: dict[str, Any], report_id: int) -> Any:
    """第十四条: record the quarter's analysis meeting with the report while it is drafted."""
    report = viewable_report(current_user, report_id)
    return ops.save_meeting(
        current_user, report, body["held_on"], body["attendees"], body["conclusions"]
    )


@bp.route("/<int:report_id>/narrative", methods=["PUT"])
@bp.arguments(NarrativeSchema)
@saves_sections(bp, "未知章节或超过字数上限")
def put_narrative(body: dict[str, Any], report_id: int) -> Any:
    """Save narrative sections (keys s01…s11, s12 for the annual report), each with the version
    it was based on (``base_versions``, from ``narrative_versions``).  A stale save is refused
    (409) with the current and the submitted text; nothing is saved then."""
    report = ops.get_report(report_id, current_user)
    result = ops.save_narrative(current_user, report, body["sections"], body["base_versions"])
    return {"changed": result.changed, "versions": result.versions}


@bp.route("/<int:report_id>/explanations", methods=["PUT"])
@bp.arguments(ExplanationsSchema)
@saves_sections(bp, "未知预警、超过字数上限或少于最少字数")
def put_explanations(body: dict[str, Any], report_id: int) -> Any:
    """Explanations of warnings (check id → text) and of missing lower units, with their base
    versions (``explanation_versions``); unknown check ids, texts over 2000 characters and
    non-empty texts under ``explanation_min_chars`` (the setting REPORT_MIN_EXPLANATION) are
    refused (422), nothing saved."""
    report = ops.get_report(report_id, current_user)
    result = ops.save_explanations(
        current_user,
        report,
        body.get("explanations") or {},
        body.get("missing_explanation"),
        body["base_versions"],
    )
    return {"changed": result.changed, "versions": result.versions}


@bp.route("/<int:report_id>/document.docx")
@bp.response(
    200, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)
@refusals(bp, 403)
def document(report_id: int) -> Any:
    """The Word file: archived once submitted, a draft rendered from live figures before."""
    from webapp.reports.views import document_response

    return document_response(ops.get_report(report_id, current_user), "docx")


@bp.route("/<int:report_id>/deadline", methods=["POST"])
@bp.arguments(DeadlineSchema)
@bp.response(200, ReportSchema)
@refusals(bp, 403, 409)
def extend_deadline(body: dict[str, Any], report_id: int) -> Any:
    """延期: a new due date, by the upper level's reviewer or leader or an administrator."""
    report = ops.get_report(report_id, current_user)
    ops.extend_deadline(current_user, report, body["due_date"], body["reason"])
    return report_row(report)
