"""Marshmallow schemas of the accidents API.

Input fields are read as given (strings or numbers) and checked by the operations, which answer
in Chinese and save nothing when anything is wrong.  A field the schema does not declare is
refused (422, marshmallow's default), never dropped: a first report sent with ``"death": 3``
instead of ``deaths`` was recorded as a 质量问题 without casualties and went up no chain.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from webapp.accidents.models import Accident
from webapp.accidents.parsing import MAX_UNITS, TEXT_FIELDS, UNIT_NAME_MAX
from webapp.core.schemas import (
    OrgRowSchema,
    bounded_text,
    list_schema,
    org_code_arg,
    row_fields,
    schema_of,
)


def _text(name: str, **kwargs: Any) -> fields.String:
    """A report's text field, bounded as the operations bound it (parsing.TEXT_FIELDS)."""
    return bounded_text(TEXT_FIELDS[name][2], **kwargs)


class _AccidentFactsSchema(Schema):
    """What a first report and a follow-up (续报) both tell: casualties, loss, what happened."""

    units = fields.List(
        bounded_text(UNIT_NAME_MAX),
        validate=validate.Length(max=MAX_UNITS),
        metadata={"description": "参建单位名称"},
    )
    deaths = fields.Raw(metadata={"description": "死亡人数"})
    serious_injuries = fields.Raw(metadata={"description": "重伤人数"})
    missing = fields.Raw(metadata={"description": "下落不明人数"})
    loss_10k_yuan = fields.Raw(metadata={"description": "直接经济损失初步估计（万元）"})
    description = _text("description", metadata={"description": "事故简要经过"})
    cause = _text("cause", metadata={"description": "事故原因初步判断"})
    measures = _text("measures", metadata={"description": "已采取的措施"})
    under_control = fields.Boolean(metadata={"description": "事故是否得到控制"})
    government_report = _text(
        "government_report", metadata={"description": "向本级人民政府报告情况"}
    )
    police_notice = _text("police_notice", metadata={"description": "通报公安、监察机关情况"})
    direct = fields.Boolean(metadata={"description": "越级上报：直接报省"})


class AccidentInputSchema(_AccidentFactsSchema):
    #: with the time of day and the zone: 2026-05-01T14:30:00+08:00
    occurred_at = bounded_text(
        40, required=True, metadata={"description": "事故发生时间（含时刻和时区）"}
    )
    received_at = bounded_text(40, metadata={"description": "本级接报时间（默认为现在）"})
    place = _text("place", metadata={"description": "事故发生地点"})
    registration_no = _text(
        "registration_no", metadata={"description": "监督注册号（台账中的工程；新工程留空）"}
    )
    project_name = _text("project_name", metadata={"description": "工程名称"})
    reporting_unit = _text("reporting_unit", metadata={"description": "事故报告单位"})
    contact = _text("contact", metadata={"description": "联系人"})
    phone = _text("phone", metadata={"description": "联系电话"})
    org = org_code_arg(metadata={"description": "报告单位代码（默认本单位）"})


class FollowupInputSchema(_AccidentFactsSchema):
    reason = _text("reason", metadata={"description": "续报说明（死亡人数减少或等级降低时必填）"})


class AccidentQuerySchema(Schema):
    under = org_code_arg()
    open = fields.Integer(validate=validate.OneOf([0, 1]), load_default=0)


class ChainEntrySchema(OrgRowSchema):
    """One level of the chain (accidents.queries.chain_view): its unit, times and outcome."""

    received_at = fields.DateTime(allow_none=True)
    forwarded_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    late = fields.Boolean(required=True)
    outcome = fields.String(metadata={"description": "pending / forwarded / skipped（越级）"})


#: An accident as listed (accidents.pages.AccidentRow): its columns, its unit, the number of its
#: reports (首报, 续报…) and the chain of its last report.
AccidentSchema = schema_of(
    "AccidentSchema",
    __name__,
    {
        **row_fields(Accident, "id"),
        "org_code": fields.String(required=True),
        **row_fields(
            Accident,
            *("level", "state", "occurred_at", "project_name"),
            *("deaths", "serious_injuries", "missing"),
        ),
        "loss_10k_yuan": fields.String(),
        "versions": fields.Integer(),
        "chain": fields.List(fields.Nested(ChainEntrySchema)),
    },
)


AccidentListSchema = list_schema("AccidentListSchema", AccidentSchema, required=False)


class ReportCreatedSchema(Schema):
    id = fields.Integer(required=True)
    version = fields.Integer(required=True)
    level = fields.String(required=True)
    state = fields.String(required=True)
