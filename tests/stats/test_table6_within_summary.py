"""附表6 may not exceed the 附表5/7 合计 (a category is part of all projects), allowing only for
rounding: areas are printed in 万㎡ to 0.01, and a rolled-up 合计 adds rows that were each
rounded.  Found by issue 19's simulated year: the province's annual report, 62 rows, was
refused with 钢结构工程竣工面积（52.79）大于附表5/7合计（52.77） although every steel project was
also in the 合计."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

from webapp.stats.checks import run_checks

CENT = Decimal("0.01")


def _wan(m2: int) -> Decimal:
    return (Decimal(m2) / 10000).quantize(CENT, rounding=ROUND_HALF_UP)


def _group(area: Decimal) -> dict[str, dict[str, object]]:
    return {g: {"count": 1, "area_10k_m2": str(area), "cost_10k_yuan": "0"} for g in ("completed",)}


def _summary(units: list[int], rolled_up: bool) -> dict[str, object]:
    rows = []
    for i, m2 in enumerate(units):
        row = {"key": f"4100{i:02d}", "org_code": f"4100{i:02d}", **_group(_wan(m2))}
        if rolled_up:
            row["status"] = "已接收"
        rows.append(row)
    total = sum((_wan(m2) for m2 in units), Decimal(0))
    return {"table": 7, "rows": rows, "total": {"key": "total", **_group(total)}}


def _table6(area: Decimal) -> dict[str, object]:
    return {"table": 6, "rows": [{"key": "steel", "name": "钢结构工程", **_group(area)}]}


def _within(checks: list[dict[str, object]]) -> list[dict[str, object]]:
    return [c for c in checks if c["id"] == "table6.within_summary"]


def test_rounding_of_many_rolled_up_rows_is_not_an_excess():
    # 62 units whose every completed project is steel: the category equals the whole, but the
    # 合计 adds 62 rounded rows while 附表6 is rounded once.  Seeded: each unit's area ends in
    # 40–49 ㎡ (0.004x 万㎡ rounds down), the worst case for the 合计.
    rng = random.Random(19)
    units = [rng.randrange(10, 800) * 100 + rng.randrange(40, 50) for _ in range(62)]
    summary = _summary(units, rolled_up=True)
    steel = _wan(sum(units))
    assert steel > Decimal(summary["total"]["completed"]["area_10k_m2"]) + Decimal("0.01")
    assert _within(run_checks(_table6(steel), related={"table7": summary})) == []


def test_a_real_excess_over_the_rolled_up_total_is_refused():
    units = [123_456] * 62
    summary = _summary(units, rolled_up=True)
    steel = Decimal(summary["total"]["completed"]["area_10k_m2"]) + Decimal("1.00")
    found = _within(run_checks(_table6(steel), related={"table7": summary}))
    assert found and found[0]["severity"] == "error"
    assert "大于附表5/7合计" in found[0]["message"]


def test_a_units_own_tables_allow_one_rounding_on_each_side():
    # Not rolled up: one rounded figure on each side, so 0.01 is the most rounding explains.
    summary = _summary([52_000], rolled_up=False)
    assert _within(run_checks(_table6(Decimal("5.21")), related={"table5": summary})) == []
    assert _within(run_checks(_table6(Decimal("5.22")), related={"table5": summary}))
