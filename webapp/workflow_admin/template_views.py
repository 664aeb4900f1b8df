"""Pages of 管理 → 文书模板: versions of each Word template, upload, restore, download."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from webapp.core.errors import DomainError, InvalidInput
from webapp.core.permissions import require
from webapp.extensions import db
from webapp.web import attachment, id_field, record_refused_upload
from webapp.workflow_admin import doc_templates
from webapp.workflow_admin.samples import SAMPLES
from webapp.workflow_admin.uploads import MAX_DOCX_BYTES

bp = Blueprint(
    "doc_templates", __name__, url_prefix="/admin/doc-templates", template_folder="templates"
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.before_request
@login_required
def _only_admins() -> None:
    require(current_user, "template.manage")


@bp.route("/")
def templates() -> Any:
    return render_template(
        "workflow_admin/doc_templates.html", overview=doc_templates.template_overview()
    )


def _detail(name: str, status: int = 200, problems: list[str] | None = None) -> Any:
    return render_template(
        "workflow_admin/doc_template.html",
        name=name,
        label=SAMPLES[name].label,
        active=doc_templates.active_version(name),
        versions=doc_templates.template_versions(name),
        problems=problems or [],
        max_mb=MAX_DOCX_BYTES // (1024 * 1024),
    ), status


@bp.route("/<name>")
def templates_detail(name: str) -> Any:
    doc_templates.template_versions(name)  # 404 for an unknown name
    return _detail(name)


@bp.route("/<name>/upload", methods=["POST"])
def templates_upload(name: str) -> Any:
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("请选择要上传的模板文件（.docx）。")
        try:
            data = bytes(upload.read(MAX_DOCX_BYTES + 1))
        finally:
            upload.close()  # a large upload is spooled to a temporary file
        row = doc_templates.upload_template(current_user, name, data, upload.filename)
    except DomainError as err:
        if err.status_code in (403, 404):
            raise
        db.session.rollback()
        record_refused_upload(err)
        flash(err.message, "danger")
        problems = err.details if isinstance(err.details, list) else []
        return _detail(name, err.status_code, problems)
    flash(f"模板已校验通过，第 {row.version} 版已启用。", "success")
    return redirect(url_for(".templates_detail", name=name))


@bp.route("/<name>/restore", methods=["POST"])
def templates_restore(name: str) -> Any:
    version = id_field(request.form, "version", minimum=0)  # 0: the built-in file
    try:
        if version is None:
            raise InvalidInput("请选择要恢复的版本。")
        doc_templates.restore_template(current_user, name, version)
    except DomainError as err:
        if err.status_code in (403, 404):
            raise
        db.session.rollback()
        flash(err.message, "danger")
        return _detail(name, err.status_code)
    flash("已恢复为内置模板。" if version == 0 else f"已恢复第 {version} 版。", "success")
    return redirect(url_for(".templates_detail", name=name))


@bp.route("/<name>/versions/<int:version>.docx")
def templates_download(name: str, version: int) -> Any:
    if version == 0:
        data = doc_templates.builtin_template(name)
    else:
        data = doc_templates.get_version(name, version).content
    filename = f"{SAMPLES[name].label}_v{version}.docx"
    return Response(
        data,
        mimetype=DOCX,
        headers={"Content-Disposition": attachment(filename, f"{name}_v{version}")},
    )
