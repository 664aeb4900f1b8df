"""The user-task forms of the year-end processes (``register_form``) and what their template
shows.

The work of a step is done on the feature's own pages (the score sheet, the scoring page, the
ranking page); the task form shows where the unit stands, links to that page, and carries the
outcome buttons and the opinion.  One template, ``assessment/task_form.html``, serves every form.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from webapp.assessment import judging, operations
from webapp.assessment.flow import step_error, unit_of_task
from webapp.assessment.judging import AWARDS_FUJIAN2, LAGGARD_MEASURES
from webapp.assessment.models import SiteSample, UnitAssessment, UnitState
from webapp.engine import HumanTask, register_form, register_start_form
from webapp.extensions import db

TEMPLATE = "assessment/task_form.html"
_EMPTY: dict[str, Any] = {"type": "object", "properties": {}}

#: What the year-end instances are about (flow.start_campaign, flow_steps): fixed for their life.
register_start_form(
    "year_end_assessment",
    {
        "type": "object",
        "properties": {
            "campaign_id": {"type": "integer", "title": "考核活动"},
            "kind": {"type": "string"},
            "year": {"type": "integer"},
        },
    },
    label="年度考核",
)
#: A unit's instance (flow_steps.start_unit_processes): 附件2's self-assessment, 附件3's materials.
for _process, _due, _label in (
    ("year_end_self_assessment", "自评截止日", "单位自评"),
    ("year_end_materials", "材料报送截止日", "单位报送考核材料"),
):
    register_start_form(
        _process,
        {
            "type": "object",
            "properties": {
                "campaign_id": {"type": "integer", "title": "考核活动"},
                "unit_id": {"type": "integer", "title": "被考核单位"},
                "province_key": {"type": "string"},
                "self_due": {"type": "string", "format": "date", "title": _due},
            },
        },
        label=_label,
    )

#: The forms that carry only the outcome buttons and the opinion: key → (title, label).
_PLAIN_FORMS = {
    "assessment.materials": ("报送材料", "考核材料报送"),
    "assessment.materials_approve": ("审核材料", "考核材料审核"),
    "assessment.self_fill": ("填报自评", "考核自评填报"),
    "assessment.self_approve": ("审核自评", "考核自评审核"),
    "assessment.close_self": ("结束自评", "结束自评"),
    "assessment.close_materials": ("结束材料报送", "结束材料报送"),
    "assessment.score": ("考核评分", "考核评分"),
    "assessment.review_score": ("复核评分表", "复核评分表"),
    "assessment.rescore": ("修改评分", "按审批意见修改评分"),
}
for _key, (_title, _label) in _PLAIN_FORMS.items():
    register_form(_key, {**_EMPTY, "title": _title}, label=_label, template=TEMPLATE)
register_form(
    "assessment.sample",
    {
        "type": "object",
        "title": "抽取现场",
        "properties": {
            "seed": {
                "type": "string",
                "title": "随机种子",
                "maxLength": 64,
                "description": "留空：已在考核页抽取的结果保持不变，尚未抽取则自动生成种子",
            },
            "as_of": {
                "type": "string",
                "format": "date",
                "title": "抽样日期",
                "description": "候选项目为该日在建的保障性安居工程；留空为今天",
            },
            "accept_shortfall": {"type": "boolean", "title": "候选项目不足时按现有项目抽取"},
        },
    },
    label="抽取现场检查项目",
    template=TEMPLATE,
)
register_form(
    "assessment.approve_results",
    {
        "type": "object",
        "title": "审批考核结果",
        "properties": {
            "awards": {
                "type": "array",
                "title": "表彰（附件2）",
                "items": {
                    "type": "object",
                    "required": ["award", "org_code"],
                    "properties": {
                        "award": {"type": "string", "enum": list(AWARDS_FUJIAN2)},
                        "org_code": {"type": "string", "maxLength": 12},
                        "person": {"type": "string", "maxLength": 64},
                    },
                },
            },
            "criticised": {
                "type": "array",
                "title": "通报批评（附件2）",
                "items": {"type": "string", "maxLength": 12},
            },
            "measures": {
                "type": "object",
                "title": "工作落后地区的处理措施（附件2）",
                "additionalProperties": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(LAGGARD_MEASURES)},
                },
            },
        },
    },
    label="审批考核结果",
    template=TEMPLATE,
)
register_form(
    "assessment.confirm_laggards",
    {
        "type": "object",
        "title": "确认工作落后地区",
        "properties": {
            "laggards": {
                "type": "array",
                "title": "工作落后地区（不填则按系统建议）",
                "items": {"type": "string", "maxLength": 12},
            },
            "laggards_note": {"type": "string", "title": "与建议不同的理由", "maxLength": 2000},
        },
    },
    label="确认工作落后地区",
    template=TEMPLATE,
)


def _unit_for(task: HumanTask) -> UnitAssessment | None:
    data = task.instance.subject or {}
    if task.element_id in ("score", "review_score"):
        unit_id = unit_of_task([task]).get(task.id)
    else:
        unit_id = data.get("unit_id")
    return db.session.get(UnitAssessment, unit_id) if isinstance(unit_id, int) else None


def task_view(task: HumanTask) -> dict[str, Any]:
    """What the task form shows: the unit or campaign, its figures, links, the last refusal."""
    data = task.instance.subject or {}
    campaign_id = data.get("campaign_id")
    if not isinstance(campaign_id, int):
        return {}
    campaign = operations.get_campaign(campaign_id)
    unit = _unit_for(task)
    view: dict[str, Any] = {
        "campaign": campaign,
        "campaign_url": url_for("assessment.campaign", campaign_id=campaign.id),
        "unit": unit,
        "error": step_error(task) if task.is_open else "",
    }
    if unit is not None:
        view["unit_url"] = url_for("assessment.unit", unit_id=unit.id)
        if campaign.kind == "fujian3":
            view["materials"] = operations.materials(unit)
            view["material_labels"] = {k: label for k, (_, label) in operations.MATERIALS.items()}
        view["score_url"] = url_for("assessment.score", unit_id=unit.id)
        view["self_scores"] = judging.self_scores(unit)
        view["final"] = judging.final_scores(unit)
        view["sections"] = campaign.sheet.parsed().sections
    if task.form_key in ("assessment.close_self", "assessment.close_materials"):
        view["reported"] = [u for u in campaign.units if u.state == UnitState.SELF_SUBMITTED]
        view["open_units"] = [u for u in campaign.units if u.state != UnitState.SELF_SUBMITTED]
    if task.form_key == "assessment.sample":
        view["sample"] = (
            db.session.query(SiteSample).filter_by(campaign_id=campaign.id).one_or_none()
        )
    if task.form_key in (
        "assessment.approve_results",
        "assessment.rescore",
        "assessment.confirm_laggards",
    ):
        view["ranking"] = judging.ranking(campaign)
        view["ranking_url"] = url_for("assessment.ranking", campaign_id=campaign.id)
        view["proposed"] = judging.proposed_results(campaign)
        view["proposed_laggards"] = judging.proposed_laggards(campaign)
        view["laggards"] = campaign.laggards or {}
    return view
