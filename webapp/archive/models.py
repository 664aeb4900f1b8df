"""The document archive's one table: every frozen file, stored once, with its hash."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core import clock
from webapp.core.models import UTCDateTime
from webapp.extensions import db


class DocumentKind(enum.StrEnum):
    #: The generated Word file as frozen (the document that is sent or issued)
    SOURCE = "source"
    #: A PDF rendered once from a source (``derived_from_id``; same version as its source)
    PDF = "pdf"
    #: The stamped scan (盖章扫描件) a unit attached to a frozen source (``derived_from_id``)
    SEAL_SCAN = "seal_scan"


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"


class ArchivedDocument(db.Model):
    """A file of some feature's object (``owner_kind`` + ``owner_id``: "report", 12), archived
    unchanged.  Versions count 1, 2, … per owner and kind; a PDF carries its source's version,
    so the unique constraint below also means one PDF per source (the render-once race)."""

    __tablename__ = "archived_document"
    __table_args__ = (
        UniqueConstraint(
            "owner_kind", "owner_id", "kind", "version", name="uq_archived_document_version"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default=DocumentKind.SOURCE.value)
    version: Mapped[int] = mapped_column(Integer)
    #: What the feature calls this file: submitted, accepted, issued, published…
    stage: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    #: The source this PDF was rendered from, or this seal scan stamps
    derived_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("archived_document.id"), index=True
    )

    @property
    def owner(self) -> str:
        return f"{self.owner_kind}:{self.owner_id}"

    def __repr__(self) -> str:
        return f"<ArchivedDocument {self.owner} {self.kind} v{self.version}>"
