"""The Excel export of 附表1–7 holds figures as numbers a clerk can sum (issue 14): counts as
integers, areas, costs and rates as decimals with the places the table prints, equal to the
table's figures; dashes and codes stay text."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.stats import oracle as o
from webapp.stats.compute import compute_table
from webapp.stats.excel import table_workbook
from webapp.stats.tables import summary_layout


@pytest.fixture
def ledger():
    o.load_oracle()


def _sheet(table: dict):
    return load_workbook(io.BytesIO(table_workbook(table))).active


def _summary_figures(row: dict, yearly: bool) -> list:
    figures = [row[g["key"]][m] for g in summary_layout(yearly) for m in g["metrics"]]
    figures += [row["filing_rate"]["count_pct"], row["filing_rate"]["area_pct"]]
    figures += [row["satisfaction_pct"]]
    return figures + [row["accidents"][k] for k in ("count", "deaths", "loss_10k_yuan")]


def _check(cell, figure) -> None:
    """The cell holds ``figure`` as a number (int with format 0, or a decimal with its places),
    or the dash when there is none."""
    if figure is None:
        assert cell.value == "—" and cell.data_type == "s"
    elif isinstance(figure, int):
        assert type(cell.value) is int and cell.value == figure and cell.number_format == "0"
    else:
        places = len(figure.partition(".")[2])
        assert isinstance(cell.value, int | float) and cell.data_type == "n"
        assert Decimal(str(cell.value)) == Decimal(figure)
        assert cell.number_format == ("0." + "0" * places if places else "0")


@pytest.mark.parametrize(("number", "period"), [(5, "2026Q3"), (7, "2026")])
def test_summary_rows_are_numbers_equal_to_the_figures(ledger, number, period):
    table = compute_table(number, "410100", period)
    sheet = _sheet(table)
    rows = [r for r in sheet.iter_rows(min_row=5) if r[1].value]
    assert [r[1].value for r in rows] == [t["org_name"] for t in [*table["rows"], table["total"]]]
    for cells, row in zip(rows, [*table["rows"], table["total"]], strict=True):
        figures = _summary_figures(row, number == 7)
        assert len(cells) >= 2 + len(figures)
        for cell, figure in zip(cells[2:], figures, strict=False):
            _check(cell, figure)
    # What the clerk does: the units' counts sum to the 合计 row in Excel too.
    first = summary_layout(number == 7)[0]["key"]
    total, units = rows[-1], rows[:-1]
    assert sum(r[2].value for r in units) == total[2].value == table["total"][first]["count"] > 0


def test_category_rows_are_numbers(ledger):
    table = compute_table(6, "410100", "2026Q3")
    sheet = _sheet(table)
    by_label = {r[0].value: r for r in sheet.iter_rows(min_row=5) if r[0].value}
    checked = 0
    for row in table["rows"]:
        cells = next(v for k, v in by_label.items() if k and k.endswith(row["label"]))
        group = row["registered"]
        _check(cells[1], group["count"])
        _check(cells[2], group["area_10k_m2"])
        _check(cells[3], group["cost_10k_yuan"])
        checked += 1
    assert checked == len(table["rows"]) > 0


def test_codes_and_dates_in_lists_stay_text(ledger):
    table = compute_table(4, "410103", "2026Q3")
    sheet = _sheet(table)
    values = [c.value for row in sheet.iter_rows(min_row=4) for c in row]
    assert "EQ-1" in values
    dates = [v for v in values if isinstance(v, str) and v.startswith("2026-")]
    assert dates, "dates are shown as written"
