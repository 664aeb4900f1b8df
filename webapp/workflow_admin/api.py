"""JSON API: /api/v1/workflows (definitions, versions, upload, rollback, compare) and
/api/v1/instances/<id>/migrate.  Administrators only."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask_login import current_user

from webapp.api import Blueprint, feature_api, refusals
from webapp.core.errors import DomainError
from webapp.engine import compare_versions
from webapp.web import attachment
from webapp.workflow_admin import operations
from webapp.workflow_admin.schemas import (
    CompareQuerySchema,
    CompareSchema,
    DefinitionListSchema,
    DeployedSchema,
    MigrationSchema,
    RollbackSchema,
    UploadSchema,
    change_json,
    definition_json,
    version_json,
)
from webapp.workflow_admin.views import migrate_url, record_deploy_refusal

# Before the body is parsed or anything is loaded: a non-administrator learns nothing.
workflows_bp = feature_api(
    "api_workflows",
    __name__,
    "/api/v1/workflows",
    "流程定义管理",
    gate="workflow.admin",
    writes_only=False,
)
migration_bp = feature_api(
    "api_instance_migration",
    __name__,
    "/api/v1/instances",
    "流程实例迁移",
    gate="workflow.admin",
    writes_only=False,
)
blueprints = [workflows_bp, migration_bp]

ERRORS = {403: "无权限", 404: "不存在", 409: "与当前状态冲突", 422: "数据有误（逐项列出）"}


def _refusals(bp: Blueprint, *codes: int) -> Any:
    return refusals(bp, described={code: ERRORS[code] for code in codes})


@workflows_bp.route("")
@workflows_bp.response(200, DefinitionListSchema)
@_refusals(workflows_bp, 403)
def list_definitions() -> Any:
    """Every process definition with its versions (newest first) and running instance counts."""
    return {"items": [definition_json(s) for s in operations.definitions_overview()]}


@workflows_bp.route("/<key>/versions/<int:version>.bpmn")
@workflows_bp.response(200, content_type="application/xml")
@_refusals(workflows_bp, 403, 404)
def download(key: str, version: int) -> Any:
    """The BPMN file of one version."""
    definition = operations.get_version(key, version)
    return Response(
        definition.content,
        mimetype="application/xml",
        headers={"Content-Disposition": attachment(f"{key}_v{version}.bpmn", "process")},
    )


@workflows_bp.route("/<key>/versions", methods=["POST"])
@workflows_bp.arguments(UploadSchema, location="files")
@workflows_bp.response(201, DeployedSchema)
@_refusals(workflows_bp, 403, 409, 422)
def upload(files: dict[str, Any], key: str) -> Any:
    """Deploy a .bpmn file (multipart field ``file``) as the newest version of ``key``.

    422 lists every problem as ``{"element_id", "message"}`` in ``errors``; nothing is stored.
    """
    limit = operations.MAX_UPLOAD_BYTES
    upload = files["file"]
    try:
        content = upload.read(min(limit, current_app.config["MAX_CONTENT_LENGTH"]) + 1)
    finally:
        upload.close()  # a large upload is spooled to a temporary file
    try:
        definition = operations.upload_version(current_user, key, content)
    except DomainError as err:
        record_deploy_refusal(err, key, content)  # the edge answers (and audits a refused file)
        raise
    return deployed_json(definition)


@workflows_bp.route("/<key>/rollback", methods=["POST"])
@workflows_bp.arguments(RollbackSchema)
@workflows_bp.response(201, DeployedSchema)
@_refusals(workflows_bp, *ERRORS)
def rollback(body: dict[str, int], key: str) -> Any:
    """Deploy an earlier version's content again as the newest version."""
    try:
        definition = operations.rollback(current_user, key, body["version"])
    except DomainError as err:
        record_deploy_refusal(err, key, from_version=body["version"])
        raise
    return deployed_json(definition, from_version=body["version"])


def deployed_json(definition: Any, *, from_version: int | None = None) -> dict[str, Any]:
    """The new version, and how many running instances stay on an older one (with the page
    that migrates them)."""
    older = operations.older_running(definition)
    return {
        **version_json(operations.VersionInfo(definition, 0)),
        "running_on_older_versions": older,
        "migrate_url": migrate_url(definition, older),
        "message": operations.deployed_message(definition, older, from_version=from_version),
    }


@workflows_bp.route("/<key>/compare")
@workflows_bp.arguments(CompareQuerySchema, location="query")
@workflows_bp.response(200, CompareSchema)
@_refusals(workflows_bp, 403, 404, 422)
def compare(args: dict[str, int], key: str) -> Any:
    """Elements added, removed and changed from version ``old`` to version ``new``."""
    diff = compare_versions(
        operations.get_version(key, args["old"]), operations.get_version(key, args["new"])
    )
    return {
        "old_version": diff.old_version,
        "new_version": diff.new_version,
        "added": [change_json(c) for c in diff.added],
        "removed": [change_json(c) for c in diff.removed],
        "changed": [change_json(c) for c in diff.changed],
    }


@migration_bp.route("/<int:instance_id>/migrate", methods=["POST"])
@migration_bp.response(200, MigrationSchema)
@_refusals(migration_bp, 403, 404, 409)
def migrate(instance_id: int) -> Any:
    """Move a running instance to the newest version of its process.

    409 when a task it waits in (or a step it completed) does not exist in the newest version;
    ``errors`` lists the reasons.
    """
    from webapp.engine import migrate_instance

    instance = migrate_instance(current_user, instance_id)
    return {
        "instance_id": instance.id,
        "business_key": instance.business_key,
        "process_key": instance.process_key,
        "version": instance.definition.version,
    }
