"""JSON API of the assessments under /api/v1/assessment (thin: parse, check, one operation)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import request
from flask_login import current_user
from sqlalchemy import select

from webapp.api import feature_api
from webapp.assessment import flow, judging, operations, sampling
from webapp.assessment.access import is_province_user, province, scores_visible
from webapp.assessment.models import AssessmentCampaign, ScoreSheet
from webapp.assessment.schemas import (
    ApproveSchema,
    CampaignDetailSchema,
    CampaignListSchema,
    CampaignSchema,
    EvidenceSchema,
    OpenCampaignSchema,
    OpinionSchema,
    OverrideSchema,
    RankingRowSchema,
    ReasonSchema,
    SampleRequestSchema,
    SampleSchema,
    ScoreRequestSchema,
    ScoreResultSchema,
    ScoreUnitSchema,
    SelfAssessmentSchema,
    SheetListSchema,
    SheetSchema,
    SiteSchema,
    SiteVisitSchema,
    UnitScoresSchema,
    UnitSummarySchema,
    campaign_detail,
    sheet_to_api,
    unit_summary,
)
from webapp.assessment.scoring import parse_judgments, score_sheet
from webapp.core.errors import InvalidInput, PermissionDenied
from webapp.core.permissions import can, require
from webapp.extensions import db

#: Every assessment permission's roles hold assessment.view: others (auditors) are refused
#: before a body is parsed or an object loaded.
bp = feature_api(
    "api_assessment",
    __name__,
    "/api/v1/assessment",
    "考核：评分表、考核活动、自评、抽查、评分、排名",
    gate="assessment.view",
    writes_only=False,
)


# Sheets -----------------------------------------------------------------------------------------
@bp.route("/sheets")
@bp.response(200, SheetListSchema)
def list_sheets() -> Any:
    """Score-sheet versions (newest first), each with its sections, items and rules."""
    require(current_user, "assessment.view")
    rows = db.session.execute(
        select(ScoreSheet).order_by(
            ScoreSheet.kind, ScoreSheet.year.desc(), ScoreSheet.version.desc()
        )
    ).scalars()
    return {"items": [sheet_to_api(r) for r in rows]}


@bp.route("/sheets", methods=["POST"])
@bp.response(201, SheetSchema)
@bp.doc(requestBody={"content": {"application/json": {"schema": {"type": "object"}}}})
def upload_sheet() -> Any:
    """Upload a sheet file (the JSON body, format of docs/assessment.md) as a new, inactive
    version; refused with every problem named when it does not add up."""
    row = operations.upload_sheet(current_user, request.get_data(), "api.json")
    return sheet_to_api(row)


@bp.route("/sheets/<int:sheet_id>/activate", methods=["POST"])
@bp.response(200, SheetSchema)
def activate_sheet(sheet_id: int) -> Any:
    """Make a version the active sheet of its kind and year."""
    return sheet_to_api(operations.activate_sheet(current_user, sheet_id))


@bp.route("/sheets/<int:sheet_id>/score", methods=["POST"])
@bp.arguments(ScoreRequestSchema)
@bp.response(200, ScoreResultSchema)
def compute_score(body: dict[str, Any], sheet_id: int) -> Any:
    """Compute item, section and total scores without saving (items not judged: fully met)."""
    require(current_user, "assessment.view")
    sheet = operations.get_sheet(sheet_id).parsed()
    judgments = parse_judgments(sheet, body.get("judgments") or {})
    return score_sheet(sheet, judgments, body.get("tier")).to_dict()


# Campaigns --------------------------------------------------------------------------------------
@bp.route("/campaigns")
@bp.response(200, CampaignListSchema)
def list_campaigns() -> Any:
    """Campaigns, newest first."""
    require(current_user, "assessment.view")
    rows = db.session.execute(
        select(AssessmentCampaign).order_by(AssessmentCampaign.year.desc(), AssessmentCampaign.kind)
    ).scalars()
    return {"items": list(rows)}


@bp.route("/campaigns", methods=["POST"])
@bp.arguments(OpenCampaignSchema)
@bp.response(201, CampaignSchema)
def open_campaign(body: dict[str, Any]) -> Any:
    """Open a campaign for every city and directly administered county and start its process
    (year_end_assessment, which starts each unit's self-assessment)."""
    kind, year = body.pop("kind"), body.pop("year")
    # a due date already past would mark every unit overdue at once: ask for a new one
    return flow.start_campaign(current_user, kind, year, ask_new_due=True, **body)


@bp.route("/campaigns/<int:campaign_id>")
@bp.response(200, CampaignDetailSchema)
def get_campaign(campaign_id: int) -> Any:
    """A campaign with its units (a unit's staff see their own unit only)."""
    campaign = operations.get_campaign(campaign_id)
    require(current_user, "assessment.view")
    units = [u for u in campaign.units if can(current_user, "assessment.view", u.org)]
    visible = is_province_user(current_user) or campaign.state == "approved"
    data = campaign_detail(campaign, units, visible)
    instance = flow.province_instance(campaign)
    data["instance_id"] = instance.id if instance is not None else None
    tasks = flow.tasks_by_unit(campaign) if instance is not None else {}
    for row, unit in zip(data["units"], units, strict=True):
        own = flow.unit_instance(unit)
        row["instance_id"] = own.id if own is not None else None
        row["task_id"] = tasks[unit.id].id if unit.id in tasks else None
    steps = flow.campaign_tasks(campaign) if is_province_user(current_user) else []
    data["tasks"] = [{"id": t.id, "element_id": t.element_id, "name": t.name} for t in steps]
    return data


@bp.route("/campaigns/<int:campaign_id>/ranking")
@bp.response(200, RankingRowSchema(many=True))
def get_ranking(campaign_id: int) -> Any:
    """``[{"org_code", "total", "rank"}]``; units see it once the results are approved."""
    campaign = operations.get_campaign(campaign_id)
    require(current_user, "assessment.view")
    if not (is_province_user(current_user) or campaign.state == "approved"):
        raise PermissionDenied("考核结果审批后方可查看排名。")
    return judging.ranking(campaign)


@bp.route("/campaigns/<int:campaign_id>/close-self-assessment", methods=["POST"])
@bp.response(200, CampaignSchema)
def close_self(campaign_id: int) -> Any:
    """End the self-assessment phase; scoring starts (completes the process's 结束自评 task)."""
    require(current_user, "assessment.view")
    flow.act_on_campaign(current_user, campaign_id, "close")
    return operations.get_campaign(campaign_id)


@bp.route("/campaigns/<int:campaign_id>/sample", methods=["POST"])
@bp.arguments(SampleRequestSchema)
@bp.response(201, SampleSchema)
def draw_sample(body: dict[str, Any], campaign_id: int) -> Any:
    """Draw the sites to visit (seed recorded; too few candidates refused unless accepted).

    When the campaign's process waits at 抽取现场, the draw completes that task."""
    require(current_user, "assessment.view")
    sample = flow.draw_sample(
        current_user,
        campaign_id,
        body["seed"],
        accept_shortfall=body["accept_shortfall"],
        as_of=body["as_of"],
    )
    campaign = operations.get_campaign(campaign_id)
    sites = {u.org.code: [s.project_ref for s in u.sites] for u in campaign.units}
    return {
        "id": sample.id,
        "seed": sample.seed,
        "as_of": sample.as_of,
        "shortfalls": sample.shortfalls,
        "sites": sites,
    }


@bp.route("/campaigns/<int:campaign_id>/rank", methods=["POST"])
@bp.response(200, RankingRowSchema(many=True))
def rank(campaign_id: int) -> Any:
    """Total and rank every unit again after the results were returned (ties share a rank).

    The ranking is a process step (after the last unit's scores are reviewed): this completes
    按审批意见修改评分, refused while the process does not wait there."""
    require(current_user, "assessment.view")
    flow.act_on_campaign(current_user, campaign_id, "rescore")
    return judging.ranking(operations.get_campaign(campaign_id))


@bp.route("/campaigns/<int:campaign_id>/approve", methods=["POST"])
@bp.arguments(ApproveSchema)
@bp.response(200, CampaignSchema)
def approve(body: dict[str, Any], campaign_id: int) -> Any:
    """The province's leader approves the results (附件2: with the chosen awards)."""
    require(current_user, "assessment.view")
    opinion = body.pop("opinion")
    flow.act_on_campaign(current_user, campaign_id, "approve", opinion, body)
    return operations.get_campaign(campaign_id)


def _province_right(action: str) -> Any:
    """Check the caller's right at the province before the body is parsed (an auditor gets a
    403, not a 422)."""

    def decorator(fn: Any) -> Any:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require(current_user, action, province())
            return fn(*args, **kwargs)

        return wrapper

    return decorator


@bp.route("/campaigns/<int:campaign_id>/return", methods=["POST"])
@_province_right("assessment.approve")
@bp.arguments(ReasonSchema)
@bp.response(200, CampaignSchema)
def return_results(body: dict[str, Any], campaign_id: int) -> Any:
    """The province's leader returns the ranked results for correction (scoring reopens)."""
    flow.act_on_campaign(current_user, campaign_id, "return", body["reason"])
    return operations.get_campaign(campaign_id)


# Units ------------------------------------------------------------------------------------------
def _summary(unit: Any) -> dict[str, Any]:
    return unit_summary(unit, scores_visible(current_user, unit.campaign.state, unit.org))


def _unit_scores(unit_id: int) -> dict[str, Any]:
    unit = operations.unit_for(current_user, unit_id, "assessment.view")
    own = judging.self_scores(unit)
    final = (
        judging.final_scores(unit)
        if scores_visible(current_user, unit.campaign.state, unit.org)
        else None
    )
    return {
        "unit": unit_summary(unit, final is not None),
        "self_assessment": own.to_dict() if own else None,
        "final": final.to_dict() if final else None,
        "sites": sorted(unit.sites, key=lambda s: s.position),
    }


@bp.route("/units/<int:unit_id>")
@bp.response(200, UnitScoresSchema)
def get_unit(unit_id: int) -> Any:
    """A unit's self-assessment totals, and its final scores when visible to the caller."""
    return _unit_scores(unit_id)


@bp.route("/units/<int:unit_id>/self-assessment", methods=["PUT"])
@bp.arguments(SelfAssessmentSchema)
@bp.response(200, UnitScoresSchema)
def save_self(body: dict[str, Any], unit_id: int) -> Any:
    """Save the unit's self-assessment (judgments, notes, evidence references, summary); 409
    when the unit's process has no self-assessment step."""
    flow.save_self_assessment(
        current_user,
        unit_id,
        judgments=body.get("judgments") or {},
        summary=body.get("summary"),
        notes=body.get("notes"),
        evidence=body.get("evidence"),
    )
    return _unit_scores(unit_id)


def _act_on_unit(unit_id: int, action: str, text: str | None = None) -> dict[str, Any]:
    require(current_user, "assessment.view")
    flow.act_on_unit(current_user, unit_id, action, text)
    return _summary(operations.get_unit(unit_id))


@bp.route("/units/<int:unit_id>/self-assessment/submit", methods=["POST"])
@bp.response(200, UnitSummarySchema)
def submit_self(unit_id: int) -> Any:
    """The clerk hands the self-assessment to the unit's leader (completes 填报自评)."""
    return _act_on_unit(unit_id, "submit")


@bp.route("/units/<int:unit_id>/self-assessment/approve", methods=["POST"])
@bp.arguments(OpinionSchema)
@bp.response(200, UnitSummarySchema)
def approve_self(body: dict[str, Any], unit_id: int) -> Any:
    """The unit's leader approves and reports the self-assessment to the province (completes
    领导审核自评)."""
    return _act_on_unit(unit_id, "approve", body["opinion"])


@bp.route("/units/<int:unit_id>/self-assessment/return", methods=["POST"])
@bp.arguments(ReasonSchema)
@bp.response(200, UnitSummarySchema)
def return_self(body: dict[str, Any], unit_id: int) -> Any:
    """The unit's leader returns the self-assessment to the clerk (completes 领导审核自评)."""
    return _act_on_unit(unit_id, "return", body["reason"])


@bp.route("/units/<int:unit_id>/scores", methods=["PUT"])
@bp.arguments(ScoreUnitSchema)
@bp.response(200, ScoreResultSchema)
def score(body: dict[str, Any], unit_id: int) -> Any:
    """An assessor's scores of the unit (replaces that assessor's previous scores)."""
    return judging.score_unit(
        current_user,
        unit_id,
        body.get("judgments") or {},
        notes=body.get("notes"),
        evidence=body.get("evidence"),
    )


@bp.route("/units/<int:unit_id>/overrides", methods=["POST"])
@bp.arguments(OverrideSchema)
@bp.response(201, UnitScoresSchema)
def override(body: dict[str, Any], unit_id: int) -> Any:
    """The province's leader overrides one item's final score, with a reason (audited)."""
    judging.override_item_score(
        current_user, unit_id, body["item_id"], body["score"], body["reason"]
    )
    return _unit_scores(unit_id)


@bp.route("/units/<int:unit_id>/evidence", methods=["POST"])
@bp.response(201, EvidenceSchema)
@bp.doc(
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        }
    }
)
def upload_evidence(unit_id: int) -> Any:
    """Upload one evidence file (multipart field ``file``): the unit's clerk or leader during
    the self-assessment, an assessor during the scoring; cite it as its ``reference``. The type
    is checked against the content (a refused file is audited)."""
    operations.unit_for(current_user, unit_id, "assessment.view")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("请在 file 字段上传证明材料文件。")
    saved = operations.add_evidence(current_user, unit_id, upload.filename, upload.read())
    return {
        "id": saved.id,
        "reference": f"file:{saved.id}",
        "original_name": saved.original_name,
        "size": saved.size,
        "sha256": saved.sha256,
        "phase": saved.phase,
    }


@bp.route("/sites/<int:site_id>/visit", methods=["POST"])
@bp.arguments(SiteVisitSchema)
@bp.response(200, SiteSchema)
def site_visit(body: dict[str, Any], site_id: int) -> Any:
    """An assessor records the visit of a sampled site (date, findings); the sites and their
    ids are listed by ``GET /units/<id>``."""
    require(current_user, "assessment.view")
    return sampling.record_site_visit(
        current_user, site_id, visit_date=body["visit_date"], findings=body["findings"]
    )
