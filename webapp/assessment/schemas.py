"""Marshmallow schemas of the assessment API (scores are decimal strings, e.g. "98.50")."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from webapp.assessment.models import ScoreSheet
from webapp.core.numbers import BoundedDecimal, Count
from webapp.core.schemas import KEY_MAX, bounded_text, org_code_arg, reason_field, text_map


class _Strict(Schema):
    class Meta:
        ordered = True


#: {"<item id>": {"unmet": [duty ids]} | {"met": [part ids]}}
Judgments = fields.Dict(
    keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Raw())
)
ItemTexts = text_map()
ItemRefs = fields.Dict(keys=bounded_text(KEY_MAX), values=fields.List(bounded_text(200)))


def sheet_to_api(row: ScoreSheet) -> dict[str, Any]:
    parsed = row.parsed().to_dict()
    return {
        "id": row.id,
        "kind": row.kind,
        "year": row.year,
        "version": row.version,
        "name": row.name,
        "active": row.is_active,
        "content_hash": row.content_hash,
        "loaded_at": row.loaded_at,
        "sections": parsed["sections"],
    }


def unit_summary(unit: Any, visible: bool) -> dict[str, Any]:
    """A unit's summary; final score, rank and result only when ``visible`` to the caller."""
    return {
        "id": unit.id,
        "org_code": unit.org.code,
        "org_name": unit.org.name,
        "state": unit.state,
        "state_label": unit.state_label,
        "self_total": unit.self_total,
        "self_overdue": unit.self_overdue,
        "final_score": unit.final_score if visible else None,
        "rank": unit.rank if visible else None,
        "result": unit.result if visible else None,
    }


def campaign_detail(campaign: Any, units: list[Any], visible: bool) -> dict[str, Any]:
    keys = ("id", "kind", "year", "title", "state", "state_label", "sheet_id", "self_due")
    data = {k: getattr(campaign, k) for k in keys}
    data["results"] = campaign.results if visible else None
    data["units"] = [unit_summary(u, visible) for u in units]
    return data


class SheetSchema(_Strict):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "fujian2 / fujian3"})
    year = fields.Integer(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)
    content_hash = fields.String(required=True)
    loaded_at = fields.DateTime(required=True)
    sections = fields.List(
        fields.Raw(),
        required=True,
        metadata={
            "description": 'sections → items → rule {"kind": "deduction"|"additive", "start", '
            '"per_unmet", "duties": [{"id","text"}], "parts": [{"id","text","points"}]}'
        },
    )


class SheetListSchema(_Strict):
    items = fields.List(fields.Nested(SheetSchema), required=True)


class ScoreRequestSchema(_Strict):
    judgments = Judgments
    #: the unit's tier: items that do not apply to it are left out and the total scaled
    tier = fields.String(load_default=None, validate=validate.OneOf(["city", "direct_county"]))


class ScoreResultSchema(_Strict):
    items = text_map(required=True)
    sections = text_map(required=True)
    total = fields.String(required=True)
    raw_total = fields.String()
    applicable = fields.String()
    not_applicable = fields.List(fields.String())
    scaling = fields.String()


class OpenCampaignSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(["fujian2", "fujian3"]))
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100))
    sheet_id = fields.Integer(load_default=None)
    self_due = fields.Date(load_default=None)
    sample_city = Count(maximum=1000, load_default=6)
    sample_city_county = Count(maximum=1000, load_default=2)
    sample_direct_county = Count(maximum=1000, load_default=3)


class UnitSummarySchema(_Strict):
    id = fields.Integer(required=True)
    org_code = fields.String(required=True)
    org_name = fields.String(required=True)
    state = fields.String(required=True)
    state_label = fields.String()
    self_total = fields.Decimal(as_string=True, allow_none=True)
    self_overdue = fields.Boolean()
    final_score = fields.Decimal(as_string=True, allow_none=True)
    rank = fields.Integer(allow_none=True)
    result = fields.List(fields.String(), allow_none=True)
    instance_id = fields.Integer(
        allow_none=True, metadata={"description": "The unit's self-assessment process instance"}
    )
    task_id = fields.Integer(
        allow_none=True,
        metadata={"description": "The unit's open task (自评/审核/评分/复核), /api/v1/tasks/<id>"},
    )


