"""Marshmallow schemas of drafted texts: saving with base versions, the 409 of a stale save,
and the history of a section.  Features use the save schemas in their own endpoints."""

from __future__ import annotations

import enum
from typing import Any

from marshmallow import Schema, fields, validate

from webapp.core.schemas import OrgRowSchema, items_field, version_map


def base_versions_field() -> fields.Dict:
    """``base_versions`` of a save request: section key → the version its text was based on."""
    return fields.Dict(
        keys=fields.String(validate=validate.Length(max=200)),
        values=fields.Integer(validate=validate.Range(min=0, max=2**31 - 1)),
        load_default=dict,
        metadata={
            "description": "每个提交部分所据的版本号（读取时返回的当前版本号）；从未保存过的部分"
            "为 0 或省略。已有版本的部分不带版本号、或带过时的版本号保存，将被拒绝（409）。"
        },
    )


def state_field(states: type[enum.StrEnum], **kwargs: Any) -> fields.String:
    """A document's state: one of the feature's codes (``states``, e.g. ``ReportState``)."""
    return fields.String(validate=validate.OneOf([s.value for s in states]), **kwargs)


class DocumentSummarySchema(OrgRowSchema):
    """What a list of drafted documents (reports, public reports) shows of each: the unit, the
    period, the state (a feature narrows it to its own codes) and the process it runs in."""

    id = fields.Integer(required=True)
    period = fields.String(required=True)
    state = fields.String(required=True)
    state_label = fields.String(required=True)
    instance_id = fields.Integer(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)


class SavedSchema(Schema):
    """The answer to a save."""

    changed = fields.List(
        fields.String(), required=True, metadata={"description": "产生了新版本的部分"}
    )
    versions = version_map(
        required=True,
        metadata={"description": "每个提交部分保存后的当前版本号，下次保存时作为 base_versions"},
    )


class ConflictItemSchema(Schema):
    section = fields.String(required=True)
    title = fields.String(required=True)
    base_version = fields.Integer(required=True, metadata={"description": "提交所据的版本"})
    current_version = fields.Integer(required=True, metadata={"description": "当前版本"})
    current_text = fields.String(required=True, metadata={"description": "当前（他人保存的）文字"})
    saved_by = fields.String(required=True)
    saved_at = fields.DateTime(allow_none=True)
    saved_at_label = fields.String()
    submitted_text = fields.String(required=True, metadata={"description": "本次提交的文字"})


class ConflictDetailsSchema(Schema):
    conflicts = fields.List(fields.Nested(ConflictItemSchema), required=True)


class DraftConflictSchema(Schema):
    """409 of a stale save: nothing was saved; both texts of each section are returned."""

    code = fields.String(required=True, metadata={"description": "draft_conflict"})
    message = fields.String(required=True)
    errors = fields.Nested(ConflictDetailsSchema, required=True)


class SectionVersionSchema(Schema):
    section = fields.String(required=True)
    version = fields.Integer(required=True)
    saved_by = fields.String(required=True, attribute="saved_by_name")
    saved_at = fields.DateTime(required=True)
    length = fields.Integer(required=True, metadata={"description": "字数"})
    restored_from = fields.Integer(
        allow_none=True, metadata={"description": "恢复自哪个版本（普通保存为空）"}
    )


class SectionVersionTextSchema(SectionVersionSchema):
    text = fields.String(required=True)


class SectionSummarySchema(Schema):
    section = fields.String(required=True)
    title = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "当前版本，0 表示未保存过"})
    saved_by = fields.String(allow_none=True)
    saved_at = fields.DateTime(allow_none=True)
    length = fields.Integer(required=True)
    versions = fields.Integer(required=True, metadata={"description": "版本数"})


class _DocumentRefSchema(Schema):
    """The drafted document a history is of: its kind (kinds.py) and id."""

    kind = fields.String(required=True)
    document_id = fields.Integer(required=True)


class DocumentHistorySchema(_DocumentRefSchema):
    document = fields.String(required=True)
    editable = fields.Boolean(required=True)
    can_restore = fields.Boolean(required=True)
    sections = items_field(SectionSummarySchema, required=True)


class SectionHistorySchema(_DocumentRefSchema):
    section = fields.String(required=True)
    title = fields.String(required=True)
    items = items_field(SectionVersionSchema, required=True)


class RestoredSchema(Schema):
    section = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "恢复后新建的版本号"})
    restored_from = fields.Integer(required=True)
