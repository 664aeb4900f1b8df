"""Ledger models (台账): projects, behaviour records, penalties, quality accidents, complaints.

Area is kept in ㎡ and cost/loss in 万元, both as ``Decimal`` with two decimals.  Every row
belongs to the org that supervises it (``org_id``); subtree queries join ``Org.path``.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import TypeDecorator

from webapp.core import clock
from webapp.core.models import Org, UTCDateTime
from webapp.core.numbers import CENT
from webapp.extensions import db


class Decimal2(TypeDecorator[Decimal]):
    """NUMERIC(14, 2) that always hands back a ``Decimal`` quantized to cents.

    SQLite has no decimal type (SQLAlchemy warns when asked for ``Decimal`` from it); the value
    is read as a float there and turned back into the exact two-decimal ``Decimal`` through its
    shortest repr, which is exact for the 14 significant digits the column holds.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(14, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(14, 2))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        value = Decimal(str(value)).quantize(CENT)
        return float(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(CENT)


class StructureType(enum.StrEnum):
    """结构类型"""

    MASONRY = "砖混"
    FRAME = "框架"
    FRAME_SHEAR_WALL = "框架-剪力墙"
    SHEAR_WALL = "剪力墙"
    FRAME_CORE_TUBE = "框架-核心筒"
    STEEL = "钢结构"
    OTHER = "其他"


class AcceptanceResult(enum.StrEnum):
    """竣工验收结论: only 合格 counts as 竣工."""

    PASSED = "合格"
    FAILED = "不合格"


class FilingResult(enum.StrEnum):
    """备案结论: only 准予备案 counts as 备案."""

    GRANTED = "准予备案"
    REFUSED = "不予备案"


class UserRating(enum.StrEnum):
    """用户评价 (blank is 未评价)."""

    SATISFIED = "满意"
    UNSATISFIED = "不满意"
    UNRATED = "未评价"


class UnitType(enum.StrEnum):
    """责任单位类型 of a bad-behaviour record."""

    CLIENT = "建设"
    SURVEY = "勘察"
    DESIGN = "设计"
    CONSTRUCTION = "施工"
    SUPERVISION = "监理"
    TESTING = "检测"
    DRAWING_REVIEW = "施工图审查"
    OTHER = "其他"


class AccidentLevel(enum.StrEnum):
    """事故等级 per 建质〔2010〕111号."""

    ORDINARY = "一般"
    LARGER = "较大"
    MAJOR = "重大"
    EXTRAORDINARY = "特别重大"


#: Below the 一般 floor (no death, no serious injury, loss under 100 万元): a 质量问题, kept in
#: the ledger but not counted as an accident (not in 附表5/7).
QUALITY_PROBLEM = "质量问题"

#: Levels reported up level by level within two hours (第十七条).
FAST_REPORT_LEVELS = frozenset(
    {AccidentLevel.LARGER, AccidentLevel.MAJOR, AccidentLevel.EXTRAORDINARY}
)


class LedgerRow:
    """Columns every ledger row has: the supervising org and who/when created and changed it."""

    id: Mapped[int] = mapped_column(primary_key=True)

    @declared_attr
    def org_id(cls) -> Mapped[int]:  # noqa: N805
        #: The supervising org (监督机构).
        return mapped_column(ForeignKey("org.id"), index=True)

    @declared_attr
    def org(cls) -> Mapped[Org]:  # noqa: N805
        return relationship(Org, lazy="joined")

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("app_user.id"))

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:  # noqa: N805
        return mapped_column(ForeignKey("app_user.id"))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class StoredExpression(ColumnElement[Any]):
    """The expression of a stored generated column, written for each database (SQLite's and
    PostgreSQL's functions differ); kept equal to migration 5e0b3c9d1a47's."""

    inherit_cache = False

    def __init__(self, sqlite: str, postgresql: str) -> None:
        self.sqlite, self.postgresql = sqlite, postgresql


@compiles(StoredExpression)
def _stored_sqlite(element: StoredExpression, compiler: Any, **kw: Any) -> str:
    return element.sqlite


@compiles(StoredExpression, "postgresql")
def _stored_postgresql(element: StoredExpression, compiler: Any, **kw: Any) -> str:
    return element.postgresql


def _hundredths(column: str) -> Computed:
    """A two-decimal column in exact integer hundredths."""
    return Computed(
        StoredExpression(f"CAST(round({column} * 100) AS INTEGER)", f"({column} * 100)::bigint"),
        persisted=True,
    )


