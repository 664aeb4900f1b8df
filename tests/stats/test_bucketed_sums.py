"""The fast sums of 附表5/7 and of the live key figures equal the columns' definitions.

附表5/7 group the ledger by (org, bucket) and add each bucket to the columns it counts in
(``webapp.stats.tables._project_sums``); the home page's key figures read three partial covering
indexes (``webapp.stats.key_figures.dated_sums``).  Over random ledgers, odd rows included (a
conclusion without a date, a date without a conclusion, 备案 without 验收, dates out of order),
both must give exactly the integers of one ``SUM(CASE WHEN <definition> …)`` per column, the
definitions being :func:`webapp.stats.tables.group_conditions` (domain.md §4).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import and_, delete, literal_column, select

from webapp.core.models import Org
from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.ledger.models import Project, QualityAccident, UserRating
from webapp.stats.key_figures import KEY_GROUPS, dated_sums
from webapp.stats.periods import Period
from webapp.stats.tables import (
    GROUPS,
    _metric_columns,
    _project_sums,
    _sum_if,
    group_conditions,
    unit_key,
)

UNITS = ["410000", "410100", "410102", "410181", "410200", "410202"]
BASE = date(2025, 10, 1)
maybe_day = st.none() | st.integers(0, 540).map(lambda d: BASE + timedelta(days=d))


@st.composite
def project(draw: Any, i: int) -> dict[str, Any]:
    return {
        "org": draw(st.sampled_from(UNITS)),
        "registration_no": f"B{i}",
        "name": f"工程{i}",
        "structure_type": "框架",
        "area_m2": Decimal(draw(st.integers(-100, 10_000_000))) / 100,
        "cost_10k_yuan": Decimal(draw(st.integers(1, 5_000_000))) / 100,
        "registered_on": BASE + timedelta(days=draw(st.integers(0, 540))),
        "accepted_on": draw(maybe_day),
        "acceptance_result": draw(st.sampled_from([None, "合格", "合格", "不合格"])),
        "filed_on": draw(maybe_day),
        "filing_result": draw(st.sampled_from([None, "准予备案", "准予备案", "不予备案"])),
        "user_rating": draw(st.sampled_from(["满意", "不满意", "未评价"])),
    }


ledgers = st.integers(0, 30).flatmap(lambda n: st.tuples(*[project(i) for i in range(n)]))
periods = st.sampled_from([Period(2026, 1), Period(2026, 2), Period(2026, 4), Period(2026)])


def _load(rows: tuple[dict[str, Any], ...]) -> None:
    db.session.execute(delete(QualityAccident))
    db.session.execute(delete(Project))
    orgs = {code: get_org(code) for code in UNITS}
    for r in rows:
        db.session.add(Project(**{**r, "org": orgs[r["org"]]}))
    db.session.flush()


def _by_definition(org: Org, period: Period) -> dict[str, dict[str, int]]:
    """One SUM(CASE) per column, by direct child unit (附表5's former query)."""
    conds = group_conditions(period)
    cols: list[Any] = []
    for g in GROUPS:
        cols += _metric_columns(g, conds[g])
    satisfied = and_(conds["filed"], Project.user_rating == UserRating.SATISFIED.value)
    cols.append(_sum_if(satisfied).label("satisfied"))
    stmt = (
        select(unit_key(org).label("unit"), *cols)
        .select_from(Project)
        .join(Org, Project.org_id == Org.id)
        .where(Org.path.like(org.path + "%"))
        .group_by(literal_column("unit"))
    )
    out = {}
    for row in db.session.execute(stmt).mappings():
        values = {k: int(v) for k, v in row.items() if k != "unit"}
        if any(values.values()):
            out[row["unit"]] = values
    return out


def _nonzero(raws: dict[str, dict[str, int]], keys: list[str]) -> dict[str, dict[str, int]]:
    out = {}
    for unit, raw in raws.items():
        kept = {k: raw[k] for k in keys}
        if any(kept.values()):
            out[unit] = kept
    return out


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ledgers, period=periods)
def test_bucketed_and_indexed_sums_are_the_definitions(rows, period):
    _load(rows)
    project_keys = [f"{g}_{m}" for g in GROUPS for m in "nac"] + ["satisfied"]
    key_keys = [f"{g}_{m}" for g in KEY_GROUPS for m in "nac"] + ["satisfied"]
    for code in ("410000", "410100", "410102"):
        org = get_org(code)
        expected = _by_definition(org, period)
        assert _nonzero(_project_sums(org, period), project_keys) == expected, code
        assert _nonzero(dated_sums(org, period), key_keys) == _nonzero(expected, key_keys), code
    db.session.rollback()
