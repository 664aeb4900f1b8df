"""Store, find, verify and convert archived files (docs/documents.md, "The document archive").

* ``store`` appends a version (1, 2, … per owner and kind); the content never changes after.
* ``read`` returns the bytes only when their SHA-256 still matches the one stored with them;
  otherwise it raises :class:`DocumentTampered` (the archive's error handler audits it and
  answers with a Chinese error page: a changed file is never served).
* ``pdf_of`` renders a source's PDF once, on the first request for it, and keeps it as a row of
  its own (kind ``pdf``, ``derived_from_id`` = the source, the source's version).  A source
  whose rendering already made its PDF (the 版记's layout: ``store(..., pdf=)``) has that row
  from the start, and its first request renders nothing.  The unique
  constraint on (owner, kind, version) is the lock: the first request claims the row before it
  renders; a concurrent one waits for that transaction (PostgreSQL's unique index, SQLite's
  write lock) and then serves the row the first one committed, so LibreOffice runs once per file.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapp.archive.models import DOCX, JPEG, PDF, PNG, ArchivedDocument, DocumentKind
from webapp.core import audit, clock
from webapp.core.errors import Conflict, DomainError, InvalidInput, NotFound
from webapp.core.models import User
from webapp.documents import to_pdf
from webapp.extensions import begin_write, db, write_intent

#: Attempts at appending a version when a concurrent writer took the same number.
_STORE_ATTEMPTS = 3


class DocumentTampered(DomainError):
    """The stored bytes no longer match the hash recorded when they were archived."""

    status_code = 500
    code = "document_tampered"


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _next_version(owner_kind: str, owner_id: int, kind: str) -> int:
    current = db.session.execute(
        select(func.max(ArchivedDocument.version)).where(
            ArchivedDocument.owner_kind == owner_kind,
            ArchivedDocument.owner_id == owner_id,
            ArchivedDocument.kind == kind,
        )
    ).scalar()
    return (current or 0) + 1


def store(
    owner_kind: str,
    owner_id: int,
    content: bytes,
    *,
    filename: str,
    stage: str,
    actor: User | None,
    media_type: str = DOCX,
    kind: DocumentKind = DocumentKind.SOURCE,
    derived_from: ArchivedDocument | None = None,
    pdf: bytes | None = None,
) -> ArchivedDocument:
    """Archive ``content`` as the next version of the owner's files of ``kind`` (flushed).

    ``pdf``: the PDF LibreOffice made of exactly these Word bytes while rendering them
    (:class:`webapp.documents.Rendered`), kept as the source's PDF (and audited as
    :func:`pdf_of` audits a render) so that its first download does not render it again."""
    for attempt in range(_STORE_ATTEMPTS):
        doc = ArchivedDocument(
            owner_kind=owner_kind,
            owner_id=owner_id,
            kind=kind.value,
            version=_next_version(owner_kind, owner_id, kind.value),
            stage=stage,
            filename=filename[:200],
            media_type=media_type,
            content=content,
            size=len(content),
            sha256=digest(content),
            created_at=clock.now(),
            created_by_id=actor.id if actor else None,
            derived_from_id=derived_from.id if derived_from is not None else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(doc)
        except IntegrityError:
            if attempt + 1 == _STORE_ATTEMPTS:
                raise Conflict("存档文件编号冲突，请重试。") from None
            continue
        break
    if pdf is not None and kind == DocumentKind.SOURCE and media_type == DOCX:
        row = _pdf_claim(doc, actor)
        row.content, row.size, row.sha256 = pdf, len(pdf), digest(pdf)
        db.session.add(row)
        db.session.flush()
        _audit_pdf(doc, row, actor)
    return doc


def documents(
    owner_kind: str, owner_id: int, kind: DocumentKind = DocumentKind.SOURCE
) -> list[ArchivedDocument]:
    """The owner's files of ``kind``, oldest first."""
    return list(
        db.session.execute(
            select(ArchivedDocument)
            .where(
                ArchivedDocument.owner_kind == owner_kind,
                ArchivedDocument.owner_id == owner_id,
                ArchivedDocument.kind == kind.value,
            )
            .order_by(ArchivedDocument.version)
        ).scalars()
    )


