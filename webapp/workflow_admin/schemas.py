"""Marshmallow schemas of the BPMN administration API."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from webapp.workflow_admin.operations import DefinitionSummary, VersionInfo


class VersionSchema(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()
    content_hash = fields.String(metadata={"description": "SHA-256 of the BPMN file"})
    deployed_by = fields.String(allow_none=True, metadata={"description": "username"})
    deployed_at = fields.DateTime()
    running_instances = fields.Integer()


class DeployedSchema(VersionSchema):
    """The answer of a deploy or rollback: the new version, and the running instances that stay
    on an older one (a deploy never moves them)."""

    running_on_older_versions = fields.Integer(
        metadata={"description": "instances still running on an older version"}
    )
    migrate_url = fields.String(
        metadata={"description": "the definition page's form that migrates them"}
    )
    message = fields.String(metadata={"description": "what was deployed, in Chinese"})


class DefinitionSchema(Schema):
    key = fields.String()
    name = fields.String()
    latest_version = fields.Integer()
    versions = fields.List(fields.Nested(VersionSchema))


class DefinitionListSchema(Schema):
    items = fields.List(fields.Nested(DefinitionSchema))


class UploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "the .bpmn file"})


class RollbackSchema(Schema):
    version = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))


class CompareQuerySchema(Schema):
    old = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    new = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))


class ElementChangeSchema(Schema):
    element_id = fields.String()
    name = fields.String()
    kind = fields.String()
    fields_ = fields.List(fields.String(), data_key="fields")
    old_element_id = fields.String(allow_none=True)


class CompareSchema(Schema):
    old_version = fields.Integer()
    new_version = fields.Integer()
    added = fields.List(fields.Nested(ElementChangeSchema))
    removed = fields.List(fields.Nested(ElementChangeSchema))
    changed = fields.List(fields.Nested(ElementChangeSchema))


class MigrationSchema(Schema):
    instance_id = fields.Integer()
    business_key = fields.String()
    process_key = fields.String()
    version = fields.Integer(metadata={"description": "the version it now runs on"})


def version_json(info: VersionInfo) -> dict[str, Any]:
    d = info.definition
    return {
        "key": d.key,
        "name": d.name,
        "version": d.version,
        "content_hash": d.content_hash,
        "deployed_by": d.deployed_by.username if d.deployed_by is not None else None,
        "deployed_at": d.deployed_at,
        "running_instances": info.running,
    }


def definition_json(summary: DefinitionSummary) -> dict[str, Any]:
    return {
        "key": summary.key,
        "name": summary.name,
        "latest_version": summary.latest.version,
        "versions": [version_json(v) for v in summary.versions],
    }


def change_json(change: Any) -> dict[str, Any]:
    return {
        "element_id": change.element_id,
        "name": change.name,
        "kind": change.kind,
        "fields_": change.fields,
        "old_element_id": change.old_element_id,
    }
