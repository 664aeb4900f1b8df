"""One value type and one rounding rule for the forms' figures (issue 14, item 2)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from webapp.stats import figures
from webapp.stats.figures import Accidents, CategoryTable, SummaryRow, SummaryTable, Trio

GOLDEN = Path(__file__).resolve().parent / "golden" / "outputs.json"


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


# The JSON boundary ------------------------------------------------------------------------------
cents = st.integers(0, 10**12).map(lambda n: Decimal(n) / 100)
trios = st.builds(Trio, st.integers(0, 10**6), cents, cents)
rates = st.none() | st.integers(0, 10**5).map(lambda n: Decimal(n) / 100)
rows = st.builds(
    SummaryRow,
    st.text(min_size=1, max_size=6),
    st.text(min_size=1, max_size=6),
    trios,
    trios,
    trios,
    trios,
    trios,
    rates,
    rates,
    rates,
    st.none() | st.integers(0, 10**6),
    st.builds(Accidents, st.integers(0, 100), st.integers(0, 100), cents),
    st.none() | st.sampled_from(["本级", "已接收", "未报", "台账数据"]),
    st.none() | trios,
)


@given(rows)
def test_a_row_crosses_the_json_boundary_unchanged(row):
    """Serialized once: what is stored loads back to the same row and the same JSON."""
    stored = json.loads(json.dumps(row.to_json()))
    assert SummaryRow.from_json(stored) == row
    assert SummaryRow.from_json(stored).to_json() == stored


@given(st.lists(rows, min_size=1, max_size=8))
def test_the_total_adds_the_printed_rows_and_takes_rates_from_the_sums(printed):
    total = SummaryRow.total(printed, "x")
    for group in figures.SUMMARY_GROUPS:
        assert total.group(group) == Trio.total(r.group(group) for r in printed)
    assert total.accidents.count == sum(r.accidents.count for r in printed)
    assert total.filing_count_pct == figures.rate_value(total.filed.count, total.completed.count)
    assert total.satisfaction_pct == figures.rate_value(total.satisfied, total.filed.count)


@given(rows, rows)
def test_a_half_year_keeps_the_identity_of_its_quarters(first, second):
    """在建 = 接转 + 新注册 − 竣工 holds for the half year when it holds for each quarter."""

    def consistent(row: SummaryRow) -> SummaryRow:
        return SummaryRow(
            row.org_code,
            row.org_name,
            row.carried_over,
            row.registered,
            row.carried_over + row.registered - row.completed,
            row.completed,
            row.filed,
        )

    q1 = consistent(first)
    q2 = consistent(
        SummaryRow(
            first.org_code,
            first.org_name,
            q1.under_construction,
            second.registered,
            completed=second.completed,
            filed=second.filed,
        )
    )
    half = SummaryRow.half_year(q1, q2)
    assert half.under_construction == half.carried_over + half.registered - half.completed
    assert half.supervised == half.carried_over + half.registered


def test_stored_snapshots_load_and_serialize_as_stored():
    """A report snapshot in today's format (written by main's code before the figures were
    typed) loads into the typed tables and serializes to the very same JSON."""
    golden = json.loads(GOLDEN.read_text())
    for name in ("report/410100/2026Q3", "report/410100/2026", "report/410000/2026Q3"):
        tables = golden[name]["tables"]
        for key, table in tables.items():
            shape = {k: v for k, v in table.items() if k not in ("checks", "title")}
            if key in ("table5", "table7"):
                assert SummaryTable.from_json(table).to_json() == shape, (name, key)
            elif key == "table6":
                assert CategoryTable.from_json(table).to_json() == shape, (name, key)


def test_a_snapshot_from_before_satisfied_count_still_loads():
    """Rows stored before ``satisfied_count`` existed load, keep their rates and stay without
    it; a roll-up taking such a 合计 keeps its own count (as before)."""
    old = {
        "org_code": "410102",
        "org_name": "中原区",
        **{
            g: {"count": 1, "area_10k_m2": "0.44", "cost_10k_yuan": "1.00"}
            for g in figures.SUMMARY_GROUPS
        },
        "filing_rate": {"count_pct": "100.00", "area_pct": "100.00"},
        "satisfaction_pct": "100.00",
        "accidents": {"count": 0, "deaths": 0, "loss_10k_yuan": "0.00"},
    }
    row = SummaryRow.from_json(old)
    assert row.satisfied_count is None and row.to_json() == old
    live = SummaryRow("410102", "中原区", satisfied_count=3)
    assert live.with_figures_of(row).satisfied_count == 3
    assert live.with_figures_of(row).satisfaction_pct == Decimal("100.00")


def test_the_change_in_percent_uses_the_one_rounding_rule():
    from webapp.publication.draft import _change

    # 1 ÷ 32 × 100 = 3.125: half up (3.13), as every other figure
    assert _change("竣工工程", 33, 32, "项") == "竣工工程33项，比上期增加1项，变化3.13%"