def _day(column: str, *, when: str | None = None) -> Computed:
    """A date as the integer yyyymmdd (NULL without one); with ``when``, NULL unless it holds."""
    lite = f"CAST(replace({column}, '-', '') AS INTEGER)"
    pg = (
        f"(EXTRACT(year FROM {column}) * 10000 + EXTRACT(month FROM {column}) * 100"
        f" + EXTRACT(day FROM {column}))::integer"
    )
    if when is not None:
        lite, pg = (f"CASE WHEN {when} THEN {e} ELSE NULL END" for e in (lite, pg))
    return Computed(StoredExpression(lite, pg), persisted=True)


def day_number(d: date) -> int:
    """``d`` as the integer yyyymmdd the ``*_day`` columns hold (the same order as dates)."""
    return d.year * 10000 + d.month * 100 + d.day


#: Partial covering indexes of the projects dated by one date (registered / accepted 合格 /
#: granted 备案): name, columns, predicate (kept equal to migration 3b8e5f0c7d21's).
COVER_INDEXES = (
    (
        "registered",
        ("registered_on", "org_id", "area_m2", "cost_10k_yuan"),
        "registered_on IS NOT NULL",
    ),
    (
        "passed",
        ("accepted_on", "org_id", "area_m2", "cost_10k_yuan", "acceptance_result"),
        "acceptance_result = '合格'",
    ),
    (
        "granted",
        ("filed_on", "org_id", "user_rating", "area_m2", "cost_10k_yuan", "filing_result"),
        "filing_result = '准予备案'",
    ),
)


class Project(LedgerRow, db.Model):
    """工程: one supervised project (the union of 附表3 and 附表4)."""

    __tablename__ = "ledger_project"
    __table_args__ = (
        Index("ix_ledger_project_org_registered", "org_id", "registered_on"),
        Index("ix_ledger_project_org_accepted", "org_id", "accepted_on"),
        Index("ix_ledger_project_org_filed", "org_id", "filed_on"),
        Index("ix_ledger_project_registered_on", "registered_on"),
        Index("ix_ledger_project_accepted_on", "accepted_on"),
        Index("ix_ledger_project_filed_on", "filed_on"),
        # The live key figures (webapp/stats/key_figures.py) read only these index entries:
        # partial, so that a scan of the whole ledger (附表5) never prefers them to the table.
        *(
            Index(
                f"ix_ledger_project_{name}_cover",
                *columns,
                sqlite_where=text(where),
                postgresql_where=text(where),
            )
            for name, columns, where in COVER_INDEXES
        ),
    )

    #: 工程质量监督注册号 (unique across the province)
    registration_no: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    #: 工程名称
    name: Mapped[str] = mapped_column(String(200), index=True)
    #: 结构类型
    structure_type: Mapped[str] = mapped_column(String(20))
    #: 建筑面积（平方米）
    area_m2: Mapped[Decimal] = mapped_column(Decimal2)
    #: 工程造价（万元）
    cost_10k_yuan: Mapped[Decimal] = mapped_column(Decimal2)
    #: 施工单位
    contractor: Mapped[str] = mapped_column(String(200), default="")
    #: 监理单位
    supervisor: Mapped[str] = mapped_column(String(200), default="")
    #: 形象进度 (free text, e.g. 主体十层)
    progress: Mapped[str] = mapped_column(String(200), default="")
    #: 监督注册日期
    registered_on: Mapped[date] = mapped_column(Date)
    #: 竣工验收日期
    accepted_on: Mapped[date | None] = mapped_column(Date)
    #: 竣工验收结论 (合格/不合格)
    acceptance_result: Mapped[str | None] = mapped_column(String(10))
    #: 备案日期
    filed_on: Mapped[date | None] = mapped_column(Date)
    #: 备案结论 (准予备案/不予备案)
    filing_result: Mapped[str | None] = mapped_column(String(10))
    #: 用户评价 (满意/不满意/未评价)
    user_rating: Mapped[str] = mapped_column(String(10), default=UserRating.UNRATED.value)
    #: 住宅工程
    is_residential: Mapped[bool] = mapped_column(default=False)
    #: 保障性安居工程
    is_affordable_housing: Mapped[bool] = mapped_column(default=False)
    #: 公共建筑工程
    is_public: Mapped[bool] = mapped_column(default=False)
    #: 备注
    remarks: Mapped[str] = mapped_column(Text, default="")

    # Kept by the database (stored generated columns) for the 附表5/7 roll-up over the whole
    # ledger (webapp.stats.tables): integers, so that SQLite compares and sums them without a
    # text comparison of dates or a rounding per row.  Never written by the application.
    #: 建筑面积 in hundredths of ㎡ (exact)
    area_cents: Mapped[int] = mapped_column(BigInteger, _hundredths("area_m2"))
    #: 工程造价 in hundredths of 万元 (exact)
    cost_cents: Mapped[int] = mapped_column(BigInteger, _hundredths("cost_10k_yuan"))
    #: 监督注册日期 as yyyymmdd
    registered_day: Mapped[int] = mapped_column(Integer, _day("registered_on"))
    #: 竣工验收日期 as yyyymmdd when the conclusion is 合格, else NULL
    passed_day: Mapped[int | None] = mapped_column(
        Integer, _day("accepted_on", when="acceptance_result = '合格'")
    )
    #: 备案日期 as yyyymmdd when the conclusion is 准予备案, else NULL
    granted_day: Mapped[int | None] = mapped_column(
        Integer, _day("filed_on", when="filing_result = '准予备案'")
    )


