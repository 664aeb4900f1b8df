"""The key figures of one period, live from the ledgers, for the home page's charts.

新注册/竣工/备案 (count and area), 备案率, 满意率 and 事故 of ``org``'s subtree, per direct child
unit and in total: the same definitions as 附表5/7 (:func:`webapp.stats.tables.group_conditions`,
the same rounding), in the same JSON shape as a summary row, but only the columns a chart shows.

Only the projects with a date in the period can count (registered, accepted or filed in it), so
the query reads those rows through the date indexes instead of the whole ledger: the current
quarter's live figures cost a fraction of the full 附表5 (which needs 上期接转 and 在建, hence
every project).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_

from webapp.core.models import Org
from webapp.ledger.models import Project
from webapp.stats.periods import Period
from webapp.stats.tables import (
    _accident_sums,
    _project_sums,
    _summary_row,
    _zero_raw,
    direct_children,
    own_row_name,
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


def key_figures(org: Org, period: Period) -> dict[str, Any]:
    """``{"rows": [own row, one per direct child…], "total": row}`` for ``period``; each row
    ``{"org_code", "org_name", "registered"/"completed"/"filed": {"count", "area_10k_m2",
    "cost_10k_yuan"}, "filing_rate": {"count_pct", "area_pct"}, "satisfaction_pct",
    "accidents": {"count", "deaths", "loss_10k_yuan"}}``.  Two queries: projects (附表5's own
    bucketed sums, over the projects dated in the period only), accidents."""
    in_period = or_(
        Project.registered_on.between(period.start, period.end),
        Project.accepted_on.between(period.start, period.end),
        Project.filed_on.between(period.start, period.end),
    )
    raws = _project_sums(org, period, where=in_period)
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
