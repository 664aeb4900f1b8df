"""Quarterly and annual analysis reports (季度/年度工程质量分析报告)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.archive.models import ArchivedDocument
from webapp.core import clock
from webapp.core.models import Org, Tier, User, UTCDateTime
from webapp.core.states import LabelledEnum, ProcessStatus, by_status
from webapp.extensions import db


class ReportKind(LabelledEnum):
    QUARTERLY = "quarterly", "季度分析报告"
    ANNUAL = "annual", "年度分析报告"

    def made_by(self, org: Org) -> bool:
        """Every unit reports quarterly; the annual report (第十一条, 第八条(二)) is made by the
        province, the cities and the directly administered counties — **Decision** (domain.md
        §5): counties (县、区) make none."""
        return self is ReportKind.QUARTERLY or org.tier != Tier.COUNTY.value


class ReportState(LabelledEnum):
    """The state an API client and the status board (催报) see."""

    NOT_STARTED = "not_started", "未开始"
    DRAFTING = ProcessStatus.DRAFTING
    IN_REVIEW = ProcessStatus.IN_REVIEW
    SUBMITTED = ProcessStatus.SUBMITTED
    RETURNED = ProcessStatus.RETURNED
    ACCEPTED = ProcessStatus.ACCEPTED
    OVERDUE = ProcessStatus.OVERDUE


#: The BPMN's business status code (property ``status``, see webapp.core.states) → state
#: (``overdue`` is derived from the due time).
STATUS_TO_STATE = by_status(
    ReportState.DRAFTING,
    ReportState.IN_REVIEW,
    ReportState.SUBMITTED,
    ReportState.RETURNED,
    ReportState.ACCEPTED,
)


class Report(db.Model):
    """One unit's report for one period; its flow is a quarterly_report process instance."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("org_id", "period", "kind", name="uq_report_org_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    #: 2026Q3 (quarterly) or 2026 (annual)
    period: Mapped[str] = mapped_column(String(8), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=ReportKind.QUARTERLY.value)
    #: The process instance driving it (quarterly_report.bpmn)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    #: 报送期限 and the reminder before it, computed from the per-tier settings
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    #: First and latest submission up (after the unit's reviewer approved)
    first_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when the due date passed before the first submission (逾期)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Returns by the upper level (退回 for errors: 第八条(五))
    upper_returns: Mapped[int] = mapped_column(Integer, default=0)
    #: 分析报告: section key → text (autosaved draft)
    narrative: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    narrative_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Written explanations of warnings: check id → text
    explanations: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: Why lower units are missing (未报) when submitting without them
    missing_explanation: Mapped[str | None] = mapped_column(Text)
    #: The frozen submission: tables, checks, explanations, narrative, lower units' status
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The snapshot the upper level accepted; roll-ups read this one.  A correction round keeps
    #: it until the corrected submission is accepted in its turn.
    accepted_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Accepted by the upper level: nothing of it changes any more (until a correction round)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: 1 for the first submission; a correction (更正) after acceptance starts round 2, ...
    round: Mapped[int] = mapped_column(Integer, default=1)

    org: Mapped[Org] = relationship()
    opened_by: Mapped[User | None] = relationship()
    #: The frozen Word files sent up (the document archive's sources of owner "report")
    documents: Mapped[list[ArchivedDocument]] = relationship(
        primaryjoin="and_(ArchivedDocument.owner_kind == 'report', "
        "foreign(ArchivedDocument.owner_id) == Report.id, ArchivedDocument.kind == 'source')",
        order_by="ArchivedDocument.version",
        viewonly=True,
    )
    #: The stamped scans (盖章扫描件) the unit attached to its frozen submissions
    seal_scans: Mapped[list[ArchivedDocument]] = relationship(
        primaryjoin="and_(ArchivedDocument.owner_kind == 'report', "
        "foreign(ArchivedDocument.owner_id) == Report.id, ArchivedDocument.kind == 'seal_scan')",
        order_by="ArchivedDocument.version",
        viewonly=True,
    )

    #: 第十四条: the quarter's analysis meeting (质量分析会), recorded with the report (optional)
    meeting: Mapped[ReportMeeting | None] = relationship(
        back_populates="report", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def kind_enum(self) -> ReportKind:
        return ReportKind(self.kind)

    @property
    def business_key(self) -> str:
        key = f"report:{self.org.code}:{self.period}"
        return key if self.round == 1 else f"{key}:r{self.round}"

    @property
    def business_keys(self) -> list[str]:
        """The business key of every round's process (the first, then each 更正's)."""
        key = f"report:{self.org.code}:{self.period}"
        return [key] + [f"{key}:r{n}" for n in range(2, self.round + 1)]

    def __repr__(self) -> str:
        return f"<Report {self.org_id} {self.period} {self.kind}>"


class ReportMeeting(db.Model):
    """第十四条: "各级住房城乡建设主管部门应每季度召开一次建设工程质量分析会，并形成质量分析报告".

    One a report (optional): recorded by the unit while it drafts, frozen into the snapshot and
    the Word document; a quarterly report submitted without one shows in the reporting record.
    """

    __tablename__ = "report_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), unique=True)
    #: 会议日期
    held_on: Mapped[date] = mapped_column(Date)
    #: 参会人员 (names and posts, as the minutes list them)
    attendees: Mapped[str] = mapped_column(Text)
    #: 会议结论
    conclusions: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    report: Mapped[Report] = relationship(back_populates="meeting")

    def to_json(self) -> dict[str, str]:
        return {
            "held_on": self.held_on.isoformat(),
            "attendees": self.attendees,
            "conclusions": self.conclusions,
        }


class ReportingNotice(db.Model):
    """通报: the province's yearly notice commending and criticising units' reporting work
    (第八条(五), 第十八条), through workflows/reporting_notice.bpmn.

    The lists start as the system's proposal from the reporting record and are edited by the
    province's clerk; every change carries a reason (audited ``notice.edit``)."""

    __tablename__ = "reporting_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The year whose reporting work is judged (one notice per year).
    year: Mapped[int] = mapped_column(Integer, unique=True)
    #: 表扬单位: [{"org_code", "org_name", "reason"}]
    commend_units: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: 表扬个人: [{"user_id", "name", "org_code", "org_name", "reason"}]
    commend_people: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: 批评单位: [{"org_code", "org_name", "reason"}] (重大失误 or 上报不及时)
    criticise_units: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    #: Set when the principal leader approved: the issued Word file, archived unchanged in the
    #: document archive (owner "reporting_notice"); its hash is kept here.
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