class CampaignSchema(_Strict):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    year = fields.Integer(required=True)
    title = fields.String()
    state = fields.String(required=True)
    state_label = fields.String()
    sheet_id = fields.Integer()
    self_due = fields.Date()
    results = fields.Raw(allow_none=True)


class CampaignDetailSchema(CampaignSchema):
    units = fields.List(fields.Nested(UnitSummarySchema))
    instance_id = fields.Integer(
        allow_none=True, metadata={"description": "The campaign's process instance"}
    )
    tasks = fields.List(
        fields.Dict(),
        metadata={"description": "The province's open steps: [{id, element_id, name}]"},
    )


class CampaignListSchema(_Strict):
    items = fields.List(fields.Nested(CampaignSchema), required=True)


class RankingRowSchema(_Strict):
    org_code = fields.String(required=True)
    org_name = fields.String()
    total = fields.String(required=True)
    raw_total = fields.String(allow_none=True)
    applicable = fields.String(allow_none=True)
    scaling = fields.String()
    rank = fields.Integer(required=True)
    result = fields.List(fields.String())


class SelfAssessmentSchema(_Strict):
    judgments = Judgments
    summary = fields.String(load_default=None, validate=validate.Length(max=20000))
    notes = ItemTexts
    evidence = ItemRefs


class ScoreUnitSchema(_Strict):
    judgments = Judgments
    notes = ItemTexts
    evidence = ItemRefs


class OpinionSchema(_Strict):
    opinion = fields.String(load_default="", validate=validate.Length(max=2000))


class ReasonSchema(_Strict):
    reason = reason_field()


class OverrideSchema(_Strict):
    item_id = bounded_text(KEY_MAX, required=True)
    #: NUMERIC(6, 2), like every score (``models.SCORE``)
    score = BoundedDecimal(precision=6, scale=2, required=True, as_string=True)
    reason = reason_field()


class SampleRequestSchema(_Strict):
    seed = fields.String(load_default=None, validate=validate.Length(max=64))
    accept_shortfall = fields.Boolean(load_default=False)
    as_of = fields.Date(
        load_default=None, metadata={"description": "Sampling date (default today)"}
    )


class SampleSchema(_Strict):
    id = fields.Integer()
    seed = fields.String()
    as_of = fields.Date(allow_none=True)
    shortfalls = fields.Raw()
    sites = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class AwardSchema(_Strict):
    award = bounded_text(100, required=True)
    org_code = org_code_arg(required=True)
    person = bounded_text(64, load_default="")


class ApproveSchema(_Strict):
    awards = fields.List(fields.Nested(AwardSchema), load_default=list)
    criticised = fields.List(org_code_arg(), load_default=list)
    opinion = fields.String(load_default="", validate=validate.Length(max=2000))


class SiteSchema(_Strict):
    """A sampled site of a unit and its visit record."""

    id = fields.Integer(required=True)
    project_ref = fields.String(required=True, metadata={"description": "监督注册号"})
    project_name = fields.String(required=True)
    org_code = fields.String(required=True, metadata={"description": "supervising org"})
    in_county = fields.Boolean(metadata={"description": "supervised by one of the city's 县（市）"})
    completed_on = fields.Date(allow_none=True)
    visit_date = fields.Date(allow_none=True)
    findings = fields.String(allow_none=True)


class SiteVisitSchema(_Strict):
    visit_date = fields.Date(required=True, metadata={"description": "not after today"})
    findings = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class EvidenceSchema(_Strict):
    id = fields.Integer(required=True)
    reference = fields.String(
        required=True, metadata={"description": "file:<id>, to cite in judgments' evidence"}
    )
    name = fields.String(required=True, attribute="original_name")
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    phase = fields.String(required=True, metadata={"description": "self / assessor"})


class UnitScoresSchema(_Strict):
    unit = fields.Nested(UnitSummarySchema)
    self_assessment = fields.Nested(ScoreResultSchema, allow_none=True)
    final = fields.Nested(ScoreResultSchema, allow_none=True)
    sites = fields.List(
        fields.Nested(SiteSchema), metadata={"description": "the sampled sites, in draw order"}
    )
