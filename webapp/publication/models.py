"""Publication to the public (向社会公开, 第十五条): half-yearly overall-status reports and the
behaviour records the province publishes with its report (第八条(三))."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core import clock
from webapp.core.models import Org, User, UTCDateTime
from webapp.core.states import LabelledEnum, ProcessStatus, by_status
from webapp.extensions import db


class PublicationState(LabelledEnum):
    """What staff see; the public sees only ``published``."""

    DRAFTING = ProcessStatus.DRAFTING, "拟稿中"
    RETURNED = ProcessStatus.RETURNED
    IN_REVIEW = ProcessStatus.IN_REVIEW
    AWAITING_APPROVAL = ProcessStatus.AWAITING_APPROVAL
    PUBLISHED = ProcessStatus.PUBLISHED
    WITHDRAWAL_REQUESTED = ProcessStatus.WITHDRAWAL_REQUESTED
    WITHDRAWN = ProcessStatus.WITHDRAWN, "已撤回（归档）"


#: The BPMN's business status code (property ``status``, see webapp.core.states) → state,
#: before publication (published/withdrawn come from the publication's own dates).
STATUS_TO_STATE = by_status(
    PublicationState.DRAFTING,
    PublicationState.RETURNED,
    PublicationState.IN_REVIEW,
    PublicationState.AWAITING_APPROVAL,
)


class Publication(db.Model):
    """One unit's public overall-status report for one half year (publication.bpmn)."""

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("org_id", "period", name="uq_publication_org_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    #: 2026H1 (上半年) or 2026H2 (下半年)
    period: Mapped[str] = mapped_column(String(8), index=True)
    #: The process instance driving it (publication.bpmn)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    #: The editable text: section key → text (generated draft, then edited by the clerk)
    sections: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    sections_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Frozen when the clerk submits it for review: figures, quality index, text, records
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 公开: set by the publish step after the leader's approval
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: 发布日期 (Asia/Shanghai) and the first day it may be withdrawn (≥ 1 month online)
    publication_date: Mapped[date | None] = mapped_column(Date)
    online_until: Mapped[date | None] = mapped_column(Date)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    #: The published Word file is archived unchanged in the document archive (owner
    #: "publication"); its name and hash are kept here.
    document_name: Mapped[str | None] = mapped_column(String(200))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    #: 撤回: requested by the unit's clerk, approved by the leader; then archived for staff
    withdrawal_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    org: Mapped[Org] = relationship()
    records: Mapped[list[PublishedRecord]] = relationship(
        back_populates="publication", order_by="PublishedRecord.id"
    )
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])

    @property
    def business_key(self) -> str:
        return f"publication:{self.org.code}:{self.period}"

    @property
    def is_public(self) -> bool:
        """Reachable by anyone: published and not withdrawn."""
        return self.published_at is not None and self.withdrawn_at is None

    def __repr__(self) -> str:
        return f"<Publication {self.org_id} {self.period}>"


class RecordKind(LabelledEnum):
    BAD = "bad", "不良行为记录"
    GOOD = "good", "良好行为记录"


class PublishedRecord(db.Model):
    """A behaviour record as published with the half-year report of the tier that approved it.

    Only the fields the public may read (domain.md §6 Decision (records)): the responsible unit,
    the responsible person's 姓名 and 职务, the fact, the clause, the dates and the approving
    tier.  Never an ID number, phone or address, nor the 记录人/批准人 (staff).  It is public
    from the report's publication until ``public_until`` (a setting per kind), unless withdrawn
    earlier (``withdrawn_at``: its period ended, or an objection was upheld).
    """

    __tablename__ = "published_record"
    __table_args__ = (Index("ix_published_record_kind_date", "kind", "recorded_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    #: 记录编号 (bad-behaviour records; empty for good ones)
    record_no: Mapped[str] = mapped_column(String(64), default="")
    #: 责任单位 / 企业名称
    enterprise: Mapped[str] = mapped_column(String(200), index=True)
    #: 责任单位类型 (建设/施工/监理…)
    unit_type: Mapped[str] = mapped_column(String(20), default="")
    project_name: Mapped[str] = mapped_column(String(200), default="")
    fact: Mapped[str] = mapped_column(Text)
    #: 对应省不良记录管理办法条款
    clause: Mapped[str] = mapped_column(String(200), default="")
    recorded_on: Mapped[date] = mapped_column(Date)
    #: The recording authority (a public body): its name as printed
    authority: Mapped[str] = mapped_column(String(100), default="")
    #: The tier that approved the record (it publishes it and answers objections)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    #: 责任人 姓名 and 职务 (附件3 item 5 "公示相关责任单位和责任人")
    person_name: Mapped[str] = mapped_column(String(64), default="", server_default=text("''"))
    person_title: Mapped[str] = mapped_column(String(64), default="", server_default=text("''"))
    approved_on: Mapped[date | None] = mapped_column(Date)
    #: Last day of publicity (inclusive); withdrawn automatically afterwards
    public_until: Mapped[date | None] = mapped_column(Date, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str] = mapped_column(
        String(200), default="", server_default=text("''")
    )

    publication: Mapped[Publication] = relationship(back_populates="records")
    org: Mapped[Org | None] = relationship()
    objections: Mapped[list[RecordObjection]] = relationship(
        back_populates="record", order_by="RecordObjection.id"
    )


class ObjectionOutcome(LabelledEnum):
    UPHELD = "upheld", "异议成立，撤下记录"
    DISMISSED = "dismissed", "异议不成立，继续公示"


class RecordObjection(db.Model):
    """异议: a named unit or person objects to a published record; the approving tier answers."""

    __tablename__ = "record_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("published_record.id"), index=True)
    #: The approving tier, which answers (copied from the record when raised)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    #: Who objects: the unit's or the person's name, and which (单位/个人)
    objector: Mapped[str] = mapped_column(String(100))
    objector_kind: Mapped[str] = mapped_column(String(8))
    #: How to answer (optional; staff only, never public)
    contact: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    outcome: Mapped[str | None] = mapped_column(String(12))
    answer: Mapped[str] = mapped_column(Text, default="")

    record: Mapped[PublishedRecord] = relationship(back_populates="objections")
    org: Mapped[Org] = relationship()
    answered_by: Mapped[User | None] = relationship()
