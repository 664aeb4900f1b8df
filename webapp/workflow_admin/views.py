"""Pages of 管理 → 流程定义: versions, diagram, upload, editor, compare, roll back, migrate."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from webapp.core.converters import MAX_ID
from webapp.core.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    UploadRefused,
)
from webapp.core.models import ROLE_LABELS
from webapp.core.permissions import require
from webapp.core.states import ProcessStatus
from webapp.engine import (
    compare_versions,
    form_choices,
    migration_problems,
    service_operation_names,
)
from webapp.extensions import db
from webapp.web import attachment, id_field, long_json_text, record_refusal, record_refused_upload
from webapp.workflow_admin import operations

bp = Blueprint(
    "workflow_admin",
    __name__,
    url_prefix="/admin/workflows",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

#: Lane relations offered by the editor (docs/engine.md), with their Chinese labels.
RELATIONS = [
    ("self", "本单位（流程所属单位）"),
    ("parent", "上级单位"),
    ("grandparent", "上上级单位"),
    ("province", "省级"),
]
#: Instances whose migration is pre-checked on the page (each check loads the workflow).
PRECHECK_LIMIT = 100


# Refused deploys and rollbacks stay in the audit trail although nothing was stored: an auditor
# reading how a procedure changed needs the attempts too (who tried to deploy which process, with
# which file, why it was refused).  Written at the edge, so the record outlives the rollback.

#: Problems kept in one record (the refusal message already names the first five).
MAX_PROBLEMS = 20


def record_deploy_refusal(
    err: DomainError,
    key: str | None,
    content: bytes | None = None,
    *,
    from_version: int | None = None,
) -> None:
    """Audit ``workflow.deploy_refused`` for a refused deploy (``content``) or rollback
    (``from_version``).  A refused file (oversize, DOCTYPE) is ``security.upload_refused``,
    written by whoever shows the refusal; a permission refusal is the edge's; a version that
    does not exist refused nothing."""
    if isinstance(err, UploadRefused | PermissionDenied | NotFound):
        return
    after: dict[str, object] = {"key": key, "reason": err.message}
    if content is not None:
        after["hash"] = hashlib.sha256(content).hexdigest()
        after["bytes"] = len(content)
    if from_version is not None:
        after["from_version"] = from_version
    if isinstance(err.details, list):
        after["problems"] = [
            p.get("message") for p in err.details[:MAX_PROBLEMS] if isinstance(p, dict)
        ]
    record_refusal("workflow.deploy_refused", after=after)


@bp.before_request
@login_required
def _only_admins() -> None:
    require(current_user, "workflow.admin")


def _read_upload(field: str = "file") -> bytes:
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise InvalidInput("请选择要上传的 BPMN 文件（.bpmn）。")
    try:
        return bytes(upload.read(operations.MAX_UPLOAD_BYTES + 1))
    finally:
        upload.close()  # a large upload is spooled to a temporary file


@bp.route("/")
def workflows() -> Any:
    return render_template(
        "workflow_admin/definitions.html", definitions=operations.definitions_overview()
    )


@bp.route("/upload", methods=["POST"])
def workflows_upload() -> Any:
    key = (request.form.get("key") or "").strip() or None
    content = None
    try:
        content = _read_upload()
        definition = operations.upload_version(current_user, key, content)
    except DomainError as err:
        if err.status_code == 403:
            raise
        db.session.rollback()
        record_refused_upload(err)
        if content is not None:
            record_deploy_refusal(err, key, content)
        problems = err.details if isinstance(err.details, list) else []
        flash(err.message, "danger")
        return render_template(
            "workflow_admin/definitions.html",
            definitions=operations.definitions_overview(),
            problems=problems,
        ), err.status_code
    return _deployed(definition)


def _deployed(definition: Any) -> Any:
    """Say what was deployed and how many running instances stay on an older version; land on
    the definition page, at its migrate form when there are some."""
    older = operations.older_running(definition)
    flash(operations.deployed_message(definition, older), "warning" if older else "success")
    return redirect(migrate_url(definition, older))


def migrate_url(definition: Any, older: int) -> str:
    """The definition page of the new version, at its migrate form when instances stay behind."""
    anchor = {"_anchor": "migrate-form"} if older else {}
    return url_for("workflow_admin.workflows_detail", key=definition.key, **anchor)


@bp.route("/<key>")
def workflows_detail(key: str) -> Any:
    summary = operations.definition_summary(key)
    shown = id_field(request.args, "version") or summary.latest.version
    definition = operations.get_version(key, shown)
    instances = operations.running_instances(key)
    checks: dict[int, list[str]] = {}
    for instance in instances[:PRECHECK_LIMIT]:
        if instance.definition_id != summary.latest.id:
            checks[instance.id] = migration_problems(instance.id)
    return render_template(
        "workflow_admin/definition.html",
        summary=summary,
        shown=definition,
        instances=instances,
        checks=checks,
    )


@bp.route("/<key>/versions/<int:version>.bpmn")
def workflows_download(key: str, version: int) -> Any:
    definition = operations.get_version(key, version)
    headers = {}
    if request.args.get("download"):
        headers["Content-Disposition"] = attachment(f"{key}_v{version}.bpmn", "process")
    return Response(definition.content, mimetype="application/xml", headers=headers)


@bp.route("/<key>/edit")
def workflows_edit(key: str) -> Any:
    summary = operations.definition_summary(key)
    base = id_field(request.args, "version") or summary.latest.version
    operations.get_version(key, base)
    return render_template(
        "workflow_admin/editor.html",
        summary=summary,
        base_version=base,
        palette={
            "roles": [{"value": r.value, "label": label} for r, label in ROLE_LABELS.items()],
            "relations": [{"value": v, "label": label} for v, label in RELATIONS],
            "forms": [{"value": k, "label": label} for k, label in form_choices()],
            "operations": service_operation_names(),
            "statuses": [{"value": s.value, "label": s.label} for s in ProcessStatus],
        },
    )


def _posted_xml() -> bytes:
    payload = request.get_json(silent=True) or {}
    xml = payload.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        raise InvalidInput("没有收到流程图内容。")
    return xml.encode("utf-8")


@bp.route("/<key>/validate", methods=["POST"])
@long_json_text(operations.MAX_UPLOAD_BYTES)
def workflows_validate(key: str) -> Any:
    problems = operations.check_content(current_user, key, _posted_xml())
    return jsonify(problems=problems)


@bp.route("/<key>/deploy", methods=["POST"])
@long_json_text(operations.MAX_UPLOAD_BYTES)
def workflows_deploy(key: str) -> Any:
    content = _posted_xml()
    try:
        definition = operations.upload_version(current_user, key, content)
    except DomainError as err:
        if err.status_code == 403:
            raise
        db.session.rollback()
        record_refused_upload(err)
        record_deploy_refusal(err, key, content)
        problems = err.details if isinstance(err.details, list) else []
        return jsonify(code=err.code, message=err.message, problems=problems), err.status_code
    older = operations.older_running(definition)
    message = operations.deployed_message(definition, older)
    flash(message, "warning" if older else "success")
    return jsonify(
        version=definition.version,
        url=migrate_url(definition, older),
        message=message,
        running_on_older_versions=older,
    ), 201


@bp.route("/<key>/rollback", methods=["POST"])
def workflows_rollback(key: str) -> Any:
    version = id_field(request.form, "version")
    if version is None:
        flash("请选择要回滚到的版本。", "danger")
        return redirect(url_for(".workflows_detail", key=key))
    try:
        definition = operations.rollback(current_user, key, version)
    except DomainError as err:
        if err.status_code == 403:
            raise
        db.session.rollback()
        record_deploy_refusal(err, key, from_version=version)
        flash(err.message, "danger")
        return redirect(url_for(".workflows_detail", key=key))
    older = operations.older_running(definition)
    flash(
        operations.deployed_message(definition, older, from_version=version),
        "warning" if older else "success",
    )
    return redirect(migrate_url(definition, older))


@bp.route("/<key>/compare")
def workflows_compare(key: str) -> Any:
    summary = operations.definition_summary(key)
    latest = summary.latest.version
    new = id_field(request.args, "new") or latest
    old = id_field(request.args, "old") or max(new - 1, 1)
    diff = compare_versions(operations.get_version(key, old), operations.get_version(key, new))
    return render_template("workflow_admin/compare.html", summary=summary, diff=diff)


@bp.route("/<key>/migrate", methods=["POST"])
def workflows_migrate(key: str) -> Any:
    ids = [int(i) for i in request.form.getlist("instance_id") if i.isdigit()]
    ids = [i for i in ids if 0 < i <= MAX_ID]  # beyond the id column: no such instance
    if not ids:
        flash("请先勾选要迁移的流程实例。", "warning")
        return redirect(url_for(".workflows_detail", key=key))
    for result in operations.migrate_instances(current_user, ids):
        flash(result.message, "success" if result.ok else "danger")
    return redirect(url_for(".workflows_detail", key=key))
