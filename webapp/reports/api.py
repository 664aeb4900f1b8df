"""Reports API: open a period, list reports, read one with its tables, draft, download.

Steps of the flow (submit, approve, accept, return) are the engine's task operations
(``POST /api/v1/tasks/<id>/complete``), with the same checks as the pages.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from webapp.api import require_login
from webapp.core.errors import PermissionDenied
from webapp.core.models import Org
from webapp.core.operations import get_org
from webapp.core.permissions import require
from webapp.core.schemas import ErrorSchema
from webapp.drafts import operations as drafts
from webapp.drafts.schemas import DraftConflictSchema, SavedSchema
from webapp.extensions import csrf, db
from webapp.reports import operations as ops
from webapp.reports.drafting import EXPLANATIONS, NARRATIVE
from webapp.reports.models import Report
from webapp.reports.readiness import data_problems, editable, figures, narrative_problems
from webapp.reports.schemas import (
    DeadlineSchema,
    ExplanationsSchema,
    NarrativeSchema,
    OpenPeriodSchema,
    OpenResultSchema,
    ReportDetailSchema,
    ReportListSchema,
    ReportQuerySchema,
    ReportSchema,
)
from webapp.reports.sections import sections
from webapp.reports.state import report_state
from webapp.web import role_gate

bp = Blueprint(
    "api_reports", __name__, url_prefix="/api/v1/reports", description="季度/年度工程质量分析报告"
)
bp.before_request(require_login)
bp.before_request(role_gate("report.write", writes_only=True))
csrf.exempt(bp)


def _summary(report: Report) -> dict[str, Any]:
    state = report_state(report)
    return {
        "id": report.id,
        "org_code": report.org.code,
        "org_name": report.org.name,
        "period": report.period,
        "kind": report.kind,
        "state": state.value,
        "state_label": state.label,
        "round": report.round,
        "instance_id": report.instance_id,
        "due_at": report.due_at,
        "submitted_at": report.submitted_at,
        "accepted_at": report.accepted_at,
        "overdue": report.overdue_at is not None,
        "upper_returns": report.upper_returns,
    }


@bp.route("/open", methods=["POST"])
@bp.arguments(OpenPeriodSchema)
@bp.response(200, OpenResultSchema)
@bp.alt_response(403, schema=ErrorSchema)
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
    if args.get("org"):
        org = get_org(args["org"])
        where = Org.id == org.id
    else:
        org = get_org(args["under"]) if args.get("under") else current_user.org
        where = Org.path.like(org.path + "%")
    require(current_user, "report.view", org)
    stmt = (
        select(Report)
        .join(Org, Report.org_id == Org.id)
        .where(where)
        .order_by(Org.path, Report.period)
    )
    if args.get("period"):
        stmt = stmt.where(Report.period == args["period"])
    items = [_summary(r) for r in db.session.execute(stmt).scalars()]
    if args.get("state"):
        items = [i for i in items if i["state"] == args["state"]]
    return {"items": items}


def _viewable(report_id: int) -> Report:
    report = ops.get_report(report_id)
    if not ops.can_view(current_user, report):
        raise PermissionDenied("您无权查看该报告。")
    return report


@bp.route("/<int:report_id>")
@bp.response(200, ReportDetailSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
def get_report(report_id: int) -> Any:
    """A report: state, tables (frozen once submitted), checks, narrative, problems, documents."""
    report = _viewable(report_id)
    data = figures(report)
    live = editable(report)
    return {
        **_summary(report),
        "tables": data["tables"],
        "checks": data["checks"],
        "lower_units": data.get("lower_units", []),
        "narrative": dict(report.narrative or {}),
        "sections": [{"key": k, "title": t} for k, t in sections(report.kind)],
        "explanations": dict(report.explanations or {}),
        "missing_explanation": report.missing_explanation,
        "narrative_versions": drafts.current_versions(NARRATIVE, report),
        "explanation_versions": drafts.current_versions(EXPLANATIONS, report),
        "problems": (data_problems(report, data) + narrative_problems(report)) if live else [],
        "documents": [
            {
                "id": d.id,
                "version": d.version,
                "stage": d.stage,
                "filename": d.filename,
                "sha256": d.sha256,
                "created_at": d.created_at,
            }
            for d in report.documents
        ],
        "frozen": not live,
    }


@bp.route("/<int:report_id>/narrative", methods=["PUT"])
@bp.arguments(NarrativeSchema)
@bp.response(200, SavedSchema)
@bp.alt_response(409, schema=DraftConflictSchema, description="他人已保存较新版本：两份文字")
@bp.alt_response(422, schema=ErrorSchema, description="未知章节或超过字数上限")
def put_narrative(body: dict[str, Any], report_id: int) -> Any:
    """Save narrative sections (keys s01…s11, s12 for the annual report), each with the version
    it was based on (``base_versions``, from ``narrative_versions``).  A stale save is refused
    (409) with the current and the submitted text; nothing is saved then."""
    report = ops.get_report(report_id)
    result = ops.save_narrative(current_user, report, body["sections"], body["base_versions"])
    return {"changed": result.changed, "versions": result.versions}


@bp.route("/<int:report_id>/explanations", methods=["PUT"])
@bp.arguments(ExplanationsSchema)
@bp.response(200, SavedSchema)
@bp.alt_response(409, schema=DraftConflictSchema, description="他人已保存较新版本：两份文字")
@bp.alt_response(422, schema=ErrorSchema, description="未知预警或超过字数上限")
def put_explanations(body: dict[str, Any], report_id: int) -> Any:
    """Explanations of warnings (check id → text) and of missing lower units, with their base
    versions (``explanation_versions``); unknown check ids and texts over 2000 characters are
    refused (422)."""
    report = ops.get_report(report_id)
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
@bp.alt_response(403, schema=ErrorSchema)
def document(report_id: int) -> Any:
    """The Word file: archived once submitted, a draft rendered from live figures before."""
    from webapp.reports.views import document_response

    return document_response(ops.get_report(report_id), "docx")


@bp.route("/<int:report_id>/deadline", methods=["POST"])
@bp.arguments(DeadlineSchema)
@bp.response(200, ReportSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(409, schema=ErrorSchema)
def extend_deadline(body: dict[str, Any], report_id: int) -> Any:
    """延期: a new due date, by the upper level's reviewer or leader or an administrator."""
    report = ops.get_report(report_id)
    ops.extend_deadline(current_user, report, body["due_date"], body["reason"])
    return _summary(report)
