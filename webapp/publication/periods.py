"""Half years (半年度): the period of the public overall-status report (第五条, 第十五条).

**Decision**: a half year is not a statistical period of its own (``webapp.stats`` knows
quarters and years).  Its figures are combined from the two quarters' *accepted* snapshots
(``webapp.publication.figures``), so what is published is exactly what was reported and
accepted, never a live recomputation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from webapp.core.periods import PeriodKey, parse_key


@dataclass(frozen=True, order=True)
class HalfYear:
    year: int
    #: 1 = 上半年 (Q1+Q2), 2 = 下半年 (Q3+Q4)
    half: int

    @property
    def code(self) -> str:
        return f"{self.year}H{self.half}"

    @property
    def label(self) -> str:
        return PeriodKey(self.year, "half", self.half).label

    @property
    def quarters(self) -> tuple[str, str]:
        first = 2 * self.half - 1
        return (f"{self.year}Q{first}", f"{self.year}Q{first + 1}")

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    def previous(self) -> HalfYear:
        return HalfYear(self.year, 1) if self.half == 2 else HalfYear(self.year - 1, 2)

    def next(self) -> HalfYear:
        return HalfYear(self.year, 2) if self.half == 1 else HalfYear(self.year + 1, 1)

    def __str__(self) -> str:
        return self.code


def parse_half_year(text: str | HalfYear) -> HalfYear:
    """``"2026H1"`` → the first half of 2026 (webapp.core.periods)."""
    if isinstance(text, HalfYear):
        return text
    key = parse_key(text, ("half",), "公开期")
    return HalfYear(key.year, key.number)


def last_ended(today: date) -> HalfYear:
    """The most recent half year that has ended by ``today`` (the one to publish)."""
    if today.month >= 7:
        return HalfYear(today.year, 1)
    return HalfYear(today.year - 1, 2)


def online_until(published: date) -> date:
    """The last day a publication must stay online: the same calendar day of the next month,
    or that month's last day when the day does not exist (spec §3 "online ≥ 1 month").

    **Decision**: that day is included (the report stays online through it, whatever the hour
    it was published), so a withdrawal can take effect from the following day.
    """
    import calendar

    year, month = published.year, published.month + 1
    if month == 13:
        year, month = year + 1, 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(published.day, last))


def withdrawable_from(published: date) -> date:
    """The first day a withdrawal may be requested and take effect."""
    return online_until(published) + timedelta(days=1)
