"""Year-end assessments (附件2, 附件3): sheets, campaigns, unit assessments, scores, samples."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.assessment.sheet import KIND_LABELS, KIND_SHORT, Sheet, parse_sheet
from webapp.core import clock
from webapp.core.models import Org, User, UTCDateTime
from webapp.core.states import LabelledEnum
from webapp.extensions import db

SCORE = Numeric(6, 2)


def _belongs_to(table: str, *, unique: bool = False) -> Mapped[int]:
    """The row this one belongs to (and is deleted with): indexed, or unique when one per row."""
    key = ForeignKey(f"{table}.id", ondelete="CASCADE")
    return mapped_column(key, unique=True) if unique else mapped_column(key, index=True)


class CampaignState(LabelledEnum):
    SELF_ASSESSMENT = "self_assessment", "单位自评"
    SCORING = "scoring", "省厅考核评分"
    RANKED = "ranked", "已排名待审批"
    APPROVED = "approved", "结果已审批"  #: (公布)


class UnitState(LabelledEnum):
    DRAFT = "draft", "自评填报中"
    SELF_REVIEW = "self_review", "待领导审核"  #: 待本单位领导审核
    SELF_SUBMITTED = "self_submitted", "自评已上报"
    SCORED = "scored", "已评分"  #: 考核组已评分


#: 附件3 has no self-assessment (its units send materials): the labels its campaign shows.
MATERIALS_CAMPAIGN_STATES = {CampaignState.SELF_ASSESSMENT.value: "单位报送材料"}
MATERIALS_UNIT_STATES = {
    UnitState.DRAFT.value: "材料报送中",
    UnitState.SELF_SUBMITTED.value: "材料已上报",
}


class Phase(enum.StrEnum):
    SELF = "self"  #: 单位自评
    ASSESSOR = "assessor"  #: 考核组评分


class ScoreSheet(db.Model):
    """One version of a score sheet (评分表), validated before it can become active."""

    __tablename__ = "assessment_sheet"
    __table_args__ = (
        UniqueConstraint("kind", "year", "version", name="uq_assessment_sheet_kind_year_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: fujian2 (附件2) or fujian3 (附件3)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    #: 考核年度
    year: Mapped[int] = mapped_column(Integer)
    #: 1, 2, … per kind and year
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    #: The sheet file as loaded (decimals as text); see docs/assessment.md
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: SHA-256 of the canonical JSON of ``content``
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    #: Only an active version may be used by a new campaign; one active per kind and year.
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    #: Original file name of an upload (shown, never used as a path)
    source_name: Mapped[str | None] = mapped_column(String(200))

    loaded_by: Mapped[User | None] = relationship()

    def parsed(self) -> Sheet:
        """The parsed sheet, parsed once per loaded content (a ranking reads it per unit)."""
        content = self.content
        cached = self.__dict__.get("_parsed")
        if cached is not None and cached[0] is content:
            return cached[1]
        sheet = parse_sheet(content)
        self.__dict__["_parsed"] = (content, sheet)
        return sheet

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def label(self) -> str:
        return f"{KIND_SHORT.get(self.kind, self.kind)} {self.year}年 第{self.version}版"


class AssessmentCampaign(db.Model):
    """A year's assessment of every city and directly administered county (考核活动)."""

    __tablename__ = "assessment_campaign"
    __table_args__ = (UniqueConstraint("kind", "year", name="uq_assessment_campaign_kind_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: The year assessed (附件3: the previous year, assessed in Q1)
    year: Mapped[int] = mapped_column(Integer)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("assessment_sheet.id"))
    state: Mapped[str] = mapped_column(String(20), default=CampaignState.SELF_ASSESSMENT.value)
    #: 自评材料报送截止日 (附件2: 11-30)
    self_due: Mapped[date] = mapped_column(Date)
    #: Site sample sizes: per city, of which in its counties; per directly administered county
    sample_city: Mapped[int] = mapped_column(Integer, default=6)
    sample_city_county: Mapped[int] = mapped_column(Integer, default=2)
    sample_direct_county: Mapped[int] = mapped_column(Integer, default=3)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ranked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Results approved by the province's leader: {"advanced": [...], "interview": [...],
    #: "awards": [{"award", "org_code", "person"}], "criticised": [...], "opinion": str}
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: 附件2 laggards (工作落后地区) as the assessors confirmed them from the system's proposal,
    #: with the measures proposed for each: {"proposed": [codes], "confirmed": [{"org_code",
    #: "measures": [...]}], "by": user id, "at": iso time, "note": str}
    laggards: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The province org (permissions are checked against it)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))

    sheet: Mapped[ScoreSheet] = relationship()
    org: Mapped[Org] = relationship()
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    units: Mapped[list[UnitAssessment]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="UnitAssessment.id"
    )

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def title(self) -> str:
        return f"{self.year}年度{KIND_LABELS.get(self.kind, self.kind)[4:]}"

    @property
    def has_self_assessment(self) -> bool:
        """Does the text give this kind a self-assessment (附件2) or only materials (附件3)?  The
        words its pages, notices and status labels use (自评 or 材料报送) follow it; the units'
        steps follow their BPMN (``flow.has_self_assessment``)."""
        return self.kind == "fujian2"

    @property
    def phase_name(self) -> str:
        """自评 (附件2) or 材料报送 (附件3), as in 结束自评阶段 / 结束材料报送阶段."""
        return "自评" if self.has_self_assessment else "材料报送"

    @property
    def state_label(self) -> str:
        if not self.has_self_assessment and self.state in MATERIALS_CAMPAIGN_STATES:
            return MATERIALS_CAMPAIGN_STATES[self.state]
        return CampaignState(self.state).label


