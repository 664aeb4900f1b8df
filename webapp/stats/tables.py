"""附表5, 6 and 7 computed by SQL aggregation over an org's subtree (domain.md §4).

One ``SELECT ... SUM(CASE ...) ... GROUP BY <direct child unit>`` per table: the group key is
the segment of the supervising org's path right below the org (its own projects group under
its own code).  Sums are taken in integer hundredths so they are exact on SQLite and
PostgreSQL alike; area is then shown in 万㎡ rounded half up to two decimals.

**Decision** (rounding): every figure is its exact subtotal rounded once; 合计 is the exact
grand total rounded once, so a 合计 may differ from the sum of its rounded rows by at most
0.005 万㎡ per row; the checks allow exactly that tolerance on area and none elsewhere.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)

from webapp.core.models import Org, Tier
from webapp.extensions import db
from webapp.ledger.models import (
    QUALITY_PROBLEM,
    AcceptanceResult,
    FilingResult,
    Project,
    QualityAccident,
    StructureType,
    UserRating,
    day_number,
)
from webapp.stats import figures
from webapp.stats.figures import (
    Accidents,
    CategoryRow,
    CategoryTable,
    Heading,
    SummaryRow,
    SummaryTable,
    Trio,
)
from webapp.stats.periods import Period, parse_period

GROUPS = figures.SUMMARY_GROUPS
#: Printed headings of the five groups: quarter form (附表5) and year form (附表7).
GROUP_LABELS = {
    False: {
        "carried_over": "上季度接转工程",
        "registered": "本季度新注册工程",
        "under_construction": "本季度在建工程",
        "completed": "本季度竣工工程",
        "filed": "本季度质量备案工程",
    },
    True: {
        "carried_over": "上年度接转工程",
        "registered": "本年度新注册工程",
        "under_construction": "截止到年底在建工程",
        #: as printed; **Decision** (domain.md §4): read as completed during the year
        "completed": "截止到年底竣工工程",
        "filed": "本年度备案工程",
    },
}
#: The other printed headings of 附表5 (False) and 附表7 (True).
RATE_LABELS = {False: "季度质量备案率（%）", True: "本年度质量备案率（%）"}
ACCIDENT_LABELS = {False: "本季度发生工程质量事故", True: "本年度发生工程质量事故"}
FULL_TRIO = ("count", "area_10k_m2", "cost_10k_yuan")


def printed_metrics(group: str, yearly: bool) -> tuple[str, ...]:
    """The figures the printed form has under a group: 附表7's 本年度备案工程 has 项数 and 面积
    only (no 造价, as printed); every other group has the three."""
    return FULL_TRIO[:2] if yearly and group == "filed" else FULL_TRIO


def summary_layout(yearly: bool) -> list[dict[str, Any]]:
    """附表5 or 附表7's groups as printed: ``{"key", "label", "metrics"}`` in the form's order,
    for the pages, the Excel export and the Word template."""
    return [
        {"key": g, "label": GROUP_LABELS[yearly][g], "metrics": printed_metrics(g, yearly)}
        for g in GROUPS
    ]


CATEGORIES = (
    ("residential", "住宅工程"),
    ("affordable_housing", "保障性安居工程"),
    ("public", "公共建筑工程"),
    ("large_public", "大型公共建筑工程（2万平方米以上）"),
    ("steel_structure", "钢结构工程"),
    ("county", "县（区）工程"),
)
TABLE6_GROUPS = figures.CATEGORY_GROUPS
#: 大型公共建筑: 建筑面积 ≥ 20,000 ㎡ ("以上" includes the number).
LARGE_PUBLIC_M2 = 20000


# Conditions ---------------------------------------------------------------------------------
def _accepted_before(d: date, *, inclusive: bool) -> ColumnElement[bool]:
    when = Project.accepted_on <= d if inclusive else Project.accepted_on < d
    return and_(Project.acceptance_result == AcceptanceResult.PASSED.value, when)


def _not_accepted_before(d: date, *, inclusive: bool) -> ColumnElement[bool]:
    # Written out so that NULL dates and conclusions count as "not accepted" on every database.
    later = Project.accepted_on > d if inclusive else Project.accepted_on >= d
    return or_(
        Project.accepted_on.is_(None),
        Project.acceptance_result.is_(None),
        Project.acceptance_result != AcceptanceResult.PASSED.value,
        later,
    )


def group_conditions(period: Period) -> dict[str, ColumnElement[bool]]:
    """The definition of each column of 附表5/6/7 (domain.md §4) as an SQL condition."""
    start, end = period.start, period.end
    return {
        #: registered before start, not accepted before start
        "carried_over": and_(
            Project.registered_on < start, _not_accepted_before(start, inclusive=False)
        ),
        "registered": Project.registered_on.between(start, end),
        #: Decision: in construction at period end
        "under_construction": and_(
            Project.registered_on <= end, _not_accepted_before(end, inclusive=True)
        ),
        "completed": and_(
            Project.acceptance_result == AcceptanceResult.PASSED.value,
            Project.accepted_on.between(start, end),
        ),
        "filed": and_(
            Project.filing_result == FilingResult.GRANTED.value,
            Project.filed_on.between(start, end),
        ),
    }


def category_conditions() -> dict[str, ColumnElement[bool]]:
    return {
        "residential": Project.is_residential.is_(True),
        "affordable_housing": Project.is_affordable_housing.is_(True),
        "public": Project.is_public.is_(True),
        "large_public": and_(Project.is_public.is_(True), Project.area_m2 >= LARGE_PUBLIC_M2),
        "steel_structure": Project.structure_type == StructureType.STEEL.value,
        "county": Org.tier.in_([Tier.COUNTY.value, Tier.DIRECT_COUNTY.value]),
    }


def unit_key(org: Org) -> ColumnElement[str]:
    """The direct child unit (its code) a row's supervising org lies under, or org's own code."""
    return case(
        (Org.path == org.path, literal(org.code)),
        else_=func.substr(Org.path, len(org.path) + 1, 6),
    )


def _cents(column: Any) -> ColumnElement[int]:
    return cast(func.round(column * literal_column("100")), BigInteger)


def _sum_if(cond: ColumnElement[bool], value: Any = None) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, value if value is not None else 1), else_=0)), 0)


def _metric_columns(prefix: str, cond: ColumnElement[bool]) -> list[Any]:
    return [
        _sum_if(cond).label(f"{prefix}_n"),
        _sum_if(cond, _cents(Project.area_m2)).label(f"{prefix}_a"),
        _sum_if(cond, _cents(Project.cost_10k_yuan)).label(f"{prefix}_c"),
    ]


# Figures from the sums ---------------------------------------------------------------------------
def area_10k(cents: int) -> Decimal:
    """㎡ in hundredths → 万㎡ with two decimals."""
    return figures.round2(Decimal(int(cents)) / 1000000)


def money(cents: int) -> Decimal:
    return figures.round2(Decimal(int(cents)) / 100)  # exact: already in hundredths


def _trio(raw: Mapping[str, int], prefix: str) -> Trio:
    return Trio(int(raw[f"{prefix}_n"]), area_10k(raw[f"{prefix}_a"]), money(raw[f"{prefix}_c"]))


def _heading(number: int, org: Org, period: Period) -> Heading:
    return Heading(number, org.code, org.name, period.code, period.label)


# 附表5 / 附表7 ----------------------------------------------------------------------------------
def _zero_raw() -> dict[str, int]:
    keys = [f"{g}_{m}" for g in GROUPS for m in "nac"] + ["satisfied", "acc_n", "acc_d", "acc_l"]
    return dict.fromkeys(keys, 0)


#: Where a date lies against the period: before it, in it, or after it (a NULL date, and for
#: 验收 a conclusion other than 合格, count as "after": they fall in no group as "before" or
#: "in" would).
BEFORE, IN, AFTER = 0, 1, 2
#: Of 准予备案 in the period: not filed in it, filed in it, filed in it and rated 满意.
NOT_FILED, FILED, FILED_SATISFIED = 0, 1, 2
#: bucket = 注册 × 9 + 合格验收 × 3 + 备案 (< 27).
_BUCKETS = 27


def _position(column: Any, period: Period) -> ColumnElement[int]:
    """Where a ``*_day`` column (yyyymmdd, NULL: no such date) lies against ``period``."""
    start, end = day_number(period.start), day_number(period.end)
    return case((column < start, BEFORE), (column <= end, IN), else_=AFTER)


def _bucket(period: Period) -> ColumnElement[int]:
    """A project's bucket for ``period``: where its registration and its 合格 acceptance lie
    against the period, and whether it was granted 备案 in the period (and rated 满意).  Every
    column of 附表5/7 is a set of buckets (:func:`_groups_of`), so the ledger is read once and
    grouped by (unit, bucket) with three plain sums instead of 16 conditional sums per row.

    It reads the integer columns the database keeps (``registered_day``; ``passed_day``, NULL
    unless 合格; ``granted_day``, NULL unless 准予备案): no text comparison per row."""
    filed = case(
        (
            Project.granted_day.between(day_number(period.start), day_number(period.end)),
            case((Project.user_rating == UserRating.SATISFIED.value, FILED_SATISFIED), else_=FILED),
        ),
        else_=NOT_FILED,
    )
    return (
        _position(Project.registered_day, period) * 9
        + _position(Project.passed_day, period) * 3
        + filed
    )


@functools.cache
def _groups_of(bucket: int) -> tuple[str, ...]:
    """The columns of 附表5/7 a project of ``bucket`` counts in ("satisfied": 满意 among the
    filed): exactly :func:`group_conditions`, where a NULL date or conclusion is "not
    accepted" (so it counts as accepted after any date) and a NULL registration counts in no
    group (as registered after the period)."""
    reg, acc, fil = divmod(bucket, 9)[0], bucket // 3 % 3, bucket % 3
    out = []
    if reg == BEFORE and acc != BEFORE:
        out.append("carried_over")
    if reg == IN:
        out.append("registered")
    if reg != AFTER and acc == AFTER:
        out.append("under_construction")
    if acc == IN:
        out.append("completed")
    if fil != NOT_FILED:
        out.append("filed")
    if fil == FILED_SATISFIED:
        out.append("satisfied")
    return tuple(out)


def project_groups(project: Project, period: Period) -> tuple[str, ...]:
    """The columns of 附表5/7 one project counts in for ``period``, as :func:`_bucket` and
    :func:`_groups_of` place it (in Python, for one project): empty when the period's figures do
    not count it at all."""

    def position(day: date | None) -> int:
        if day is None or day > period.end:
            return AFTER
        return BEFORE if day < period.start else IN

    passed = project.accepted_on if project.acceptance_result == AcceptanceResult.PASSED else None
    granted = project.filed_on if project.filing_result == FilingResult.GRANTED else None
    filed = NOT_FILED
    if position(granted) == IN:
        filed = FILED_SATISFIED if project.user_rating == UserRating.SATISFIED else FILED
    return _groups_of(position(project.registered_on) * 9 + position(passed) * 3 + filed)


def subtree_units(org: Org) -> tuple[dict[int, str], bool]:
    """Every org of ``org``'s subtree (id) → the unit its figures count under: the direct child
    unit's code it lies under, or ``org``'s own code (:func:`unit_key`, in Python); and whether
    the subtree holds every org (a province: no filter needed).  One query over the org table
    (a province's few hundred units at most)."""
    found = db.session.execute(select(Org.id, Org.path)).all()
    cut = len(org.path)
    units = {
        oid: org.code if path == org.path else path[cut : cut + 6]
        for oid, path in found
        if path.startswith(org.path)
    }
    return units, len(units) == len(found)


def _in_orgs(ids: list[int], dialect: str) -> ColumnElement[bool]:
    """``project.org_id IN ids``.  On SQLite, for more than one org, written ``org_id + 0`` so
    that the planner scans the table instead of looking up every project of the subtree through
    the org_id index (a row lookup each, and a sort for the GROUP BY anyway: 3× slower for a
    province); PostgreSQL's planner chooses well either way."""
    if len(ids) > 1 and dialect == "sqlite":
        return (Project.org_id + 0).in_(ids)
    return Project.org_id.in_(ids)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _sum_cents(column: Any, dialect: str) -> ColumnElement[int]:
    """SUM of a two-decimal column in hundredths, exactly: on PostgreSQL the NUMERIC(14, 2)
    values add up exactly and the sum is scaled once; on SQLite (stored as REAL) each value is
    first rounded to its hundredths (an integer), as :func:`_cents` does."""
    if dialect == "postgresql":
        return cast(func.coalesce(func.sum(column), 0) * literal_column("100"), BigInteger)
    return func.coalesce(func.sum(_cents(column)), 0)


@functools.lru_cache(maxsize=64)
def _bucket_sums(period_code: str) -> Select[Any]:
    """``SELECT org_id × 27 + bucket AS k, COUNT, SUM(area_cents), SUM(cost_cents) FROM
    ledger_project GROUP BY k`` for a period (built once per period: building the CASE
    expressions costs more than reading the ~2,000 rows the query returns).  The sums add
    the exact integer hundredths the database keeps, on every database alike."""
    period = parse_period(period_code)
    key = (Project.org_id * _BUCKETS + _bucket(period)).label("k")
    return select(
        key,
        func.count().label("n"),
        func.sum(Project.area_cents).label("a"),
        func.sum(Project.cost_cents).label("c"),
    ).group_by(literal_column("k"))


def _project_sums(
    org: Org, period: Period, *, where: ColumnElement[bool] | None = None
) -> dict[str, dict[str, int]]:
    """The project sums of 附表5/7 (``{g}_n/_a/_c`` and ``satisfied``) per unit of ``org``'s
    subtree: one ``GROUP BY`` on a single integer (org id × 27 + bucket) over the projects of
    the subtree (and ``where``), then each group's count and hundredths added, in Python, to
    the columns its bucket counts in.  Exact integers, the same as a ``SUM(CASE …)`` per column."""
    units, everything = subtree_units(org)
    stmt = _bucket_sums(period.code)
    if not everything:
        stmt = stmt.where(_in_orgs(list(units), _dialect()))
    if where is not None:
        stmt = stmt.where(where)
    raws: dict[str, dict[str, int]] = {}
    for k, n, a, c in db.session.execute(stmt).tuples():
        org_id, bucket = divmod(int(k), _BUCKETS)
        groups = _groups_of(bucket)
        if not groups:
            continue
        unit = units[org_id]
        raw = raws.get(unit)
        if raw is None:
            raw = raws[unit] = _zero_raw()
        for g in groups:
            if g == "satisfied":
                raw["satisfied"] += int(n)
            else:
                raw[f"{g}_n"] += int(n)
                raw[f"{g}_a"] += int(a)
                raw[f"{g}_c"] += int(c)
    return raws


def _accident_sums(org: Org, period: Period, key: ColumnElement[str] | None) -> list[Any]:
    head = [key.label("unit")] if key is not None else []
    stmt = (
        select(
            *head,
            func.count(QualityAccident.id).label("acc_n"),
            func.coalesce(func.sum(QualityAccident.deaths), 0).label("acc_d"),
            func.coalesce(func.sum(_cents(QualityAccident.loss_10k_yuan)), 0).label("acc_l"),
        )
        .select_from(QualityAccident)
        .join(Org, QualityAccident.org_id == Org.id)
        .where(
            Org.path.like(org.path + "%"),
            QualityAccident.occurred_on.between(period.start, period.end),
            # A 质量问题 below the 一般 floor is kept in the ledger but is not an accident.
            QualityAccident.level != QUALITY_PROBLEM,
        )
    )
    if key is not None:
        # By the output alias: PostgreSQL would not match the bound parameters of the CASE.
        stmt = stmt.group_by(literal_column("unit"))
    return list(db.session.execute(stmt).mappings())


def _summary_row(code: str, name: str, raw: Mapping[str, int]) -> SummaryRow:
    return SummaryRow(
        code,
        name,
        **{g: _trio(raw, g) for g in GROUPS},
        filing_count_pct=figures.rate_value(raw["filed_n"], raw["completed_n"]),
        # From the exact ㎡ (hundredths), not from the rounded 万㎡ shown.
        filing_area_pct=figures.rate_value(raw["filed_a"], raw["completed_a"]),
        satisfaction_pct=figures.rate_value(raw["satisfied"], raw["filed_n"]),
        #: The numerator of the satisfaction rate, so that a roll-up of submitted rows can
        #: recompute the rate exactly (reports sum accepted lower-level snapshots).
        satisfied_count=int(raw["satisfied"]),
        accidents=Accidents(int(raw["acc_n"]), int(raw["acc_d"]), money(raw["acc_l"])),
    )


def direct_children(org: Org) -> list[Org]:
    return list(
        db.session.execute(select(Org).where(Org.parent_id == org.id).order_by(Org.code)).scalars()
    )


def own_row_name(org: Org) -> str:
    return f"{org.name}（本级）"


def summary(org: Org, period: Period) -> SummaryTable:
    """附表5 (a quarter) or 附表7 (a year): a row per direct child unit, the org's own, 合计."""
    raws = _project_sums(org, period)
    for r in _accident_sums(org, period, unit_key(org)):
        target = raws.setdefault(r["unit"], _zero_raw())
        target.update({k: v for k, v in r.items() if k != "unit"})
    units = [(org.code, own_row_name(org))] + [(c.code, c.name) for c in direct_children(org)]
    rows = tuple(_summary_row(code, name, raws.get(code, _zero_raw())) for code, name in units)
    # The grand total adds the per-unit sums (exact integers: counts and hundredths).
    grand = _zero_raw()
    for raw in raws.values():
        for k, v in raw.items():
            grand[k] += int(v)
    return SummaryTable(
        _heading(7 if period.is_year else 5, org, period),
        rows,
        _summary_row(org.code, "合计", grand),
    )


# 附表6 ------------------------------------------------------------------------------------------
def categories(org: Org, period: Period) -> CategoryTable:
    """附表6: one row per category (categories overlap, so there is no 合计 row)."""
    conds = group_conditions(period)
    cats = category_conditions()
    cols: list[Any] = []
    for cat, _label in CATEGORIES:
        for g in TABLE6_GROUPS:
            cols += _metric_columns(f"{cat}__{g}", and_(cats[cat], conds[g]))
    stmt = (
        select(*cols)
        .select_from(Project)
        .join(Org, Project.org_id == Org.id)
        .where(Org.path.like(org.path + "%"))
    )
    raw = dict(db.session.execute(stmt).mappings().one())
    rows = tuple(
        CategoryRow(
            cat, label, **{g: _trio(raw, f"{cat}__{g}") for g in TABLE6_GROUPS}
        ).with_rates()
        for cat, label in CATEGORIES
    )
    return CategoryTable(_heading(6, org, period), rows)


def summary_table(org: Org, period: Period) -> dict[str, Any]:
    """:func:`summary` in its JSON shape."""
    return summary(org, period).to_json()


def category_table(org: Org, period: Period) -> dict[str, Any]:
    """:func:`categories` in its JSON shape."""
    return categories(org, period).to_json()


# Drill-down -----------------------------------------------------------------------------------
def drill_conditions(
    org: Org, period: Period, group: str, unit: Org | None = None, category: str | None = None
) -> list[ColumnElement[bool]]:
    """The conditions selecting the projects behind one figure (join Org first)."""
    conds = group_conditions(period)
    if group not in conds:
        raise KeyError(group)
    where: list[ColumnElement[bool]] = [conds[group]]
    if unit is None:
        where.append(Org.path.like(org.path + "%"))
    elif unit.id == org.id:
        where.append(Org.path == org.path)
    else:
        where.append(Org.path.like(unit.path + "%"))
    if category:
        where.append(category_conditions()[category])
    return where
