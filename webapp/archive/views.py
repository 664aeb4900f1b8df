"""Download an archived file: the owning feature says who may (``access.register_reader``)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user

from webapp.archive import access
from webapp.archive import operations as archive
from webapp.archive.models import ArchivedDocument, DocumentKind
from webapp.core import audit
from webapp.core.errors import Hidden, NotFound
from webapp.web import attachment, page_blueprint

bp = page_blueprint("archive", __name__)


def file_response(doc: ArchivedDocument, *, ascii_name: str | None = None) -> Response:
    """The file's verified bytes as an attachment (``read`` refuses a changed file)."""
    content = archive.read(doc)
    stem = ascii_name.rsplit(".", 1)[0] if ascii_name else "document"
    return Response(
        content,
        mimetype=doc.media_type,
        headers={"Content-Disposition": attachment(doc.filename, stem)},
    )


def _readable(doc_id: int) -> ArchivedDocument:
    doc = archive.get(doc_id)
    if not access.can_read(current_user, doc.owner_kind, doc.owner_id):  # as a missing file
        raise Hidden("文件不存在。", action=f"{doc.owner_kind}.view")
    return doc


def _record_download(doc: ArchivedDocument, fmt: str) -> None:
    audit.record(
        "archive.download",
        actor=current_user,
        org=access.org_of(doc.owner_kind, doc.owner_id),
        object_type=doc.owner_kind,
        object_id=doc.owner_id,
        after={
            "document": doc.id,
            "kind": doc.kind,
            "version": doc.version,
            "stage": doc.stage,
            "format": fmt,
            "subject": doc.owner,
        },
    )


@bp.route("/<int:doc_id>")
def download(doc_id: int) -> Any:
    """The archived file itself (a Word source, its PDF or a stamped scan)."""
    doc = _readable(doc_id)
    response = file_response(doc)
    _record_download(doc, doc.filename.rsplit(".", 1)[-1])
    return response


@bp.route("/<int:doc_id>/pdf")
def download_pdf(doc_id: int) -> Any:
    """The PDF of an archived Word file, rendered once (on the first request) and kept."""
    doc = _readable(doc_id)
    if doc.kind != DocumentKind.SOURCE:
        raise NotFound("该文件没有 PDF 版本。")
    pdf = archive.pdf_of(doc, current_user)
    response = file_response(pdf)
    _record_download(pdf, "pdf")
    return response
