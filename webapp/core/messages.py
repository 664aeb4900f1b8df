"""The libraries' own validation messages, in Chinese.

marshmallow (every API schema), webargs (flask-smorest's request parser, see
:class:`webapp.api.Blueprint`) and WTForms (the HTML forms) refuse bad input in English unless
told otherwise, and the API put those sentences in front of a clerk: "Must be greater than or
equal to 1 and less than or equal to 100000.", "Invalid input type.", "Field cannot be longer
than 64 characters.".  A field's own message (``error_messages=`` or ``validate.X(error=...)``)
still wins; these are the defaults behind it.

marshmallow reads its defaults when a field or validator is *created*, that is when a schema
class is defined, so :func:`install` runs from ``webapp/__init__.py`` before any schema module
is imported.  WTForms translates through its own catalogue: every form derives from
:class:`Form`, whose ``Meta.locales`` selects it (``WTF_I18N_ENABLED`` is off: that path needs
Flask-Babel).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from marshmallow import Schema, fields, validate

#: Field class → its default messages (marshmallow merges them along the class hierarchy).
FIELD_MESSAGES: dict[type, dict[str, str]] = {
    fields.Field: {
        "required": "此项必填。",
        "null": "此项不能为空。",
        "validator_failed": "取值无效。",
    },
    fields.String: {"invalid": "应为文字。", "invalid_utf8": "不是有效的 UTF-8 文字。"},
    fields.Number: {"invalid": "应为数字。", "too_large": "数字过大。"},
    fields.Integer: {"invalid": "应为整数。"},
    fields.Decimal: {"special": "不能是 NaN 或无穷大。"},
    fields.Float: {"special": "不能是 NaN 或无穷大。"},
    fields.Boolean: {"invalid": "应为 true 或 false。"},
    fields.Date: {
        "invalid": "日期格式不正确，应为 2026-09-30 这样的日期。",
        "format": "“{input}”不能按日期输出。",
    },
    fields._TemporalField: {  # DateTime, NaiveDateTime, AwareDateTime, Time
        "invalid": "日期时间格式不正确，应为 2026-09-30T10:00:00+08:00 这样的时间。",
        "invalid_awareness": "日期时间的时区不符合要求。",
        "format": "“{input}”不能按日期时间输出。",
    },
    fields.TimeDelta: {"invalid": "应为时间长度。", "format": "“{input!r}”不能按时间长度输出。"},
    fields.List: {"invalid": "应为列表。"},
    fields.Tuple: {"invalid": "应为列表。"},
    fields.Mapping: {"invalid": "应为对象（键值对）。"},
    fields.Nested: {"type": "应为对象（键值对）。"},
    fields.Email: {"invalid": "电子邮箱地址格式不正确。"},
    fields.URL: {"invalid": "网址格式不正确。"},
    fields.UUID: {"invalid_uuid": "UUID 格式不正确。"},
    fields.Enum: {"unknown": "应为以下之一：{choices}。"},
    fields.IP: {"invalid_ip": "IP 地址格式不正确。"},
    fields.IPv4: {"invalid_ip": "IPv4 地址格式不正确。"},
    fields.IPv6: {"invalid_ip": "IPv6 地址格式不正确。"},
    fields.IPInterface: {"invalid_ip_interface": "IP 网段格式不正确。"},
    fields.IPv4Interface: {"invalid_ip_interface": "IPv4 网段格式不正确。"},
    fields.IPv6Interface: {"invalid_ip_interface": "IPv6 网段格式不正确。"},
}
SCHEMA_MESSAGES = {"type": "提交的数据应为对象（键值对）。", "unknown": "不允许的字段。"}
#: Validator class → its message attributes.
VALIDATOR_MESSAGES: dict[type, dict[str, str]] = {
    validate.Range: {
        "message_min": "应{min_op} {{min}}。",
        "message_max": "应{max_op} {{max}}。",
        "message_all": "应{min_op} {{min}}且{max_op} {{max}}。",
        "message_gte": "大于或等于",
        "message_gt": "大于",
        "message_lte": "小于或等于",
        "message_lt": "小于",
    },
    validate.Length: {
        "message_min": "长度不能少于 {min}。",
        "message_max": "长度不能超过 {max}。",
        "message_all": "长度应在 {min} 到 {max} 之间。",
        "message_equal": "长度应为 {equal}。",
    },
    validate.OneOf: {"default_message": "应为以下之一：{choices}。"},
    validate.ContainsOnly: {"default_message": "所选项中有不在以下范围内的：{choices}。"},
    validate.ContainsNoneOf: {"default_message": "所选项中有不允许的：{values}。"},
    validate.Equal: {"default_message": "应等于 {other}。"},
    validate.NoneOf: {"default_message": "取值无效。"},
    validate.Predicate: {"default_message": "取值无效。"},
    validate.Regexp: {"default_message": "格式不正确。"},
    validate.Email: {"default_message": "电子邮箱地址格式不正确。"},
    validate.URL: {"default_message": "网址格式不正确。"},
}
#: webargs' refusal of a body that is not JSON at all (:class:`webapp.api.Blueprint`).
INVALID_JSON = "请求内容不是有效的 JSON。"


def install() -> None:
    """Put the Chinese defaults in place of marshmallow's English ones (idempotent)."""
    for cls, messages in FIELD_MESSAGES.items():
        if "default_error_messages" not in cls.__dict__:
            cls.default_error_messages = {}
        cls.default_error_messages.update(messages)
    Schema._default_error_messages = {**Schema._default_error_messages, **SCHEMA_MESSAGES}
    for cls, attributes in VALIDATOR_MESSAGES.items():
        for name, message in attributes.items():
            setattr(cls, name, message)


class Form(FlaskForm):
    """Every HTML form's base: WTForms' own messages (必填, 长度, 选择…) in Chinese."""

    class Meta:
        locales = ("zh",)