class UnitAssessment(db.Model):
    """One assessed unit (a city or directly administered county) in a campaign."""

    __tablename__ = "assessment_unit"
    __table_args__ = (
        UniqueConstraint("campaign_id", "org_id", name="uq_assessment_unit_campaign_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = _belongs_to("assessment_campaign")
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=UnitState.DRAFT.value)
    #: 自评总分
    self_total: Mapped[Decimal | None] = mapped_column(SCORE)
    #: 全年活动情况书面总结 (self-assessment summary)
    self_summary: Mapped[str] = mapped_column(Text, default="")
    self_submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    self_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    self_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    self_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The leader's reason when the self-assessment was returned to the clerk
    return_reason: Mapped[str | None] = mapped_column(Text)
    #: 考核得分 (final, after overrides)
    final_score: Mapped[Decimal | None] = mapped_column(SCORE)
    #: 名次 (ties share a rank)
    rank: Mapped[int | None] = mapped_column(Integer)
    #: Result labels, e.g. ["先进单位"], ["约谈"], ["优秀组织奖"]
    result: Mapped[list[str] | None] = mapped_column(JSON)

    campaign: Mapped[AssessmentCampaign] = relationship(back_populates="units")
    org: Mapped[Org] = relationship()
    #: In the order they were first saved: the Word score sheet lists each assessor's lines so
    scores: Mapped[list[ItemScore]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="ItemScore.id"
    )
    evidence: Mapped[list[EvidenceFile]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="EvidenceFile.id"
    )
    sites: Mapped[list[SampledSite]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="SampledSite.position"
    )

    @property
    def state_label(self) -> str:
        if not self.campaign.has_self_assessment and self.state in MATERIALS_UNIT_STATES:
            return MATERIALS_UNIT_STATES[self.state]
        return UnitState(self.state).label

    @property
    def self_overdue(self) -> bool:
        """Not reported by the due date (逾期未报)."""
        if self.self_approved_at is not None:
            return clock.to_local(self.self_approved_at).date() > self.campaign.self_due  # type: ignore[union-attr]
        return clock.today_local() > self.campaign.self_due


class ItemScore(db.Model):
    """One item's score by one scorer in one phase (self-assessment or an assessor)."""

    __tablename__ = "assessment_item_score"
    __table_args__ = (
        UniqueConstraint(
            "unit_id", "phase", "scorer_id", "item_id", name="uq_assessment_item_score_unit_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _belongs_to("assessment_unit")
    phase: Mapped[str] = mapped_column(String(16))
    #: The assessor (assessor phase) or the clerk who saved the self-assessment
    scorer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    #: The sheet's item id, e.g. "2.4"
    item_id: Mapped[str] = mapped_column(String(16))
    #: Duty ids judged unmet (deduction) / part ids judged met (additive)
    unmet: Mapped[list[str]] = mapped_column(JSON, default=list)
    met: Mapped[list[str] | None] = mapped_column(JSON)
    score: Mapped[Decimal] = mapped_column(SCORE)
    note: Mapped[str] = mapped_column(Text, default="")
    #: Evidence references: evidence file ids ("file:12") or free references (documents, links)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    unit: Mapped[UnitAssessment] = relationship(back_populates="scores")
    scorer: Mapped[User] = relationship()


class ScoreOverride(db.Model):
    """The province's override of one item's final score (audited with before/after)."""

    __tablename__ = "assessment_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _belongs_to("assessment_unit")
    item_id: Mapped[str] = mapped_column(String(16))
    before: Mapped[Decimal] = mapped_column(SCORE)
    after: Mapped[Decimal] = mapped_column(SCORE)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    by: Mapped[User] = relationship()


class EvidenceFile(db.Model):
    """An uploaded evidence file, stored under a server-generated name."""

    __tablename__ = "assessment_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _belongs_to("assessment_unit")
    phase: Mapped[str] = mapped_column(String(16))
    #: Random hex name + checked extension; the only name used on disk
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    #: As uploaded (display only)
    original_name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    unit: Mapped[UnitAssessment] = relationship(back_populates="evidence")
    uploaded_by: Mapped[User] = relationship()


class SiteSample(db.Model):
    """A draw of sites to visit (现场抽查) for a campaign: seed and candidates kept to replay it."""

    __tablename__ = "assessment_site_sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = _belongs_to("assessment_campaign", unique=True)
    seed: Mapped[str] = mapped_column(String(64))
    #: The sampling date: candidates are the projects in construction on that day
    as_of: Mapped[date | None] = mapped_column(Date)
    #: {org_code: [{"ref", "name", "org_code"}, ...]} as offered to the draw
    candidates: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Units with too few candidates, accepted explicitly: [{"org_code", "need", "have", "part"}]
    shortfalls: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Cities whose 县（市） had fewer candidates than the county quota, the rest drawn from the
    #: city body and its districts: [{"org_code", "need", "have", "made_up"}]
    made_up: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    drawn_by: Mapped[User] = relationship()


class SampledSite(db.Model):
    """One project drawn for a unit, and the visit record (date, findings)."""

    __tablename__ = "assessment_site"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = _belongs_to("assessment_site_sample")
    unit_id: Mapped[int] = _belongs_to("assessment_unit")
    position: Mapped[int] = mapped_column(Integer)
    #: 监督注册号 of the ledger project
    project_ref: Mapped[str] = mapped_column(String(64))
    project_name: Mapped[str] = mapped_column(String(200))
    #: Supervising org code
    org_code: Mapped[str] = mapped_column(String(12))
    #: Supervised by one of the city's counties (所辖县（市）的工程)
    in_county: Mapped[bool] = mapped_column(Boolean, default=False)
    #: 附件3: completed (accepted 合格) in the assessed year, on this date; None: in construction
    completed_on: Mapped[date | None] = mapped_column(Date)
    visit_date: Mapped[date | None] = mapped_column(Date)
    findings: Mapped[str | None] = mapped_column(Text)
    visited_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    unit: Mapped[UnitAssessment] = relationship(back_populates="sites")


class Observation(db.Model):
    """A 日常考察 entry: what a province assessor observed of a unit during the year (附件3
    "采取日常考察与年终检查相结合的方式"); the unit sees its entries only after that year's 附件3
    results are approved."""

    __tablename__ = "assessment_observation"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The year observed (the 附件3 campaign of that year uses it)
    year: Mapped[int] = mapped_column(Integer, index=True)
    #: The unit observed (a city or directly administered county)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    observed_on: Mapped[date] = mapped_column(Date)
    observation: Mapped[str] = mapped_column(Text)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    org: Mapped[Org] = relationship()
    assessor: Mapped[User] = relationship()
