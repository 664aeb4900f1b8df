"""Numbers typed by users, refused with a Chinese reason unless the column can hold them.

``1e300`` in a decimal field used to reach ``Decimal.quantize`` (which raises past 28 digits)
or the database (NUMERIC(14, 2) overflows, an ``integer`` past 2^31 is an error on PostgreSQL)
and became a 500.  Every form field, API schema and import that reads a number goes through
:func:`parse_decimal` / :func:`parse_int` with the precision and scale of its column, so an
oversized number is a 422 "数值过大" before any arithmetic or SQL sees it.

The one rounding rule of every figure the product prints (forms, indexes, scores):
:func:`round_half_up`, to the hundredth (:data:`CENT`) unless a step is named.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields

NOT_A_NUMBER = "应为数字"
TOO_LARGE = "数值过大"
#: A count (people, projects, items) written with a decimal point, an exponent or a fraction.
NOT_WHOLE = "须为整数"
#: How a count is written: digits, a sign, thousands commas; full-width forms after NFKC.
_WHOLE_TEXT = re.compile(r"[+-]?\d+")
#: PostgreSQL's ``integer``.
INT_MAX = 2**31 - 1
#: The hundredth: two decimals, the precision of every area, cost, loss, rate and score.
CENT = Decimal("0.01")


def round_half_up(value: Decimal, step: Decimal = CENT) -> Decimal:
    """The one rounding rule: half up, to the hundredth unless ``step`` says otherwise."""
    return value.quantize(step, rounding=ROUND_HALF_UP)


class NumberError(ValueError):
    """A number that cannot be stored; ``str()`` is the Chinese reason."""


def column_bounds(column_type: Any) -> tuple[int, int]:
    """(precision, scale) of a NUMERIC column type (or of the type a TypeDecorator wraps)."""
    impl = getattr(column_type, "impl", column_type)
    impl = impl if not isinstance(impl, type) else impl()
    return int(impl.precision), int(impl.scale)


def parse_decimal(raw: Any, *, precision: int, scale: int, exact: bool = False) -> Decimal:
    """``raw`` (text, int, float, Decimal) as a Decimal a NUMERIC(precision, scale) holds.

    Rounded half up to ``scale`` decimals, or with ``exact`` refused when it has more (and
    returned as typed).  The size is checked before anything rounds or computes with it.
    """
    if isinstance(raw, bool) or raw is None:
        raise NumberError(NOT_A_NUMBER)
    if isinstance(raw, float) and not math.isfinite(raw):
        raise NumberError(NOT_A_NUMBER if math.isnan(raw) else TOO_LARGE)
    text = str(raw).strip().replace(",", "")
    if len(text) > 1000:
        raise NumberError(TOO_LARGE)
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise NumberError(NOT_A_NUMBER) from exc
    if value.is_nan():
        raise NumberError(NOT_A_NUMBER)
    whole_digits = precision - scale
    if value.is_infinite() or (value != 0 and value.adjusted() >= whole_digits):
        raise NumberError(TOO_LARGE)
    step = Decimal(1).scaleb(-scale)
    rounded = round_half_up(value, step)
    if exact and rounded != value:
        raise NumberError(f"最多保留 {scale} 位小数")
    if abs(rounded) >= Decimal(10) ** whole_digits:  # 999.995 rounds up to 1000.00
        raise NumberError(TOO_LARGE)
    return value if exact else rounded  # exact: as typed ("12" stays "12")


def parse_int(raw: Any, *, maximum: int = INT_MAX) -> int:
    """``raw`` as a whole number of at most ``maximum`` (an ``integer`` column by default).

    A count is written as digits: text with a decimal point, an exponent or a fraction is
    refused with :data:`NOT_WHOLE` (``"1e3"`` deaths used to become 1000, ``"2.0"`` two), however
    large (``"1e300"`` too: nobody writes a count so), as is any other text.  A number (JSON,
    an Excel cell) counts when it is whole: ``3.0`` from a spreadsheet is 3, ``1.5`` is refused.
    """
    if isinstance(raw, bool) or raw is None:
        raise NumberError(NOT_A_NUMBER)
    if isinstance(raw, float):
        if math.isnan(raw):
            raise NumberError(NOT_A_NUMBER)
        if math.isinf(raw) or abs(raw) > maximum:
            raise NumberError(TOO_LARGE)
        if not raw.is_integer():
            raise NumberError(NOT_WHOLE)
        return int(raw)
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise NumberError(NOT_A_NUMBER if raw.is_nan() else TOO_LARGE)
        if raw != raw.to_integral_value():
            raise NumberError(NOT_WHOLE)
        raw = int(raw)
    if isinstance(raw, int):
        if abs(raw) > maximum:
            raise NumberError(TOO_LARGE)
        return raw
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "")
    if not _WHOLE_TEXT.fullmatch(text):  # "1e3", "2.0", "3/2", "½", "三": not a count
        raise NumberError(NOT_WHOLE)
    if len(text.lstrip("+-")) > 20 or abs(int(text)) > maximum:
        raise NumberError(TOO_LARGE)
    return int(text)


class Count(fields.Integer):
    """An API field for a count of people, projects or items: :func:`parse_int`'s rule (no
    ``"1e3"``, no ``1.5`` silently cut to 1 as marshmallow's Integer does), never negative."""

    def __init__(self, *, maximum: int = INT_MAX, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.maximum = maximum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            number = parse_int(value, maximum=self.maximum)
        except NumberError as err:
            raise ValidationError(str(err)) from err
        if number < 0:
            raise ValidationError("不能为负数")
        return number


class BoundedDecimal(fields.Decimal):
    """An API field for a NUMERIC(precision, scale) column: 422 "数值过大" instead of a 500."""

    def __init__(self, *, precision: int, scale: int, exact: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.precision, self.scale, self.exact = precision, scale, exact

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        try:
            return parse_decimal(
                value, precision=self.precision, scale=self.scale, exact=self.exact
            )
        except NumberError as err:
            raise ValidationError(str(err)) from err
