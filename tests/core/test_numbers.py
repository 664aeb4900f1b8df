"""The shared rule for numbers typed by users: bounded by the column, never a 500."""

from __future__ import annotations

from decimal import Decimal

import pytest

from webapp.core.numbers import NumberError, column_bounds, parse_decimal, parse_int
from webapp.ledger.models import Decimal2


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1e300", "数值过大"),
        (1e300, "数值过大"),
        ("-1e300", "数值过大"),
        ("1E+999999999", "数值过大"),
        ("1" * 5000, "数值过大"),
        ("Infinity", "数值过大"),
        (float("inf"), "数值过大"),
        ("1000000000000", "数值过大"),
        ("999999999999.995", "数值过大"),  # rounds up past the column
        ("NaN", "应为数字"),
        (float("nan"), "应为数字"),
        ("abc", "应为数字"),
        (True, "应为数字"),
        (None, "应为数字"),
    ],
)
def test_refusals_carry_a_chinese_reason(raw, reason):
    with pytest.raises(NumberError) as info:
        parse_decimal(raw, precision=14, scale=2)
    assert str(info.value) == reason


def test_what_the_column_holds_is_accepted_and_rounded():
    assert column_bounds(Decimal2) == (14, 2)
    assert parse_decimal("999999999999.99", precision=14, scale=2) == Decimal("999999999999.99")
    assert parse_decimal("-3.456", precision=14, scale=2) == Decimal("-3.46")
    assert parse_decimal("1e-300", precision=14, scale=2) == Decimal("0.00")
    assert parse_decimal("12,345.5", precision=14, scale=2) == Decimal("12345.50")
    with pytest.raises(NumberError, match="最多保留 2 位小数"):
        parse_decimal("1.234", precision=6, scale=2, exact=True)
    with pytest.raises(NumberError, match="数值过大"):
        parse_decimal("10000", precision=6, scale=2)


def test_whole_numbers_fit_an_integer_column():
    assert parse_int("2147483647") == 2**31 - 1
    assert parse_int(12) == 12
    assert parse_int("１２") == 12 and parse_int("1,000") == 1000 and parse_int(3.0) == 3
    for raw in ("2147483648", 3e9, 10**30, "9" * 40):
        with pytest.raises(NumberError, match="数值过大"):
            parse_int(raw)
    # a count is written as digits: an exponent, a decimal point or a fraction is refused
    for raw in ("1e3", "1E3", "1e300", "2.0", "1.5", "3/2", "½", 1.5, Decimal("2.5"), "三"):
        with pytest.raises(NumberError, match="须为整数"):
            parse_int(raw)
