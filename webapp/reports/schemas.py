"""Marshmallow schemas of the reports API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from webapp.drafts.schemas import base_versions_field

STATES = ["not_started", "drafting", "in_review", "submitted", "returned", "accepted", "overdue"]


class OpenPeriodSchema(Schema):
    period = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^\d{4}(Q[1-4])?$", error="报告期格式应为 2026Q4（季度）或 2026（年度）。"
        ),
    )


class OpenResultSchema(Schema):
    period = fields.String()
    opened = fields.Integer()
    existing = fields.Integer()


class ReportQuerySchema(Schema):
    org = fields.String(validate=validate.Length(max=12))
    under = fields.String(validate=validate.Length(max=12))
    period = fields.String(validate=validate.Length(max=8))
    state = fields.String(validate=validate.OneOf(STATES))


class ReportSchema(Schema):
    id = fields.Integer(required=True)
    org_code = fields.String(required=True)
    org_name = fields.String(required=True)
    period = fields.String(required=True)
    kind = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    state_label = fields.String(required=True)
    round = fields.Integer(required=True)
    instance_id = fields.Integer(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    upper_returns = fields.Integer()


class ReportListSchema(Schema):
    items = fields.List(fields.Nested(ReportSchema), required=True)


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
    narrative = fields.Dict(keys=fields.String(), values=fields.String())
    sections = fields.List(fields.Dict())
    explanations = fields.Dict(keys=fields.String(), values=fields.String())
    missing_explanation = fields.String(allow_none=True)
    narrative_versions = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "正文各章节的当前版本号（保存时作为 base_versions）"},
    )
    explanation_versions = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "各预警说明及 missing_explanation 的当前版本号"},
    )
    problems = fields.List(fields.String())
    documents = fields.List(fields.Nested(DocumentSchema))
    frozen = fields.Boolean()


class NarrativeSchema(Schema):
    sections = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "章节 s01…s11（年报另有 s12）→ 文字，每章不超过 20000 字"},
    )
    base_versions = base_versions_field()


class ExplanationsSchema(Schema):
    explanations = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        load_default=dict,
        metadata={"description": "预警（校验结果 id）→ 说明，每条不超过 2000 字"},
    )
    missing_explanation = fields.String(
        allow_none=True, metadata={"description": "未报单位说明；版本号的键为 missing_explanation"}
    )
    base_versions = base_versions_field()


class DeadlineSchema(Schema):
    """延期: the new due date (the day; due at 23:59:59 Asia/Shanghai) and why."""

    due_date = fields.Date(required=True, metadata={"description": "新的截止日期 YYYY-MM-DD"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