def latest(
    owner_kind: str, owner_id: int, kind: DocumentKind = DocumentKind.SOURCE
) -> ArchivedDocument | None:
    """The owner's newest file of ``kind``, or None."""
    return db.session.execute(
        select(ArchivedDocument)
        .where(
            ArchivedDocument.owner_kind == owner_kind,
            ArchivedDocument.owner_id == owner_id,
            ArchivedDocument.kind == kind.value,
        )
        .order_by(ArchivedDocument.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def get(doc_id: int) -> ArchivedDocument:
    doc = db.session.get(ArchivedDocument, doc_id)
    if doc is None or (doc.kind == DocumentKind.PDF and doc.size == 0):
        raise NotFound("文件不存在。")
    return doc


def seals_of(doc: ArchivedDocument) -> list[ArchivedDocument]:
    """The stamped scans attached to a source, oldest first."""
    return list(
        db.session.execute(
            select(ArchivedDocument)
            .where(
                ArchivedDocument.derived_from_id == doc.id,
                ArchivedDocument.kind == DocumentKind.SEAL_SCAN.value,
            )
            .order_by(ArchivedDocument.version)
        ).scalars()
    )


def read(doc: ArchivedDocument) -> bytes:
    """The file's bytes, after checking them against the hash stored with them."""
    content = doc.content
    found = digest(content)
    if found != doc.sha256:
        raise DocumentTampered(
            "存档文件校验失败：文件内容与存档时登记的摘要不符，已记录并不予下载。请联系系统管理员。",
            details={
                "document": doc.id,
                "owner": doc.owner,
                "kind": doc.kind,
                "version": doc.version,
                "expected": doc.sha256,
                "found": found,
            },
        )
    return content


def _pdf_row(owner_kind: str, owner_id: int, version: int) -> ArchivedDocument | None:
    return db.session.execute(
        select(ArchivedDocument).where(
            ArchivedDocument.owner_kind == owner_kind,
            ArchivedDocument.owner_id == owner_id,
            ArchivedDocument.kind == DocumentKind.PDF.value,
            ArchivedDocument.version == version,
        )
    ).scalar_one_or_none()


def pdf_of(doc: ArchivedDocument, actor: User | None = None) -> ArchivedDocument:
    """The PDF of a Word source: rendered on its first request, served from the archive after.

    Call it before the request writes anything: on SQLite it turns the request's reading
    transaction into a writer's (``begin_write``), which waits for a concurrent render to
    commit.  Raises NotFound when LibreOffice is not installed (nothing is stored then)."""
    if doc.kind != DocumentKind.SOURCE or doc.media_type != DOCX:
        raise InvalidInput("只有存档的 Word 文件可以转换为 PDF。")
    key: tuple[str, int, int] = (doc.owner_kind, doc.owner_id, doc.version)
    found = _pdf_row(*key)
    if found is not None:
        return found
    source_id = doc.id
    if not write_intent.get():
        begin_write()  # the next statement takes the write lock (SQLite); expires `doc`
        found = _pdf_row(*key)
        if found is not None:
            return found
        doc = db.session.get(ArchivedDocument, source_id)  # type: ignore[assignment]
    claim = _pdf_claim(doc, actor)
    try:
        with db.session.begin_nested():
            db.session.add(claim)  # waits here for a concurrent claim to commit or roll back
    except IntegrityError:
        found = _pdf_row(*key)
        if found is not None and found.size > 0:
            return found
        raise Conflict("PDF 正在生成，请稍后再试。") from None
    pdf = to_pdf(read(doc))
    if pdf is None:
        db.session.delete(claim)  # nothing stored: the next request tries again
        db.session.flush()
        raise NotFound("服务器未安装 LibreOffice，请下载 Word 文件。")
    claim.content, claim.size, claim.sha256 = pdf, len(pdf), digest(pdf)
    db.session.flush()
    _audit_pdf(doc, claim, actor)
    return claim


def _pdf_claim(source: ArchivedDocument, actor: User | None) -> ArchivedDocument:
    """The PDF row of ``source`` (same owner and version), empty until its bytes are set."""
    return ArchivedDocument(
        owner_kind=source.owner_kind,
        owner_id=source.owner_id,
        kind=DocumentKind.PDF.value,
        version=source.version,
        stage=source.stage,
        filename=source.filename.rsplit(".", 1)[0] + ".pdf",
        media_type=PDF,
        content=b"",
        size=0,
        sha256="",
        created_at=clock.now(),
        created_by_id=actor.id if actor else None,
        derived_from_id=source.id,
    )


def _audit_pdf(source: ArchivedDocument, row: ArchivedDocument, actor: User | None) -> None:
    audit.record(
        "archive.render_pdf",
        actor=actor,
        actor_name=None if actor else "system",
        object_type=source.owner_kind,
        object_id=source.owner_id,
        after={
            "document": source.id,
            "pdf": row.id,
            "version": source.version,
            "sha256": row.sha256,
        },
    )


# Uploaded scans ---------------------------------------------------------------------------------
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}


def sniff(content: bytes) -> str | None:
    """The media type the bytes themselves say (PDF, PNG or JPEG), whatever the file's name."""
    for signature, media_type in _SIGNATURES:
        if content.startswith(signature):
            return media_type
    return None
