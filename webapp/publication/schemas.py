"""Marshmallow schemas of the publication API (staff) and the public API (no login)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from webapp.core.schemas import (
    OpenResultSchema,
    OrgRowSchema,
    PageArgsSchema,
    PageSchema,
    PeriodKeyField,
    items_field,
    list_schema,
    org_code_arg,
    reason_field,
    schema_of,
    text_map,
    version_map,
)
from webapp.drafts.schemas import DocumentSummarySchema, base_versions_field, state_field
from webapp.publication.models import PublicationState
from webapp.publication.publicity import PublicRecordFields


def half_year_field(**kwargs: Any) -> PeriodKeyField:
    """A half year (2026H1), checked and normalised by the one period parser."""
    return PeriodKeyField(("half",), "公开期", **kwargs)


class PublicationOpenSchema(Schema):
    period = half_year_field(required=True)


class PublicationOpenResultSchema(OpenResultSchema):
    """Opening a half-year for every unit answers as opening a report period does."""


class PublicationQuerySchema(Schema):
    org = org_code_arg()
    under = org_code_arg()
    period = half_year_field()


class PublicationSummarySchema(DocumentSummarySchema):
    state = state_field(PublicationState, required=True)
    published_at = fields.DateTime(allow_none=True)
    publication_date = fields.Date(allow_none=True)
    online_until = fields.Date(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)


PublicationListSchema = list_schema("PublicationListSchema", PublicationSummarySchema)


class PublicationDetailSchema(PublicationSummarySchema):
    sections = text_map(required=True)
    versions = version_map(
        required=True,
        metadata={"description": "各部分的当前版本号（保存时作为 base_versions）"},
    )
    problems = fields.List(fields.String(), required=True)
    editable = fields.Boolean(required=True)
    content = fields.Dict(required=True, metadata={"description": "冻结的快照或实时草稿数据"})
    withdrawal_reason = fields.String(allow_none=True)


class PublicationSectionsSchema(Schema):
    sections = text_map(
        required=True,
        metadata={
            "description": "overview、trends、problems、measures → 文字，每部分不超过 6000 字"
        },
    )
    base_versions = base_versions_field()


class PublicationChangedSchema(Schema):
    changed = fields.List(fields.String(), required=True)


class PublicationWithdrawalSchema(Schema):
    reason = reason_field()


# Public -------------------------------------------------------------------------------------------
class PublicQuerySchema(Schema):
    org = org_code_arg(metadata={"description": "单位代码"})
    period = half_year_field(metadata={"description": "半年度，如 2026H1"})


class PublicReportSchema(OrgRowSchema):
    id = fields.Integer(required=True)
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


PublicReportListSchema = list_schema("PublicReportListSchema", PublicReportSchema)


class PublicSectionSchema(Schema):
    key = fields.String(required=True)
    number = fields.String(required=True)
    heading = fields.String(required=True)
    text = fields.String(required=True)


class PublicReportDetailSchema(PublicReportSchema):
    sections = fields.List(fields.Nested(PublicSectionSchema), required=True)
    figures = fields.Dict(required=True, metadata={"description": "半年度汇总（附表5口径）"})
    index = fields.Dict(allow_none=True, metadata={"description": "质量指数及各分项"})
    index_example = fields.List(fields.String(), metadata={"description": "本期指数的计算过程"})
    index_units = fields.List(fields.Dict(), metadata={"description": "所辖单位的指数（供比较）"})
    index_retired = fields.String(allow_none=True)
    previous = fields.Dict(allow_none=True)
    records = fields.Dict(keys=fields.String(), values=fields.Integer())


class PublicRecordQuerySchema(PageArgsSchema):
    kind = fields.String(validate=validate.OneOf(["bad", "good"]))
    enterprise = fields.String(validate=validate.Length(max=100))
    period = half_year_field()
    under = org_code_arg()


#: A published record on the portal: the public fields (publicity.PublicRecordFields, texts but
#: the date) between its id and kind and where and until when it is published.
PublicRecordSchema = schema_of(
    "PublicRecordSchema",
    __name__,
    {
        "id": fields.Integer(required=True),
        "kind": fields.String(required=True),
        "kind_label": fields.String(required=True),
        **{key: fields.String(required=True) for key in PublicRecordFields.__annotations__},
        "recorded_on": fields.Date(required=True),
        "public_until": fields.Date(allow_none=True),
        "period": fields.String(required=True),
        "report_id": fields.Integer(required=True),
    },
)


class PublicRecordListSchema(PageSchema):
    items = items_field(PublicRecordSchema, required=True)


class PublicIndexQuerySchema(Schema):
    org = org_code_arg()
    period = half_year_field()


class PublicIndexPointSchema(Schema):
    period = fields.String(required=True)
    period_label = fields.String(required=True)
    report_id = fields.Integer(required=True)
    value = fields.String(allow_none=True)
    parts = fields.List(fields.Dict(), required=True)
    inputs = fields.Dict(required=True)


class PublicIndexRowSchema(OrgRowSchema):
    report_id = fields.Integer(required=True)
    value = fields.String(allow_none=True)


class PublicIndexResultSchema(Schema):
    series = fields.List(fields.Nested(PublicIndexPointSchema), required=True)
    table = fields.List(fields.Nested(PublicIndexRowSchema), required=True)
    formula = fields.String(required=True)
