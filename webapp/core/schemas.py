"""Marshmallow schemas of the core API, and the fields and schemas every feature's API shares.

Feature ``schemas.py`` modules build on these: an org code argument, the ``items`` of a list
answer, the org a row belongs to, a required reason, an optional comment, page arguments and the
page of an answer.  Their names, types and validation are the API's contract: change them here
and every endpoint that uses them changes with them.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from marshmallow.utils import ensure_text_type

from webapp.core.errors import InvalidInput
from webapp.core.periods import Kind, parse_key
from webapp.core.text import MAX_JSON_TEXT

#: ``Org.code`` is at most 12 characters.
ORG_CODE_MAX = 12
#: A period key: 2026Q3, 2026H1, 2026.
PERIOD_KEY_MAX = 16
#: The bound of a text whose operation bounds it itself, in Chinese and with its own words (a
#: report's narrative section, 20,000 characters, "未被截断"; an explanation, 2,000): every string
#: the API reads has a bound, nested ones too (tests/core/test_input_classes.py sweeps the API
#: document), and for these texts the schema's is the backstop above the operation's, so that
#: the operation's refusal is the one the user reads.
TEXT_MAX = MAX_JSON_TEXT
#: A key of a text map (a section key, a warning id, an item id).
KEY_MAX = 100


def bounded_text(max_length: int, **kwargs: Any) -> fields.String:
    """A string of at most ``max_length`` characters (a name, a code, a filter)."""
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def org_code_arg(**kwargs: Any) -> fields.String:
    """An org code given as a filter or an argument (``org``, ``under``…)."""
    return fields.String(validate=validate.Length(max=ORG_CODE_MAX), **kwargs)


class PeriodKeyField(fields.String):
    """A period key checked by the one parser (webapp.core.periods) and loaded as its code:
    ``2026q3`` → ``2026Q3``, ``2026Y`` → ``2026``; a wrong key is told in the parser's words."""

    def __init__(self, kinds: tuple[Kind, ...], noun: str, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Length(max=PERIOD_KEY_MAX))
        super().__init__(**kwargs)
        self.kinds, self.noun = kinds, noun

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_key(text, self.kinds, self.noun).code
        except InvalidInput as exc:
            raise ValidationError(exc.message) from exc


#: A column's Python type → the API field that carries it (anything else: as stored).
_FIELD_OF_TYPE: dict[type, type[fields.Field]] = {
    bool: fields.Boolean,
    int: fields.Integer,
    str: fields.String,
    datetime: fields.DateTime,
    date: fields.Date,
}


def row_fields(model: Any, *names: str, **overrides: fields.Field) -> dict[str, fields.Field]:
    """The API fields of a table row, read from the model's columns (``names``, in that order):
    a nullable column may be null, any other is required; ``overrides`` replace or add fields."""
    out: dict[str, fields.Field] = {}
    for name in names:
        column = model.__table__.c[name]
        # a TypeDecorator (UTCDateTime…) carries the type of what it stores
        column_type = getattr(column.type, "impl_instance", column.type)
        try:
            field_class = _FIELD_OF_TYPE.get(column_type.python_type, fields.Raw)
        except NotImplementedError:  # JSON: as stored
            field_class = fields.Raw
        out[name] = field_class(allow_none=True) if column.nullable else field_class(required=True)
    return {**out, **overrides}


def schema_of(
    name: str, module: str, field_map: dict[str, fields.Field], base: type[Schema] = Schema
) -> type[Schema]:
    """A schema class ``name`` of ``module`` (as the API document names it) with these fields."""
    schema = base.from_dict(field_map, name=name)
    schema.__module__ = module
    return schema


def items_field(item: type[Schema], **kwargs: Any) -> fields.List:
    """The ``items`` of a list answer: ``item`` rows."""
    return fields.List(fields.Nested(item), **kwargs)


def list_schema(name: str, item: type[Schema], *, required: bool = True) -> type[Schema]:
    """A list answer ``{"items": [item…]}``, named ``name`` in the API document."""
    return schema_of(name, item.__module__, {"items": items_field(item, required=required)})


def text_map(max_length: int = TEXT_MAX, **kwargs: Any) -> fields.Dict:
    """Texts by key: section key → text, warning id → explanation… (each at most
    ``max_length`` characters)."""
    return fields.Dict(keys=bounded_text(KEY_MAX), values=bounded_text(max_length), **kwargs)


