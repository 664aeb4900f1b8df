"""Marshmallow schemas: the filter (query string of pages, API and exports) and the records."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates,
    validates_schema,
)
from sqlalchemy import select

from webapp.audit.vocabulary import action_label
from webapp.core.models import AuditRecord, Org
from webapp.core.schemas import OrgRowSchema, items_field, org_code_arg, row_fields, schema_of
from webapp.extensions import db

_DATE = {"invalid": "日期格式应为 YYYY-MM-DD。"}
_INT = {"invalid": "应为整数。"}


class AuditFilterSchema(Schema):
    """Filters shared by the list page, the exports and ``GET /api/v1/audit``."""

    date_from = fields.Date(
        load_default=None, error_messages=_DATE, metadata={"description": "起始日期（北京时间）"}
    )
    date_to = fields.Date(
        load_default=None, error_messages=_DATE, metadata={"description": "截止日期（含当天）"}
    )
    actor = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={"description": "操作人用户名"},
    )
    org = org_code_arg(load_default=None, metadata={"description": "单位代码"})
    subtree = fields.Boolean(load_default=True, metadata={"description": "包含下级单位（默认是）"})
    action = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={
            "description": "操作代码或其前缀（页面上按中文名称选择），如 report. 或 auth.login"
        },
    )
    object_type = fields.String(load_default=None, validate=validate.Length(max=64))
    object_id = fields.String(load_default=None, validate=validate.Length(max=64))
    q = fields.String(
        load_default=None,
        validate=validate.Length(max=100),
        metadata={"description": "说明、操作人或对象编号中包含的文字"},
    )

    @pre_load
    def _blank_is_unset(self, data: Any, **_: Any) -> Any:
        """An empty box of the search form means "no filter", never a bad value (a form sends
        ``date_from=`` for an untouched date box)."""
        if not hasattr(data, "items"):
            return data
        return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}

    @validates("org")
    def _org_exists(self, value: str | None, **_: Any) -> None:
        if value and value.strip():
            found = db.session.execute(select(Org.id).where(Org.code == value.strip())).first()
            if found is None:
                raise ValidationError(f"单位代码 {value} 不存在。")

    @validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("起始日期不能晚于截止日期。", "date_to")


#: The filters' names as the search form shows them (for its error messages).
FILTER_LABELS = {
    "date_from": "起始日期",
    "date_to": "截止日期",
    "actor": "操作人",
    "org": "单位",
    "subtree": "含下级",
    "action": "操作",
    "object_type": "对象类型",
    "object_id": "对象编号",
    "q": "关键词",
    "before": "翻页位置",
    "after": "翻页位置",
    "limit": "每页条数",
}


class AuditPageArgsSchema(AuditFilterSchema):
    """The filters plus keyset pagination."""

    before = fields.Integer(
        load_default=None, error_messages=_INT, metadata={"description": "游标：早于此编号"}
    )
    after = fields.Integer(
        load_default=None, error_messages=_INT, metadata={"description": "游标：晚于此编号"}
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200), error_messages=_INT)


#: An audit record as stored (core.models.AuditRecord), with its action's label.
AuditRecordSchema = schema_of(
    "AuditRecordSchema",
    __name__,
    {
        **row_fields(
            AuditRecord,
            *("id", "created_at", "actor_id", "actor_name", "org_code", "action"),
            created_at=fields.DateTime(required=True, metadata={"description": "UTC"}),
        ),
        "action_label": fields.Function(lambda r: action_label(r.action)),
        **row_fields(
            AuditRecord,
            *("object_type", "object_id", "before", "after", "message", "client_addr"),
            *("prev_hash", "hash"),
        ),
    },
)


class AuditPageSchema(Schema):
    items = items_field(AuditRecordSchema, required=True)
    total = fields.Integer(required=True, metadata={"description": "符合条件的记录数（封顶计数）"})
    total_is_lower_bound = fields.Boolean(
        required=True, metadata={"description": "为真时实际记录数多于 total"}
    )
    next = fields.Integer(
        allow_none=True, metadata={"description": "下一页游标（作为 before 传入），无则为 null"}
    )


class VerifyArgsSchema(Schema):
    anchor_id = fields.Integer(load_default=None, error_messages=_INT)
    anchor_hash = fields.String(
        load_default=None,
        validate=[validate.Length(max=64), validate.Regexp(r"^[0-9a-f]{64}$")],
    )
    anchor_records = fields.Integer(load_default=None, error_messages=_INT)


class AnchorCheckSchema(Schema):
    ok = fields.Boolean(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True)


class VerifySchema(Schema):
    ok = fields.Boolean(required=True)
    records = fields.Integer(required=True)
    first_broken = fields.Integer(allow_none=True, required=True)
    #: Why the chain does not hold, in Chinese (None when it does).
    reason = fields.String(allow_none=True)
    anchor = fields.Nested(AnchorCheckSchema, allow_none=True)


class AnchorSchema(Schema):
    kind = fields.String(required=True)
    version = fields.Integer(required=True)
    id = fields.Integer(required=True)
    hash = fields.String(required=True)
    created_at = fields.String(allow_none=True)
    records = fields.Integer(required=True)
    taken_at = fields.String(allow_none=True)


class ReportingArgsSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100))
    org = org_code_arg(load_default=None)


class UnitReportingSchema(OrgRowSchema):
    reports = fields.Integer(required=True)
    submissions = fields.Integer(required=True)
    on_time = fields.Integer(required=True)
    late = fields.Integer(required=True)
    late_reports = fields.Integer(required=True)
    returns = fields.Integer(required=True)
    accepted = fields.Integer(required=True)
    expected = fields.Integer(required=True)
    missing = fields.Integer(required=True)
    error_returns = fields.Integer(required=True)
    corrections = fields.Integer(required=True)
    errors = fields.Integer(required=True)
    on_time_met = fields.Boolean(required=True)
    accident_steps = fields.Integer(metadata={"description": "质量事故接报并上报次数"})
    accident_late = fields.Integer(metadata={"description": "其中超过2小时的次数"})
    quarterly_reports = fields.Integer(metadata={"description": "已报送的季度报告数"})
    meetings_missing = fields.Integer(
        metadata={"description": "其中报送时未记录本季度质量分析会的报告数（第十四条）"}
    )
