"""Uploaded versions of the Word templates (文书模板) of docs_templates/."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core import clock
from webapp.core.models import User, UTCDateTime
from webapp.extensions import db


class DocumentTemplate(db.Model):
    """One uploaded version of a Word template; at most one version per name is active.

    The bytes live in the database (never under a user-supplied file name).  Without any
    uploaded version the file in docs_templates/ is used.
    """

    __tablename__ = "document_template"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_document_template_name_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The template's name without extension, e.g. quarterly_report
    name: Mapped[str] = mapped_column(String(100), index=True)
    #: 1, 2, ... per name
    version: Mapped[int] = mapped_column(Integer)
    #: The .docx bytes
    content: Mapped[bytes] = mapped_column(LargeBinary)
    #: SHA-256 of the bytes
    sha256: Mapped[str] = mapped_column(String(64))
    #: The file name the administrator uploaded (shown only, never used as a path)
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    #: The version the documents are rendered from (one per name)
    active: Mapped[bool] = mapped_column(Boolean, default=False)

    uploaded_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<DocumentTemplate {self.name} v{self.version}{' active' if self.active else ''}>"