def version_map(**kwargs: Any) -> fields.Dict:
    """Version numbers by section key (sent back as ``base_versions`` when saving)."""
    return fields.Dict(keys=bounded_text(KEY_MAX), values=fields.Integer(), **kwargs)


def reason_field(max_length: int = 2000, **kwargs: Any) -> fields.String:
    """A reason the user must give (withdrawal, override, extension…): 1 to ``max_length`` chars."""
    return fields.String(required=True, validate=validate.Length(min=1, max=max_length), **kwargs)


def optional_text(max_length: int = 2000, **kwargs: Any) -> fields.String:
    """A text the user may leave out or send as null (a comment, a reminder's message)."""
    return fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=max_length), **kwargs
    )


class OrgRowSchema(Schema):
    """A row that belongs to an org: its code and name."""

    org_code = fields.String(required=True)
    org_name = fields.String(required=True)


class OpenResultSchema(Schema):
    """The answer to opening a period for every unit: how many were opened, how many existed."""

    period = fields.String()
    opened = fields.Integer()
    existing = fields.Integer()


class ReturnNoteSchema(Schema):
    """Why the work came back (退回): the step, who, when, the reason and its kind."""

    step = fields.String(metadata={"description": "退回的步骤，如 上级接收"})
    by = fields.String(metadata={"description": "退回人"})
    by_org = fields.String(metadata={"description": "退回人所在单位"})
    at = fields.DateTime()
    reason = fields.String(metadata={"description": "退回意见"})
    kind = fields.String(metadata={"description": "退回类别，如 数据差错（步骤不要求时为空）"})


#: The last page number a list asks for (pages and API): past it an OFFSET overflows SQLite's
#: integer (a 500), and no list of ours has 100,000 pages.
MAX_PAGE = 100_000


class PageArgsSchema(Schema):
    """Page arguments of a paged list: page (from 1) and rows per page (at most 100)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageSchema(Schema):
    """Where a paged answer stands: the number of rows, this page and rows per page."""

    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=256)
    )


class TokenSchema(Schema):
    token = fields.String(required=True)
    expires_in_hours = fields.Integer(required=True)


class OrgSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    tier = fields.String(required=True)
    tier_label = fields.String(required=True)
    parent_code = fields.String(allow_none=True)  # from the org's path: its parent is not read


class MeSchema(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    org = fields.Nested(OrgSchema, required=True)
    roles = fields.Function(lambda u: sorted(r.value for r in u.roles))


class ErrorSchema(Schema):
    """Every error answer of the API (and of pages asked for JSON)."""

    code = fields.String(
        required=True, metadata={"description": "machine code: forbidden, not_found, invalid…"}
    )
    message = fields.String(required=True, metadata={"description": "中文说明"})
    errors = fields.Raw(metadata={"description": "details: invalid fields, refused rows…"})
    incident = fields.String(metadata={"description": "incident id of an unexpected error"})


#: How :func:`flat_dump` writes a field's value (None stays None, as marshmallow writes it).
_FLAT_KINDS: dict[type, Any] = {
    fields.String: ensure_text_type,
    fields.Integer: int,
    fields.DateTime: datetime.isoformat,
}


@functools.cache
def _flat_plan(schema: type[Schema]) -> tuple[tuple[str, Any], ...] | None:
    """(key, writer) of every field of ``schema`` when each is a plain String, Integer or ISO
    DateTime read from the same key; None when one is anything else."""
    plan = []
    for name, field in schema._declared_fields.items():  # noqa: SLF001
        if field.load_only:
            continue
        write = _FLAT_KINDS.get(type(field))
        if (
            write is None
            or field.attribute not in (None, name)
            or field.data_key not in (None, name)
            or getattr(field, "format", None) not in (None, "iso")
            or (type(field) is fields.Integer and field.as_string)
        ):
            return None
        plan.append((name, write))
    return tuple(plan)


def flat_dump(schema: type[Schema], obj: dict[str, Any]) -> dict[str, Any]:
    """``schema().dump(obj)`` of a dict, without marshmallow's per-field machinery (about 160
    Python calls for a task's 23 fields) when every field is plain (:func:`_flat_plan`);
    otherwise marshmallow's own dump.  Held equal to marshmallow's by a property test."""
    plan = _flat_plan(schema)
    if plan is None:
        return schema().dump(obj)
    out = {}
    for name, write in plan:
        if name in obj:
            value = obj[name]
            out[name] = None if value is None else write(value)
    return out
