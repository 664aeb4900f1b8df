"""Quality accident records (工程质量事故报告, 第十七条, 建质〔2010〕111号).

An :class:`Accident` owns one ledger row (``webapp.ledger.models.QualityAccident``): the ledger
row is what the statistics (附表5/7, section 9 of the analysis report) read, and the accident
record keeps it up to date (one source of truth for the figures: the latest report).  Each report
(首报, 续报/补报) is kept as a version (:class:`AccidentReport`) and goes up the chain of units;
each level's step is an :class:`AccidentStep` (received, forwarded, due two calendar hours after
receipt).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.models import Org, UTCDateTime
from webapp.extensions import db
from webapp.ledger.models import Decimal2, QualityAccident


class AccidentState:
    """Business state of an accident record (stored as a short code)."""

    PROBLEM = "problem"  #: 质量问题 (below the 一般 floor: no chain)
    REPORTING = "reporting"  #: 逐级上报中
    REPORTED = "reported"  #: 已报至省（及部）
    CLOSED = "closed"  #: 调查结论已录入，结案

    LABELS = {
        "problem": "质量问题（不上报）",
        "reporting": "逐级上报中",
        "reported": "已上报",
        "closed": "已结案",
    }


class Accident(db.Model):
    """工程质量事故 as reported: the latest figures; versions in :class:`AccidentReport`."""

    __tablename__ = "accident"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 报告单位 (the unit that recorded it; the accident belongs to it)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    org: Mapped[Org] = relationship(Org, lazy="joined", foreign_keys=[org_id])
    #: The ledger row the statistics read (kept in step with the latest report)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledger_accident.id"), unique=True)
    ledger: Mapped[QualityAccident] = relationship(QualityAccident)
    #: 事故发生时间 (with the time of day, UTC)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: 本级接报时间 (the construction unit must report within 1 hour)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: 事故发生地点
    place: Mapped[str] = mapped_column(String(200))
    #: 监督注册号 (empty for a project not in the ledger)
    registration_no: Mapped[str] = mapped_column(String(64), default="")
    #: 工程名称
    project_name: Mapped[str] = mapped_column(String(200))
    #: 参建单位名称 (every participating unit)
    units: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: 死亡人数
    deaths: Mapped[int] = mapped_column(Integer, default=0)
    #: 重伤人数
    serious_injuries: Mapped[int] = mapped_column(Integer, default=0)
    #: 下落不明人数 (counted toward deaths for the level until resolved)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    #: 直接经济损失初步估计（万元）
    loss_10k_yuan: Mapped[Decimal] = mapped_column(Decimal2)
    #: 事故等级 (一般/较大/重大/特别重大, or 质量问题 below the floor); computed, never entered
    level: Mapped[str] = mapped_column(String(10))
    #: 事故简要经过
    description: Mapped[str] = mapped_column(Text, default="")
    #: 事故原因初步判断
    cause: Mapped[str] = mapped_column(Text, default="")
    #: 已采取的措施
    measures: Mapped[str] = mapped_column(Text, default="")
    #: 事故是否得到控制
    under_control: Mapped[bool] = mapped_column(Boolean, default=False)
    #: 事故报告单位
    reporting_unit: Mapped[str] = mapped_column(String(200))
    #: 联系人
    contact: Mapped[str] = mapped_column(String(64))
    #: 联系电话
    phone: Mapped[str] = mapped_column(String(32))
    #: AccidentState code
    state: Mapped[str] = mapped_column(String(20), default=AccidentState.REPORTING)
    #: 调查结论
    conclusion: Mapped[str] = mapped_column(Text, default="")
    #: 结论录入时间 / 人 / 单位
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    concluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    concluded_org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), nullable=True)
    #: 结论产生的附表1/2记录: {"behaviour": [ids], "penalty": [ids]}
    conclusion_records: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    reports: Mapped[list[AccidentReport]] = relationship(
        back_populates="accident", order_by="AccidentReport.version"
    )

    @property
    def state_label(self) -> str:
        return AccidentState.LABELS.get(self.state, self.state)

    @property
    def reported_late_to_unit(self) -> bool:
        """The construction unit reports to the county-level department within 1 hour (111号)."""
        return self.received_at - self.occurred_at > timedelta(hours=1)

    @property
    def latest(self) -> AccidentReport:
        return self.reports[-1]


class AccidentReport(db.Model):
    """One report of an accident (首报 = version 1, then 续报/补报), a snapshot of its figures."""

    __tablename__ = "accident_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    accident_id: Mapped[int] = mapped_column(ForeignKey("accident.id"), index=True)
    accident: Mapped[Accident] = relationship(back_populates="reports")
    #: 1 = 首报
    version: Mapped[int] = mapped_column(Integer)
    #: The figures as reported (JSON of the record's fields)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Level after this report
    level: Mapped[str] = mapped_column(String(10))
    #: 续报说明 (required when deaths fall or the level is lowered)
    reason: Mapped[str] = mapped_column(Text, default="")
    #: 越级上报: sent straight to the province
    direct: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Whether this report went up the chain (a 质量问题 does not)
    chained: Mapped[bool] = mapped_column(Boolean, default=False)
    #: 报部时间 / 方式 / 文号 (the province, 较大 and above)
    ministry_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ministry_channel: Mapped[str] = mapped_column(String(64), default="")
    ministry_ref: Mapped[str] = mapped_column(String(128), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    steps: Mapped[list[AccidentStep]] = relationship(
        back_populates="report", order_by="AccidentStep.position"
    )

    @property
    def kind_label(self) -> str:
        return "首报" if self.version == 1 else f"续报{self.version - 1}"


class AccidentStep(db.Model):
    """One level of the chain for one report: when it received and forwarded it."""

    __tablename__ = "accident_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("accident_report.id"), index=True)
    report: Mapped[AccidentReport] = relationship(back_populates="steps")
    #: 0 = the reporting unit, then each upper level
    position: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    org: Mapped[Org] = relationship(Org, lazy="joined")
    #: 接报时间 (None: not yet received)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: 2 calendar hours after receipt
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: 上报时间 (acknowledged and forwarded)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: pending | forwarded | skipped (越级: closed with an information copy)
    outcome: Mapped[str] = mapped_column(String(12), default="pending")
    #: 向本级人民政府报告 / 通报公安、监察机关 (free text: time and how)
    government_report: Mapped[str] = mapped_column(String(200), default="")
    police_notice: Mapped[str] = mapped_column(String(200), default="")
    #: When the overdue timer marked it late (escalated to the unit's leader)
    late_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), nullable=True)

    def late(self, now: datetime) -> bool:
        """Forwarded after its due time, or still open past it."""
        if self.due_at is None or self.outcome == "skipped":
            return False
        return (self.forwarded_at or now) > self.due_at
