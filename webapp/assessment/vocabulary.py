"""The assessment's audit vocabulary: action codes, objects, fields and state values."""

from __future__ import annotations

from sqlalchemy import select

from webapp.assessment.models import AssessmentCampaign, CampaignState, UnitAssessment, UnitState
from webapp.assessment.sheet import KIND_LABELS
from webapp.audit.naming import int_ids, register_object_namer
from webapp.audit.vocabulary import (
    register_actions,
    register_fields,
    register_object_types,
    register_values,
)
from webapp.core.models import Org
from webapp.extensions import db

ACTIONS = {
    "assessment.sheet_load": "载入考核评分表",
    "assessment.sheet_activate": "启用考核评分表",
    "assessment.campaign_open": "开启考核",
    "assessment.self_save": "保存考核自评",
    "assessment.self_submit": "提交考核自评待审核",
    "assessment.self_approve": "审核上报考核自评",
    "assessment.self_return": "退回考核自评",
    "assessment.evidence_add": "上传考核佐证材料",
    "assessment.evidence_download": "下载考核佐证材料",
    "assessment.sheet_download": "下载考核评分表（Word）",
    "assessment.notice_download": "下载考核结果通报",
    "assessment.self_close": "结束考核自评阶段",
    "assessment.sample_draw": "抽取现场检查项目",
    "assessment.site_visit": "记录现场检查情况",
    "assessment.score": "考核评分",
    "assessment.override": "调整考核得分",
    "assessment.rank": "计算考核排名",
    "assessment.approve": "审批考核结果",
    "assessment.laggards_confirm": "确认工作落后地区",
    "assessment.observation_add": "记录日常考察",
    "assessment.material_upload": "上传工作汇报或年度工作计划和总结",
    "assessment.materials_submit": "提交考核材料待领导审核",
    # 附件3 has no self-assessment (issue 15): its unit phase is the materials' report
    "assessment.materials_approve": "审核上报考核材料",
    "assessment.materials_return": "退回考核材料",
    "assessment.materials_close": "结束考核材料报送阶段",
}

OBJECT_TYPES = {
    "assessment_sheet": "考核评分表",
    "assessment_campaign": "考核活动",
    "assessment_unit": "单位考核",
    "assessment_evidence": "考核佐证材料",
    "assessment_site": "现场检查项目",
    "assessment_observation": "日常考察记录",
}

FIELDS = {
    "year": "年度",
    "version": "版本",
    "hash": "内容哈希（SHA-256）",
    "active": "启用",
    "source": "来源文件",
    "sheet": "评分表（内部编号）",
    "self_due": "自评截止日期",
    "units": "考核单位",
    "state": "状态",
    "not_reported": "未上报自评的单位",
    "self_total": "自评总分",
    "total": "得分",
    "judgments": "评分判定",
    "self_summary": "全年活动情况书面总结",
    "notes": "评分说明",
    "evidence": "佐证材料",
    "overdue": "逾期上报",
    "unit": "单位考核（内部编号）",
    "size": "大小（字节）",
    "sha256": "内容哈希（SHA-256）",
    "seed": "随机种子",
    "sites": "抽查项目",
    "shortfalls": "候选项目不足",
    "visit_date": "检查日期",
    "findings": "检查情况",
    "item": "考核项目",
    "score": "得分",
    "ranking": "排名（单位、总分、名次）",
    "results": "考核结果",
    "results.awards": "奖项",
    "results.criticised": "通报批评",
    "results.advanced": "先进单位",
    "results.interview": "约谈单位",
    "results.opinion": "审批意见",
    "results.laggards": "工作落后地区及处理措施",
    "made_up": "县（市）项目不足由市本级及市辖区补足",
    "window": "候选项目时间范围",
    "proposed": "系统建议",
    "confirmed": "考核组确认",
    "observed_on": "考察日期",
    "observation": "考察情况",
    "observed_org": "被考察单位",
    "material": "材料",
    "late": "逾期报送",
    "campaign": "考核（内部编号）",
    "phase": "评分表",
    "draft": "草稿（未定稿）",
}


def _campaigns(ids: list[str]) -> dict[str, str]:
    rows = db.session.execute(
        select(AssessmentCampaign).where(AssessmentCampaign.id.in_(int_ids(ids)))
    ).scalars()
    return {str(c.id): c.title for c in rows}


def _units(ids: list[str]) -> dict[str, str]:
    rows = db.session.execute(
        select(UnitAssessment.id, Org.name, AssessmentCampaign.year)
        .join(Org, UnitAssessment.org_id == Org.id)
        .join(AssessmentCampaign, UnitAssessment.campaign_id == AssessmentCampaign.id)
        .where(UnitAssessment.id.in_(int_ids(ids)))
    )
    return {str(i): f"{name}（{year}年度）" for i, name, year in rows}


def register() -> None:
    register_actions(ACTIONS)
    register_object_types(OBJECT_TYPES)
    register_fields(FIELDS)
    register_fields({"kind": "考核类别"}, object_type="assessment_sheet")
    register_fields({"kind": "考核类别"}, object_type="assessment_campaign")
    register_values("kind", KIND_LABELS)
    register_values("phase", {"self": "自评表", "final": "考核组评分表"})
    register_values("state", {s.value: s.label for s in (*CampaignState, *UnitState)})
    register_object_namer("assessment_campaign", _campaigns)
    register_object_namer("assessment_unit", _units)
