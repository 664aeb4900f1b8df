"""Statistical periods: a calendar quarter ("2026Q3") or a calendar year ("2026")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from webapp.core.errors import DomainError, InvalidInput

PERIOD_RE = re.compile(r"^(\d{4})(?:[Qq]([1-4]))?$")
QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}


@dataclass(frozen=True, order=True)
class Period:
    year: int
    #: 1–4, or None for the whole year.
    quarter: int | None = None

    @property
    def is_year(self) -> bool:
        return self.quarter is None

    @property
    def code(self) -> str:
        return str(self.year) if self.quarter is None else f"{self.year}Q{self.quarter}"

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.quarter is None else 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    @property
    def label(self) -> str:
        if self.quarter is None:
            return f"{self.year}年度"
        return f"{self.year}年第{QUARTER_NAMES[self.quarter]}季度"

    def previous(self) -> Period:
        if self.quarter is None:
            return Period(self.year - 1)
        if self.quarter == 1:
            return Period(self.year - 1, 4)
        return Period(self.year, self.quarter - 1)

    def __str__(self) -> str:
        return self.code


def parse_period(text: str | Period) -> Period:
    """``"2026Q3"`` → the third quarter of 2026; ``"2026"`` → the year 2026."""
    if isinstance(text, Period):
        return text
    match = PERIOD_RE.match((text or "").strip())
    if not match or not 1990 <= int(match.group(1)) <= 2200:
        raise InvalidInput(f"统计期“{text}”格式不正确，应为 2026Q3（季度）或 2026（年度）。")
    quarter = match.group(2)
    return Period(int(match.group(1)), int(quarter) if quarter else None)


def current_quarter(today: date) -> Period:
    return Period(today.year, (today.month - 1) // 3 + 1)


HALF_RE = re.compile(r"^(\d{4})H([12])$")


def subject_period_label(subject: dict[str, Any] | None) -> str:
    """The period a process instance is about, from its fixed subject."""
    subject = subject or {}
    code = subject.get("period")
    if isinstance(code, str) and code:
        half = HALF_RE.match(code)
        if half:
            return f"{half.group(1)}年{'上' if half.group(2) == '1' else '下'}半年"
        try:
            return parse_period(code).label
        except DomainError:
            return code
    year = subject.get("year")
    return f"{year}年度" if isinstance(year, int) else ""
