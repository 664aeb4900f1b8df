"""Statistical periods: a calendar quarter ("2026Q3") or a calendar year ("2026")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from webapp.core.errors import DomainError
from webapp.core.periods import PeriodKey, parse_key


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
            return PeriodKey(self.year, "year").label
        return PeriodKey(self.year, "quarter", self.quarter).label

    def previous(self) -> Period:
        if self.quarter is None:
            return Period(self.year - 1)
        if self.quarter == 1:
            return Period(self.year - 1, 4)
        return Period(self.year, self.quarter - 1)

    def __str__(self) -> str:
        return self.code


def parse_period(text: str | Period) -> Period:
    """``"2026Q3"`` → the third quarter of 2026; ``"2026"`` → the year 2026 (core.periods)."""
    if isinstance(text, Period):
        return text
    key = parse_key(text, ("quarter", "year"), "统计期")
    return Period(key.year, key.number or None)


def current_quarter(today: date) -> Period:
    return Period(today.year, (today.month - 1) // 3 + 1)


def subject_period_label(subject: dict[str, Any] | None) -> str:
    """The period a process instance is about, from its fixed subject."""
    subject = subject or {}
    code = subject.get("period")
    if isinstance(code, str) and code:
        try:
            return parse_key(code).label
        except DomainError:
            return code
    year = subject.get("year")
    return f"{year}年度" if isinstance(year, int) else ""
