"""Ledger pages: lists with search/filters/sorting/pagination, forms, import, export."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from wtforms import SelectChoice

from webapp.core import audit, progress
from webapp.core.errors import DomainError, InvalidInput
from webapp.core.models import Org
from webapp.core.permissions import can, require
from webapp.core.spreadsheet import XLSX_MIME
from webapp.extensions import begin_write, db
from webapp.ledger import excel, operations
from webapp.ledger.fields import KINDS, Kind, display
from webapp.ledger.forms import EmptyForm, ImportForm, form_values, record_form
from webapp.ledger.importing import ImportResult, apply_import, stage_import
from webapp.ledger.queries import STATUSES, ListQuery, frozen_reports, list_records, visible_units
from webapp.web import link_args, page_blueprint, reads_first, record_refused_upload

bp = page_blueprint("ledger", __name__, view="ledger.view")
#: Rows in one export (the whole subtree of a province fits).
EXPORT_LIMIT = 200_000


def _unit_choices() -> list[SelectChoice]:
    units = visible_units(current_user.org)
    return [
        SelectChoice(o.code, f"{'　' * (o.depth - current_user.org.depth)}{o.name}") for o in units
    ]


def _date_arg(name: str) -> date | None:
    value = request.args.get(name) or ""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _list_query(kind_name: str) -> ListQuery:
    return ListQuery(
        q=(request.args.get("q") or "").strip()[:100],
        status=request.args.get("status") or "",
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
        unit=request.args.get("unit") or "",
        sort=request.args.get("sort") or "",
        desc=request.args.get("dir", "desc") != "asc",
        page=request.args.get("page", 1, type=int) or 1,
        per_page=request.args.get("per_page", 50, type=int) or 50,
    )


@bp.route("/")
def index() -> Any:
    return redirect(url_for("ledger.records", kind_name="projects"))


@bp.route("/<kind_name>/")
def records(kind_name: str) -> Any:
    kind = operations.get_kind(kind_name)
    query = _list_query(kind_name)
    page = list_records(current_user, kind, current_user.org, query)
    args = link_args("page", "kind_name")
    return render_template(
        "ledger/list.html",
        kind=kind,
        kinds=KINDS,
        page=page,
        query=query,
        args=args,
        units=_unit_choices(),
        statuses=STATUSES,
        listed=[f for f in kind.fields if f.listed],
        display=display,
        can_edit=can(current_user, "ledger.edit", current_user.org),
    )


def _form_page(kind_name: str, record: Any = None) -> Any:
    kind = operations.get_kind(kind_name)
    form = record_form(kind, record)
    form.org_code.choices = _unit_choices()
    if record is not None and not form.is_submitted():
        form.org_code.data = record.org.code
    errors: dict[str, str] = {}
    status = 200
    if form.validate_on_submit():
        try:
            org = operations.resolve_org(current_user, form.org_code.data)
            saved = operations.save_record(current_user, kind, org, form_values(kind, form), record)
        except InvalidInput as err:
            errors = err.details if isinstance(err.details, dict) else {"": err.message}
            status = 422
        except DomainError as err:
            errors = {"": err.message}
            status = err.status_code
        else:
            flash(f"{kind.label}已保存。", "success")
            for warning in saved.warnings:
                flash(f"提示：{warning}", "warning")
            return redirect(url_for("ledger.records", kind_name=kind.name))
    elif form.is_submitted():
        status = 422  # refused by the form itself: its field errors are shown (as on admin pages)
    label_of = {f.name: f.label for f in kind.fields}
    return render_template(
        "ledger/form.html",
        kind=kind,
        form=form,
        record=record,
        errors=errors,
        label_of=label_of,
        confirm=EmptyForm(),
        can_edit=can(current_user, "ledger.edit", record.org if record else current_user.org),
        frozen=frozen_reports(current_user, record) if record is not None else [],
    ), status


@bp.route("/<kind_name>/new", methods=["GET", "POST"])
def new(kind_name: str) -> Any:
    require(current_user, "ledger.edit", current_user.org)
    return _form_page(kind_name)


@bp.route("/<kind_name>/<int:record_id>", methods=["GET", "POST"])
def edit(kind_name: str, record_id: int) -> Any:
    kind = operations.get_kind(kind_name)
    record = operations.get_record(current_user, kind, record_id)
    if request.method == "POST":
        require(current_user, "ledger.edit", record.org)
    return _form_page(kind_name, record)


@bp.route("/<kind_name>/<int:record_id>/delete", methods=["POST"])
def delete(kind_name: str, record_id: int) -> Any:
    kind = operations.get_kind(kind_name)
    record = operations.get_record(current_user, kind, record_id, action="ledger.edit")
    if EmptyForm().validate_on_submit():
        operations.delete_record(current_user, kind, record)
        flash(f"{kind.label}已删除。", "success")
    return redirect(url_for("ledger.records", kind_name=kind.name))


@bp.route("/<kind_name>/import", methods=["GET", "POST"])
@reads_first
def import_page(kind_name: str) -> Any:
    """Read and validate as a reader, then write in one short transaction (see importing)."""
    kind = operations.get_kind(kind_name)
    require(current_user, "ledger.edit", current_user.org)
    form = ImportForm()
    form.org_code.choices = _unit_choices()
    result = problems = None
    message = None
    status = 200
    if form.validate_on_submit():
        upload = request.files.get("file")
        token = request.form.get("progress")
        progress_of = progress.reporter(current_user.id, token)
        try:
            if upload is None or not upload.filename:
                raise InvalidInput("请选择要导入的 Excel 文件。")
            org = operations.resolve_org(current_user, form.org_code.data)
            result = _import(kind, org, upload, progress_of)
        except DomainError as err:
            db.session.rollback()
            record_refused_upload(err)
            message = err.message
            problems = err.details if isinstance(err.details, list) else None
            status = err.status_code
        finally:
            progress_of("done", 0, 0)
    elif form.is_submitted():
        status = 422
    return render_template(
        "ledger/import.html",
        kind=kind,
        form=form,
        result=result,
        problems=problems,
        message=message,
        limit=current_app.config["LEDGER_IMPORT_MAX_ROWS"],
    ), status


def _import(kind: Kind, org: Org, upload: Any, progress_of: Any) -> ImportResult:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    rows = excel.read_sheet(
        upload.read(limit + 1),
        kind,
        max_bytes=limit,
        max_rows=current_app.config["LEDGER_IMPORT_MAX_ROWS"],
        progress=progress_of,
    )
    staged = stage_import(current_user, kind, org, rows, progress_of)
    begin_write()  # the write lock is taken here, for the write alone
    return apply_import(current_user, org, staged, progress_of)


@bp.route("/import/progress/<token>")
def import_progress(token: str) -> Any:
    """How far the import the page started has come (only its own user may ask)."""
    found = progress.read(current_user.id, token)
    if found is None:
        return jsonify(phase="unknown", message="正在上传并校验…"), 404
    return jsonify(found)


@bp.route("/<kind_name>/template.xlsx")
def template(kind_name: str) -> Any:
    kind = operations.get_kind(kind_name)
    return send_file(
        io.BytesIO(excel.template(kind)),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=f"{kind.label}导入模板.xlsx",
    )


@bp.route("/<kind_name>/export.xlsx")
def export(kind_name: str) -> Any:
    """Every row matching the list's filters (not only the page shown)."""
    kind = operations.get_kind(kind_name)
    query = _list_query(kind_name)
    query.page, query.per_page = 1, EXPORT_LIMIT
    found = list_records(current_user, kind, current_user.org, query, max_per_page=EXPORT_LIMIT)
    data = excel.export_records(kind, found.items)
    # What left the product and under which filters (docs/audit.md: exports are recorded).
    filters = {k: v for k, v in request.args.items() if v and k not in ("page", "per_page")}
    audit.record(
        f"ledger.{kind.name}.export",
        actor=current_user,
        org=current_user.org,
        object_type="org",
        object_id=current_user.org.code,
        after={"rows": len(found.items), "filters": filters},
    )
    return send_file(
        io.BytesIO(data),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=f"{kind.label}_{current_user.org.code}.xlsx",
    )
