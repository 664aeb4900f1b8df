"""The key figures of one period, live from the ledgers, for the home page's charts.

新注册/竣工/备案 (count and area), 备案率, 满意率 and 事故 of ``org``'s subtree, per direct child
unit and in total: the same definitions as 附表5/7 (:func:`webapp.stats.tables.group_conditions`,
the same rounding), in the same JSON shape as a summary row, but only the columns a chart shows.

Only the projects with a date in the period can count (registered, accepted or filed in it), so
the query reads those index entries only instead of the whole ledger: the current quarter's live
figures cost a fraction of the full 附表5 (which needs 上期接转 and 在建, hence every project).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import CompoundSelect, case, func, literal, literal_column, select, union_all

from webapp.core.models import Org
from webapp.extensions import db
from webapp.ledger.models import Project, UserRating
from webapp.stats.periods import Period, parse_period
from webapp.stats.tables import (
    _accident_sums,
    _dialect,
    _in_orgs,
    _sum_cents,
    _summary_row,
    _zero_raw,
    direct_children,
    group_conditions,
    own_row_name,
    subtree_units,
    unit_key,
)

#: The groups a chart shows (附表5's columns 新注册, 竣工, 备案).
KEY_GROUPS = ("registered", "completed", "filed")
#: The fields of a summary row kept (the rest would be zeros: their groups are not computed).
KEPT = ("org_code", "org_name", *KEY_GROUPS, "filing_rate", "satisfaction_pct", "accidents")


def _row(code: str, name: str, raw: dict[str, int]) -> dict[str, Any]:
    """附表5's own row builder (same rounding), keeping only the groups computed here."""
    row = _summary_row(code, name, raw).to_json()
    return {key: row[key] for key in KEPT}  # type: ignore[literal-required]


@functools.lru_cache(maxsize=256)
def _dated_statement(
    period_code: str, org_ids: tuple[int, ...] | None, dialect: str
) -> CompoundSelect:
    """The statement of :func:`dated_sums` (built once per period and subtree: building it
    costs more than running it on the live quarter)."""
    period = parse_period(period_code)
    conds = group_conditions(period)
    satisfied = case((Project.user_rating == UserRating.SATISFIED.value, 1), else_=0)
    parts = []
    for tag, group in enumerate(KEY_GROUPS):
        where = [conds[group]]
        if group == "registered":
            # Implies the registration index's predicate: without it SQLite will not use it.
            where.append(Project.registered_on.is_not(None))
        if org_ids is not None:
            where.append(_in_orgs(list(org_ids), dialect))
        parts.append(
            select(
                literal(tag).label("g"),
                Project.org_id.label("org_id"),
                (satisfied if group == "filed" else literal(0)).label("sat"),
                func.count().label("n"),
                _sum_cents(Project.area_m2, dialect).label("a"),
                _sum_cents(Project.cost_10k_yuan, dialect).label("c"),
            )
            .where(*where)
            .group_by(Project.org_id, literal_column("sat"))
        )
    return union_all(*parts)


def dated_sums(org: Org, period: Period) -> dict[str, dict[str, int]]:
    """附表5's sums of 新注册, 竣工 and 备案 (and 满意 among the filed) per unit of ``org``'s
    subtree: one ``UNION ALL`` of three ``GROUP BY org_id``, each over the projects dated in
    the period by one date (the conditions are :func:`group_conditions`' own), each read from
    its partial covering index (``ix_ledger_project_*_cover``: the date, the org and the figures
    of the projects registered / accepted 合格 / granted 备案) without touching the table."""
    units, everything = subtree_units(org)
    ids = None if everything else tuple(sorted(units))
    stmt = _dated_statement(period.code, ids, _dialect())
    raws: dict[str, dict[str, int]] = {}
    for tag, org_id, sat, n, a, c in db.session.execute(stmt).tuples():
        unit = units[org_id]
        raw = raws.get(unit)
        if raw is None:
            raw = raws[unit] = _zero_raw()
        group = KEY_GROUPS[tag]
        raw[f"{group}_n"] += int(n)
        raw[f"{group}_a"] += int(a)
        raw[f"{group}_c"] += int(c)
        if sat:
            raw["satisfied"] += int(n)
    return raws


def key_figures(org: Org, period: Period) -> dict[str, Any]:
    """``{"rows": [own row, one per direct child…], "total": row}`` for ``period``; each row
    ``{"org_code", "org_name", "registered"/"completed"/"filed": {"count", "area_10k_m2",
    "cost_10k_yuan"}, "filing_rate": {"count_pct", "area_pct"}, "satisfaction_pct",
    "accidents": {"count", "deaths", "loss_10k_yuan"}}``.  Projects (:func:`dated_sums`) and
    accidents: one query each."""
    raws = dated_sums(org, period)
    for r in _accident_sums(org, period, unit_key(org)):
        target = raws.setdefault(r["unit"], _zero_raw())
        target.update({k: int(v) for k, v in r.items() if k != "unit"})
    units = [(org.code, own_row_name(org))] + [(c.code, c.name) for c in direct_children(org)]
    grand = _zero_raw()
    for raw in raws.values():
        for k, v in raw.items():
            grand[k] += v
    return {
        "org": org.code,
        "period": period.code,
        "rows": [_row(code, name, raws.get(code, _zero_raw())) for code, name in units],
        "total": _row(org.code, "合计", grand),
    }
