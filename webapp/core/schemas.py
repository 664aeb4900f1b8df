"""Marshmallow schemas of the core API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


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
    parent_code = fields.Function(lambda o: o.parent.code if o.parent else None, allow_none=True)


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
