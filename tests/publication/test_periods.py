"""Half years, the minimum online period and the scheduler's opening times."""

from __future__ import annotations

from datetime import date

import pytest

from tests.publication.conftest import at
from webapp.core.errors import InvalidInput
from webapp.publication.periods import (
    HalfYear,
    last_ended,
    online_until,
    parse_half_year,
    withdrawable_from,
)
from webapp.publication.schedule import next_opening


def test_parse_and_label():
    half = parse_half_year("2026h2")
    assert half == HalfYear(2026, 2) and half.code == "2026H2" and half.label == "2026年下半年"
    assert half.quarters == ("2026Q3", "2026Q4") and half.previous() == HalfYear(2026, 1)
    assert HalfYear(2026, 1).previous() == HalfYear(2025, 2) and half.next() == HalfYear(2027, 1)
    assert (half.start, half.end) == (date(2026, 7, 1), date(2026, 12, 31))
    for bad in ("2026H3", "2026Q1", "", "26H1"):
        with pytest.raises(InvalidInput):
            parse_half_year(bad)


@pytest.mark.parametrize(
    ("published", "until"),
    [
        ("2027-01-05", "2027-02-05"),
        ("2027-01-31", "2027-02-28"),  # no 31 February: the month's last day
        ("2028-01-30", "2028-02-29"),  # leap year
        ("2026-12-15", "2027-01-15"),  # over the year's end
        ("2026-07-31", "2026-08-31"),
    ],
)
def test_online_at_least_one_month(published, until):
    day = date.fromisoformat(published)
    assert online_until(day) == date.fromisoformat(until)
    assert (withdrawable_from(day) - online_until(day)).days == 1


def test_last_ended():
    assert last_ended(date(2026, 7, 1)) == HalfYear(2026, 1)
    assert last_ended(date(2026, 6, 30)) == HalfYear(2025, 2)
    assert last_ended(date(2027, 1, 1)) == HalfYear(2026, 2)


def test_next_opening_after_each_half_year(app):
    period, opens = next_opening(at("2026-06-30", 23))
    assert period == "2026H1" and opens == at("2026-07-01", 0)
    period, opens = next_opening(at("2026-07-01", 0))
    assert period == "2026H2" and opens == at("2027-01-01", 0)
