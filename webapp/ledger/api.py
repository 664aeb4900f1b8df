"""JSON API of the ledgers: /api/v1/ledger/<kind> (projects, bad_records, good_records,
penalties, accidents): list, read, create, update, delete, import, template."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, send_file
from flask_login import current_user
from marshmallow import INCLUDE, Schema, fields, validate

from webapp.api import feature_api
from webapp.core.errors import InvalidInput
from webapp.core.permissions import require
from webapp.core.schemas import PageArgsSchema, bounded_text, org_code_arg
from webapp.core.spreadsheet import XLSX_MIME
from webapp.extensions import begin_write
from webapp.ledger import excel, operations
from webapp.ledger.fields import display
from webapp.ledger.importing import apply_import, stage_import
from webapp.ledger.queries import MAX_PER_PAGE, ListQuery, list_records, refuse_unknown_filters
from webapp.web import reads_first

#: Only clerks keep ledgers: anyone else's write is refused before the body or record is read.
bp = feature_api(
    "api_ledger", __name__, "/api/v1/ledger", "台账：工程、不良行为、处罚、事故", gate="ledger.edit"
)


class ListArgs(PageArgsSchema):
    org = org_code_arg(load_default=None, metadata={"description": "单位代码（默认本单位）"})
    q = bounded_text(50, load_default="")
    status = bounded_text(20, load_default="", metadata={"description": "工程状态（仅 projects）"})
    unit = org_code_arg(load_default="", metadata={"description": "下级单位代码（含其下级）"})
    sort = bounded_text(64, load_default="", metadata={"description": "排序字段（列表中的字段）"})
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class OrgArgs(Schema):
    org = org_code_arg(load_default=None)


class RecordBody(Schema):
    """Field names of the ledger (see the template), values as text, numbers or booleans."""

    class Meta:
        unknown = INCLUDE

    org = org_code_arg(load_default=None)


#: What ``as_json`` adds to a record's fields: read back, they are ignored (a client may send a
#: record as it got it), never written.
READ_ONLY = frozenset({"id", "org_code", "level", "needs_fast_report"})


def refuse_unknown_fields(kind: Any, body: dict[str, Any]) -> None:
    """A key that is neither a field of the ledger nor one the API returns is refused (422):
    dropped, a misspelt ``is_residental`` or ``cost_10k_yaun`` saved the record without it,
    and the forms counted it wrong (the same rule as the list's filters)."""
    known = {f.name for f in kind.fields} | READ_ONLY
    unknown = sorted(k for k in body if k not in known)
    if unknown:
        raise InvalidInput(
            f"不允许的字段：{'、'.join(unknown)}（字段名见导入模板）。",
            details={k: "不允许的字段。" for k in unknown},
        )


def as_json(kind: Any, record: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": record.id, "org_code": record.org.code}
    for f in kind.fields:
        value = getattr(record, f.name)
        data[f.name] = value if f.kind in ("bool", "int") else display(f, value) or None
    if kind.name == "accidents":
        data["level"] = record.level
        data["needs_fast_report"] = record.needs_fast_report
    return data


@bp.route("/<kind_name>")
@bp.arguments(ListArgs, location="query")
def list_view(args: dict[str, Any], kind_name: str) -> Any:
    """A page of a ledger within the org's subtree (``has_more`` instead of a total)."""
    kind = operations.get_kind(kind_name)
    org = operations.resolve_org(current_user, args.pop("org"))
    query = ListQuery(**args)
    refuse_unknown_filters(kind, org, query)
    page = list_records(current_user, kind, org, query)
    return {
        "items": [as_json(kind, r) for r in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "has_more": page.has_more,
    }


@bp.route("/<kind_name>", methods=["POST"])
@bp.arguments(RecordBody)
def create(body: dict[str, Any], kind_name: str) -> Any:
    kind = operations.get_kind(kind_name)
    org = operations.resolve_org(current_user, body.pop("org", None))
    refuse_unknown_fields(kind, body)
    saved = operations.save_record(current_user, kind, org, body)
    return {"item": as_json(kind, saved.record), "warnings": saved.warnings}, 201


@bp.route("/<kind_name>/<int:record_id>")
def read(kind_name: str, record_id: int) -> Any:
    kind = operations.get_kind(kind_name)
    return as_json(kind, operations.get_record(current_user, kind, record_id))


@bp.route("/<kind_name>/<int:record_id>", methods=["PUT"])
@bp.arguments(RecordBody)
def update(body: dict[str, Any], kind_name: str, record_id: int) -> Any:
    kind = operations.get_kind(kind_name)
    record = operations.get_record(current_user, kind, record_id, action="ledger.edit")
    org = operations.resolve_org(current_user, body.pop("org", None) or record.org.code)
    refuse_unknown_fields(kind, body)
    saved = operations.save_record(current_user, kind, org, body, record)
    return {"item": as_json(kind, saved.record), "warnings": saved.warnings}


@bp.route("/<kind_name>/<int:record_id>", methods=["DELETE"])
def delete(kind_name: str, record_id: int) -> Any:
    kind = operations.get_kind(kind_name)
    record = operations.get_record(current_user, kind, record_id, action="ledger.edit")
    operations.delete_record(current_user, kind, record)
    return "", 204


@bp.route("/<kind_name>/import", methods=["POST"])
@reads_first
@bp.arguments(OrgArgs, location="query")
def import_file(args: dict[str, Any], kind_name: str) -> Any:
    """Import an .xlsx (multipart field ``file``): all rows or none; every bad cell listed.

    At most ``HQR_LEDGER_IMPORT_MAX_ROWS`` rows (default 50,000); validated as a reader, then
    written in one short transaction."""
    kind = operations.get_kind(kind_name)
    org = operations.resolve_org(current_user, args.get("org"))
    require(current_user, "ledger.edit", org)
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("请在 file 字段上传 Excel 文件。")
    data = upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    rows = excel.read_sheet(
        data,
        kind,
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        max_rows=current_app.config["LEDGER_IMPORT_MAX_ROWS"],
    )
    staged = stage_import(current_user, kind, org, rows)
    begin_write()
    return apply_import(current_user, org, staged).as_dict()


@bp.route("/<kind_name>/template.xlsx")
def template(kind_name: str) -> Any:
    kind = operations.get_kind(kind_name)
    return send_file(
        _buffer(excel.template(kind)),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=f"{kind.label}导入模板.xlsx",
    )


def _buffer(data: bytes) -> Any:
    import io

    return io.BytesIO(data)
