"""Every saved version of every section of a drafted document (草稿的历史版本)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core import clock
from webapp.core.models import User, UTCDateTime
from webapp.extensions import db

#: Who saved the texts that existed before versions were kept (the data migration).
MIGRATED_BY = "系统迁移"
#: Who saved a text the system wrote without a user (a scheduled generation).
SYSTEM_BY = "系统"


class SectionVersion(db.Model):
    """One saved text of one section.  Rows are only ever added: the section's current text is
    its highest version; a restore adds a new version with an old text."""

    __tablename__ = "section_version"
    # Its index also serves every read of a document's versions (same leading columns).
    __table_args__ = (
        UniqueConstraint(
            "document_kind", "document_id", "section", "version", name="uq_section_version"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The kind of texts (webapp.drafts.kinds): report_narrative, report_explanations, ...
    document_kind: Mapped[str] = mapped_column(String(32))
    #: The owning document's id (a report, a public report)
    document_id: Mapped[int] = mapped_column(Integer)
    #: The section's key: s01, overview, a check id, missing_explanation
    section: Mapped[str] = mapped_column(String(200))
    #: 1, 2, 3 … per section
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    #: The user who saved it (None for the system and for migrated texts)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    #: Their name at the time, or 系统 / 系统迁移
    saved_by_name: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    #: The version whose text a restore brought back (None for an ordinary save)
    restored_from: Mapped[int | None] = mapped_column(Integer)

    saved_by: Mapped[User | None] = relationship()

    @property
    def length(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        where = f"{self.document_kind}:{self.document_id}"
        return f"<SectionVersion {where} {self.section} v{self.version}>"
