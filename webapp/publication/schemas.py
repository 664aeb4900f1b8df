"""Marshmallow schemas of the publication API (staff) and the public API (no login)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from webapp.drafts.schemas import base_versions_field

HALF_YEAR = validate.Regexp(
    r"^\d{4}H[12]$", error="公开期格式应为 2026H1（上半年）或 2026H2（下半年）。"
)
STATES = [
    "drafting",
    "returned",
    "in_review",
    "awaiting_approval",
    "published",
    "withdrawal_requested",
    "withdrawn",
]


class PublicationOpenSchema(Schema):
    period = fields.String(required=True, validate=HALF_YEAR)


class PublicationOpenResultSchema(Schema):
    period = fields.String()
    opened = fields.Integer()
    existing = fields.Integer()


class PublicationQuerySchema(Schema):
    org = fields.String(validate=validate.Length(max=12))
    under = fields.String(validate=validate.Length(max=12))
    period = fields.String(validate=HALF_YEAR)


class PublicationSummarySchema(Schema):
    id = fields.Integer(required=True)
    org_code = fields.String(required=True)
    org_name = fields.String(required=True)
    period = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    state_label = fields.String(required=True)
    instance_id = fields.Integer(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    publication_date = fields.Date(allow_none=True)
    online_until = fields.Date(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)


class PublicationListSchema(Schema):
    items = fields.List(fields.Nested(PublicationSummarySchema), required=True)


class PublicationDetailSchema(PublicationSummarySchema):
    sections = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    versions = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "各部分的当前版本号（保存时作为 base_versions）"},
    )
    problems = fields.List(fields.String(), required=True)
    editable = fields.Boolean(required=True)
    content = fields.Dict(required=True, metadata={"description": "冻结的快照或实时草稿数据"})
    withdrawal_reason = fields.String(allow_none=True)


class PublicationSectionsSchema(Schema):
    sections = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={
            "description": "overview、trends、problems、measures → 文字，每部分不超过 6000 字"
        },
    )
    base_versions = base_versions_field()


class PublicationChangedSchema(Schema):
    changed = fields.List(fields.String(), required=True)


class PublicationWithdrawalSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


# Public -------------------------------------------------------------------------------------------
class PublicQuerySchema(Schema):
    org = fields.String(validate=validate.Length(max=12), metadata={"description": "单位代码"})
    period = fields.String(validate=HALF_YEAR, metadata={"description": "半年度，如 2026H1"})


class PublicReportSchema(Schema):
    id = fields.Integer(required=True)
    org_code = fields.String(required=True)
    org_name = fields.String(required=True)
    tier = fields.String(required=True)
    period = fields.String(required=True)
    period_label = fields.String(required=True)
    title = fields.String(required=True)
    publication_date = fields.Date(required=True)
    online_until = fields.Date(required=True)
    quality_index = fields.String(allow_none=True)
    docx_url = fields.String(required=True)
    pdf_url = fields.String(required=True)
    url = fields.String(required=True)


class PublicReportListSchema(Schema):
    items = fields.List(fields.Nested(PublicReportSchema), required=True)


class PublicSectionSchema(Schema):
    key = fields.String(required=True)
    number = fields.String(required=True)
    heading = fields.String(required=True)
    text = fields.String(required=True)


class PublicReportDetailSchema(PublicReportSchema):
    sections = fields.List(fields.Nested(PublicSectionSchema), required=True)
    figures = fields.Dict(required=True, metadata={"description": "半年度汇总（附表5口径）"})
    index = fields.Dict(allow_none=True, metadata={"description": "质量指数及各分项"})
    previous = fields.Dict(allow_none=True)
    records = fields.Dict(keys=fields.String(), values=fields.Integer())


class PublicRecordQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(["bad", "good"]))
    enterprise = fields.String(validate=validate.Length(max=100))
    period = fields.String(validate=HALF_YEAR)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PublicRecordSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    kind_label = fields.String(required=True)
    record_no = fields.String(required=True)
    enterprise = fields.String(required=True)
    unit_type = fields.String(required=True)
    project_name = fields.String(required=True)
    fact = fields.String(required=True)
    clause = fields.String(required=True)
    recorded_on = fields.Date(required=True)
    authority = fields.String(required=True)
    period = fields.String(required=True)
    report_id = fields.Integer(required=True)


class PublicRecordListSchema(Schema):
    items = fields.List(fields.Nested(PublicRecordSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class PublicIndexQuerySchema(Schema):
    org = fields.String(validate=validate.Length(max=12))
    period = fields.String(validate=HALF_YEAR)


class PublicIndexPointSchema(Schema):
    period = fields.String(required=True)
    period_label = fields.String(required=True)
    report_id = fields.Integer(required=True)
    value = fields.String(allow_none=True)
    parts = fields.List(fields.Dict(), required=True)
    inputs = fields.Dict(required=True)


class PublicIndexRowSchema(Schema):
    org_code = fields.String(required=True)
    org_name = fields.String(required=True)
    report_id = fields.Integer(required=True)
    value = fields.String(allow_none=True)


class PublicIndexResultSchema(Schema):
    series = fields.List(fields.Nested(PublicIndexPointSchema), required=True)
    table = fields.List(fields.Nested(PublicIndexRowSchema), required=True)
    formula = fields.String(required=True)
