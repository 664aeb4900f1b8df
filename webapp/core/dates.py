"""Dates and times as people in the offices write them.

A clerk types 2026-10-01, 2026/10/01, 2026.10.01 or 2026年10月1日, often with the input method's
full-width digits (２０２６－１０－０１) and colon (14：30); an Excel cell formatted as text holds
the same.  Numbers already accept full-width digits (webapp.core.numbers); dates refused them
with "不是有效的日期".  Every text date of the ledgers and the accident reports is read here, after
NFKC normalisation, and anything else is refused with the forms this accepts.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

#: The reason given after the field's label: 监督注册日期 + 格式应为 ….
DATE_HINT = "格式应为 2026-10-01（也可写作 2026/10/01、2026.10.01 或 2026年10月1日）"
NO_SUCH_DAY = "不是有效的日期"
_DATE = re.compile(
    r"(?P<y>\d{4})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"|\s*年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日?)"
)
_TIME = re.compile(r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?")


class DateTextError(ValueError):
    """A text that is not a date (its message is the reason, without the field's label)."""


def normalise(text: str) -> str:
    """Full-width digits, separators and colon as their ASCII forms; outer blanks stripped."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_date_text(text: str) -> date:
    """``2026-10-01`` and the other written forms (module docstring) → a date."""
    found = _DATE.fullmatch(normalise(text))
    if found is None:
        raise DateTextError(DATE_HINT)
    month, day = found["m"] or found["m2"], found["d"] or found["d2"]
    try:
        return date(int(found["y"]), int(month), int(day))
    except ValueError as exc:
        raise DateTextError(NO_SUCH_DAY) from exc


def parse_datetime_text(text: str) -> datetime:
    """A date in any form :func:`parse_date_text` reads, then a time ``14:30`` (seconds
    optional), separated by blanks or ``T``; or an ISO 8601 time with its offset.  Naive when no
    offset is given (the caller places it in the users' zone)."""
    plain = normalise(text)
    if ":" in plain:  # a bare ISO date would pass as midnight: a time needs its clock time
        try:
            return datetime.fromisoformat(plain)
        except ValueError:
            pass
    parts = re.split(r"\s*T\s*|\s+", plain, maxsplit=1)
    if len(parts) != 2 or (clock := _TIME.fullmatch(parts[1])) is None:
        raise DateTextError("格式应为 2026-05-01 14:30（日期和时刻）")
    day = parse_date_text(parts[0])
    try:
        return datetime(
            day.year, day.month, day.day, int(clock["h"]), int(clock["mi"]), int(clock["s"] or 0)
        )
    except ValueError as exc:
        raise DateTextError("不是有效的时刻") from exc


#: Decision (no date in the spec bounds them): the earliest date a ledger row or an accident
#: report may carry.  The ledgers hold projects under supervision now and the records of recent
#: years (the demo spans two); 建质〔2010〕111号 postdates it.  1900-01-01 was accepted and
#: counted nowhere, or as 上年度接转 for ever.
EARLIEST = date(2000, 1, 1)


def bound_problem(
    day: date, *, earliest: date = EARLIEST, latest: date | None = None, today: bool = False
) -> str | None:
    """Why ``day`` is implausible (the reason after the field's label, naming the bound), or
    None: before ``earliest``, or after ``latest`` (``today``: the day it is, for an event that
    must have happened; a year ahead for a deadline)."""
    if day < earliest:
        return f"不能早于 {earliest}"
    if latest is not None and day > latest:
        return f"不能晚于今天（{latest}）" if today else f"不能晚于 {latest}"
    return None


def one_year_after(day: date) -> date:
    """The same calendar day a year later (29 February: the 28th)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)
