"""Marshmallow schemas of the reports API."""

from __future__ import annotations

from marshmallow import Schema, fields

from webapp.core.schemas import (
    TEXT_MAX,
    PeriodKeyField,
    ReturnNoteSchema,
    bounded_text,
    list_schema,
    org_code_arg,
    reason_field,
    text_map,
    version_map,
)
from webapp.core.schemas import OpenResultSchema as OpenResultSchema  # the answer of POST /open
from webapp.drafts.schemas import DocumentSummarySchema, base_versions_field, state_field
from webapp.reports.models import ReportState


class OpenPeriodSchema(Schema):
    period = PeriodKeyField(("quarter", "year"), "报告期", required=True)


class ReportQuerySchema(Schema):
    org = org_code_arg()
    under = org_code_arg()
    period = PeriodKeyField(("quarter", "year"), "报告期")
    state = state_field(ReportState)


class ReportSchema(DocumentSummarySchema):
    state = state_field(ReportState, required=True)
    kind = fields.String(required=True)
    round = fields.Integer(required=True)
    due_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    upper_returns = fields.Integer(metadata={"description": "被上级退回次数（各轮合计，含更正轮）"})
    review_returns = fields.Integer(
        metadata={"description": "本级审核退回次数（本单位审核人退回，各轮合计；不计入报送差错）"}
    )


ReportListSchema = list_schema("ReportListSchema", ReportSchema)


class DocumentSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    stage = fields.String()
    filename = fields.String()
    sha256 = fields.String()
    created_at = fields.DateTime()


class ReportDetailSchema(ReportSchema):
    tables = fields.Dict()
    checks = fields.List(fields.Dict())
    lower_units = fields.List(fields.Dict())
    narrative = text_map()
    sections = fields.List(fields.Dict())
    explanations = text_map()
    missing_explanation = fields.String(allow_none=True)
    narrative_versions = version_map(
        metadata={"description": "正文各章节的当前版本号（保存时作为 base_versions）"}
    )
    explanation_versions = version_map(
        metadata={"description": "各预警说明及 missing_explanation 的当前版本号"}
    )
    explanation_min_chars = fields.Integer(
        metadata={"description": "填报说明（预警说明、未报说明）至少的字数，保存时即校验"}
    )
    problems = fields.List(fields.String())
    returned = fields.Nested(
        ReturnNoteSchema,
        allow_none=True,
        metadata={"description": "退回原因：仍在按退回意见修改时给出，否则为空"},
    )
    documents = fields.List(fields.Nested(DocumentSchema))
    frozen = fields.Boolean()
    accidents = fields.Dict(metadata={"description": "第（九）部分：本期质量事故（附表5/7 合计）"})
    complaints = fields.Dict(
        metadata={"description": "第（九）部分：本期投诉（受理、办结、期末未办结、被撤销变更）"}
    )
    meeting = fields.Dict(
        allow_none=True, metadata={"description": "第十四条：本季度质量分析会（未记录为 null）"}
    )


class MeetingSchema(Schema):
    """第十四条: the quarter's 建设工程质量分析会."""

    held_on = fields.Date(required=True, metadata={"description": "会议日期 YYYY-MM-DD"})
    #: at most MEETING_MAX_CHARS (reports.operations), which says so in Chinese (the schema's
    #: bound is the backstop above it)
    attendees = bounded_text(TEXT_MAX, required=True, metadata={"description": "参会人员"})
    conclusions = bounded_text(TEXT_MAX, required=True, metadata={"description": "会议结论"})


class NarrativeSchema(Schema):
    sections = text_map(
        required=True,
        metadata={"description": "章节 s01…s11（年报另有 s12）→ 文字，每章不超过 20000 字"},
    )
    base_versions = base_versions_field()


class ExplanationsSchema(Schema):
    explanations = text_map(
        load_default=dict,
        metadata={"description": "预警（校验结果 id）→ 说明，每条不超过 2000 字"},
    )
    missing_explanation = bounded_text(
        TEXT_MAX,  # the store refuses past 2000 characters, naming the text (未报单位说明)
        allow_none=True,
        metadata={"description": "未报单位说明；版本号的键为 missing_explanation"},
    )
    base_versions = base_versions_field()


class DeadlineSchema(Schema):
    """延期: the new due date (the day; due at 23:59:59 Asia/Shanghai) and why."""

    due_date = fields.Date(required=True, metadata={"description": "新的截止日期 YYYY-MM-DD"})
    reason = reason_field(500)
