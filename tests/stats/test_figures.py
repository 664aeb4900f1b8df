"""One value type and one rounding rule for the forms' figures (issue 14, item 2)."""

from __future__ import annotations

from decimal import Decimal

from webapp.stats import figures
from webapp.stats.figures import Trio


def test_one_rounding_rule_half_up_to_the_hundredth():
    assert figures.round2(Decimal("0.005")) == Decimal("0.01")
    assert figures.round2(Decimal("0.0049")) == Decimal("0.00")
    assert figures.text(Decimal("1234.5")) == "1234.50"


def test_rates_as_printed_and_dash_when_nothing_to_divide():
    """domain.md §4: 备案率 = 备案 ÷ 竣工 × 100 as printed on the form; "—" when 竣工 is 0."""
    assert figures.rate(2, 3) == "66.67"
    assert figures.rate("0.44", "0.88") == "50.00"
    assert figures.rate(1, 0) is None and figures.dash(None) == "—"


def test_trios_add_and_subtract_and_cross_the_json_boundary():
    a = Trio.from_json({"count": 2, "area_10k_m2": "0.44", "cost_10k_yuan": "100.10"})
    b = Trio.from_json({"count": 1, "area_10k_m2": "0.44", "cost_10k_yuan": "—"})
    assert (a + b).to_json() == {"count": 3, "area_10k_m2": "0.88", "cost_10k_yuan": "100.10"}
    assert (a - b - a).to_json() == (-b).to_json()
    assert Trio.total([a, b, Trio()]) == a + b


def test_the_sum_of_rows_is_the_rows_as_printed_with_rates_from_the_sums():
    """合计 = sum of the rows (domain.md §4 identity 3); rates never add up."""

    def row(code, filed, completed, satisfied):
        return {
            "org_code": code,
            "org_name": code,
            **{
                g: {"count": 1, "area_10k_m2": "0.44", "cost_10k_yuan": "1.00"}
                for g in figures.SUMMARY_GROUPS
            },
            "filed": {"count": filed, "area_10k_m2": "0.44", "cost_10k_yuan": "1.00"},
            "completed": {"count": completed, "area_10k_m2": "0.44", "cost_10k_yuan": "1.00"},
            "satisfied_count": satisfied,
            "accidents": {"count": 1, "deaths": 0, "loss_10k_yuan": "0.50"},
        }

    total = figures.sum_rows([row("a", 1, 2, 1), row("b", 3, 2, 0)], "x")
    assert total["registered"] == {"count": 2, "area_10k_m2": "0.88", "cost_10k_yuan": "2.00"}
    assert total["filing_rate"] == {"count_pct": "100.00", "area_pct": "100.00"}
    assert total["satisfaction_pct"] == "25.00"
    assert total["accidents"] == {"count": 2, "deaths": 0, "loss_10k_yuan": "1.00"}