class CaseRecord(LedgerRow):
    """Columns of a numbered record against the unit responsible on a project (附表1, 附表2)."""

    #: 记录编号
    record_no: Mapped[str] = mapped_column(String(64), unique=True)
    #: 工程名称
    project_name: Mapped[str] = mapped_column(String(200))
    #: 责任单位
    responsible_unit: Mapped[str] = mapped_column(String(200))


class BadBehaviourRecord(CaseRecord, db.Model):
    """不良行为记录 (附表1)."""

    __tablename__ = "ledger_bad_record"
    __table_args__ = (Index("ix_ledger_bad_record_org_recorded", "org_id", "recorded_on"),)

    #: 责任单位类型
    unit_type: Mapped[str] = mapped_column(String(20))
    #: 责任人姓名
    person_name: Mapped[str] = mapped_column(String(64), default="")
    #: 责任人职务
    person_title: Mapped[str] = mapped_column(String(64), default="")
    #: 不良行为事实
    fact: Mapped[str] = mapped_column(Text)
    #: 对应省不良记录管理办法条款
    clause: Mapped[str] = mapped_column(String(200), default="")
    #: 记录人
    recorder: Mapped[str] = mapped_column(String(64), default="")
    #: 记录日期
    recorded_on: Mapped[date] = mapped_column(Date)
    #: 批准人
    approver: Mapped[str] = mapped_column(String(64), default="")
    #: 批准日期
    approved_on: Mapped[date | None] = mapped_column(Date)


class GoodBehaviourRecord(LedgerRow, db.Model):
    """企业良好行为记录 (第八条(三))."""

    __tablename__ = "ledger_good_record"
    __table_args__ = (Index("ix_ledger_good_record_org_recorded", "org_id", "recorded_on"),)

    #: 企业名称
    enterprise: Mapped[str] = mapped_column(String(200))
    #: 良好行为事实
    fact: Mapped[str] = mapped_column(Text)
    #: 记录日期
    recorded_on: Mapped[date] = mapped_column(Date)
    #: 批准人
    approver: Mapped[str] = mapped_column(String(64), default="")


class AdministrativePenalty(CaseRecord, db.Model):
    """行政处罚记录 (附表2)."""

    __tablename__ = "ledger_penalty"
    __table_args__ = (Index("ix_ledger_penalty_org_decided", "org_id", "decided_on"),)

    #: 时间
    decided_on: Mapped[date] = mapped_column(Date)
    #: 违法违规事实
    violation: Mapped[str] = mapped_column(Text)
    #: 处罚依据
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    #: 处罚内容
    penalty: Mapped[str] = mapped_column(Text, default="")
    #: 处罚情况
    penalty_status: Mapped[str] = mapped_column(String(200), default="")
    #: 处理情况
    handling_status: Mapped[str] = mapped_column(String(200), default="")


class QualityAccident(LedgerRow, db.Model):
    """工程质量事故; the level is computed from deaths, serious injuries and direct loss."""

    __tablename__ = "ledger_accident"
    __table_args__ = (Index("ix_ledger_accident_org_occurred", "org_id", "occurred_on"),)

    #: 事故日期
    occurred_on: Mapped[date] = mapped_column(Date)
    #: 监督注册号 (optional link to the project ledger)
    registration_no: Mapped[str] = mapped_column(String(64), default="")
    #: 工程名称
    project_name: Mapped[str] = mapped_column(String(200))
    #: 死亡人数
    deaths: Mapped[int] = mapped_column(Integer, default=0)
    #: 重伤人数
    serious_injuries: Mapped[int] = mapped_column(Integer, default=0)
    #: 直接经济损失（万元）
    loss_10k_yuan: Mapped[Decimal] = mapped_column(Decimal2)
    #: 事故等级 (一般/较大/重大/特别重大), derived, stored for filtering
    level: Mapped[str] = mapped_column(String(10))
    #: 事故概况
    description: Mapped[str] = mapped_column(Text, default="")
    #: 事故发生时间 with the time of day (None: rows entered before accident reports, 时间不详)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: 下落不明人数
    missing: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    #: Kept by an accident report (webapp.accidents): changed by 续报 only, never edited here
    managed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def needs_fast_report(self) -> bool:
        """较大 and above: reported up level by level, each level within 2 hours (第十七条)."""
        return self.level in {lvl.value for lvl in FAST_REPORT_LEVELS}

    @property
    def time_label(self) -> str:
        """The time of day, or 时间不详 for rows that never had one."""
        if self.occurred_at is None:
            return "时间不详"
        local = clock.to_local(self.occurred_at)
        return f"{local:%H:%M}" if local else "时间不详"


class ComplainantType(enum.StrEnum):
    """投诉人类型: the ledger keeps the kind of complainant, never who (domain.md §2)."""

    OWNER = "业主（住户）"
    PUBLIC = "社会公众"
    ENTERPRISE = "企业"
    REFERRED = "上级或有关部门转办"
    OTHER = "其他"


class ReviewOutcome(enum.StrEnum):
    """复议或诉讼结果 of the handling decision (附件3 1.7 工程质量投诉和复议)."""

    NONE = "未申请复议或诉讼"
    PENDING = "复议或诉讼中"
    UPHELD = "维持"
    ILLEGAL = "确认违法"
    REVOKED = "撤销"
    CHANGED = "变更"


#: Outcomes that fail 附件3 1.7's second duty (决定被确认违法、撤销或变更).
OVERTURNED = frozenset({ReviewOutcome.ILLEGAL, ReviewOutcome.REVOKED, ReviewOutcome.CHANGED})


class Complaint(LedgerRow, db.Model):
    """工程质量投诉 (domain.md §2 Complaints): read by section (9) of the report and 附件3 1.7.

    No personal data: the complainant is a type, and the texts are checked for ID and phone
    numbers (``webapp.ledger.fields.check_complaint``)."""

    __tablename__ = "ledger_complaint"
    __table_args__ = (
        Index("ix_ledger_complaint_org_received", "org_id", "received_on"),
        Index("ix_ledger_complaint_org_closed", "org_id", "closed_on"),
    )

    #: 投诉编号 (unique across the province; re-import updates by it)
    complaint_no: Mapped[str] = mapped_column(String(64), unique=True)
    #: 受理日期
    received_on: Mapped[date] = mapped_column(Date)
    #: 投诉人类型 (ComplainantType)
    complainant_type: Mapped[str] = mapped_column(String(20))
    #: 监督注册号 (optional link to the project ledger)
    registration_no: Mapped[str] = mapped_column(String(64), default="")
    #: 工程名称
    project_name: Mapped[str] = mapped_column(String(200))
    #: 投诉事项
    subject: Mapped[str] = mapped_column(Text)
    #: 处理单位
    handling_unit: Mapped[str] = mapped_column(String(200))
    #: 处理结果 (blank while being handled)
    result: Mapped[str] = mapped_column(Text, default="")
    #: 办结日期 (None: 办理中)
    closed_on: Mapped[date | None] = mapped_column(Date)
    #: 复议或诉讼结果 (ReviewOutcome)
    review_outcome: Mapped[str] = mapped_column(String(20), default=ReviewOutcome.NONE.value)


def accident_level(deaths: int, serious_injuries: int, loss_10k_yuan: Decimal) -> AccidentLevel:
    """建质〔2010〕111号: the highest level any of the three criteria reaches.

    "以上" includes the number and "以下" excludes it: 较大 = 3–9 deaths, 10–49 seriously
    injured, or 1,000 万 to under 5,000 万元; 重大 = 10–29, 50–99, 5,000 万 to under 1 亿元;
    特别重大 = 30+, 100+, 1 亿元 (10,000 万元) and more.
    """
    if deaths >= 30 or serious_injuries >= 100 or loss_10k_yuan >= 10000:
        return AccidentLevel.EXTRAORDINARY
    if deaths >= 10 or serious_injuries >= 50 or loss_10k_yuan >= 5000:
        return AccidentLevel.MAJOR
    if deaths >= 3 or serious_injuries >= 10 or loss_10k_yuan >= 1000:
        return AccidentLevel.LARGER
    return AccidentLevel.ORDINARY
