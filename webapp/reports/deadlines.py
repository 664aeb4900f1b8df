"""Due dates per tier (spec §3): settings, never hard-coded in the flow.

Defaults: a quarterly report is due at the quarter's end (3-31, 6-30, 9-30, 12-31), the annual
report on 12-20 of its year, at 23:59:59 in the users' time zone.  ``HQR_REPORT_DUE_OFFSET_<TIER>``
moves a tier's due date earlier by that many days (a county may be due before its city), and the
reminder goes ``HQR_REPORT_REMIND_DAYS`` days before the due time.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta

from flask import current_app

from webapp.core import clock
from webapp.core.models import Org, Tier
from webapp.stats.compute import Period, parse_period

TIERS = (Tier.PROVINCE, Tier.CITY, Tier.DIRECT_COUNTY, Tier.COUNTY)


def default_settings() -> dict[str, object]:
    offsets = {
        tier.value: int(os.environ.get(f"HQR_REPORT_DUE_OFFSET_{tier.value.upper()}", "0") or 0)
        for tier in TIERS
    }
    return {
        "REPORT_DUE_OFFSET_DAYS": offsets,
        "REPORT_REMIND_DAYS": int(os.environ.get("HQR_REPORT_REMIND_DAYS", "5") or 5),
    }


def due_date(period: Period, tier: str) -> date:
    base = date(period.year, 12, 20) if period.is_year else period.end
    offsets: dict[str, int] = current_app.config["REPORT_DUE_OFFSET_DAYS"]
    return base - timedelta(days=int(offsets.get(tier, 0)))


def due_at(period: Period, org: Org) -> datetime:
    return due_at_tier(period, org.tier)


def due_at_tier(period: Period, tier: str) -> datetime:
    day = due_date(period, tier)
    return datetime.combine(day, time(23, 59, 59), tzinfo=clock.LOCAL_TZ).astimezone(clock.UTC)


def remind_at(due: datetime) -> datetime:
    return due - timedelta(days=int(current_app.config["REPORT_REMIND_DAYS"]))


def current_period_code() -> str:
    """The quarter the clock is in, e.g. 2026Q4."""
    today = clock.today_local()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def window_settings() -> dict[str, object]:
    """When reporting windows open: days before a quarter's end; the annual report's MM-DD."""
    return {
        "REPORT_WINDOW_DAYS": int(os.environ.get("HQR_REPORT_WINDOW_DAYS", "15") or 15),
        "REPORT_ANNUAL_OPENS": os.environ.get("HQR_REPORT_ANNUAL_OPENS", "12-01") or "12-01",
    }


def _windows(around: datetime) -> list[tuple[datetime, str]]:
    """(opening time, period) of every window of the year before, this year and the next:
    quarterly windows open REPORT_WINDOW_DAYS before each quarter's end, the annual one on
    REPORT_ANNUAL_OPENS."""
    days = int(current_app.config["REPORT_WINDOW_DAYS"])
    month, day = (int(x) for x in str(current_app.config["REPORT_ANNUAL_OPENS"]).split("-"))
    local_year = around.astimezone(clock.LOCAL_TZ).year
    windows: list[tuple[datetime, str]] = []
    for year in (local_year - 1, local_year, local_year + 1):
        for quarter in (1, 2, 3, 4):
            end = Period(year, quarter).end
            opens = datetime.combine(end - timedelta(days=days), time(0, 0), tzinfo=clock.LOCAL_TZ)
            windows.append((opens, f"{year}Q{quarter}"))
        annual = datetime.combine(date(year, month, day), time(0, 0), tzinfo=clock.LOCAL_TZ)
        windows.append((annual, str(year)))
    return windows


def next_window(after: datetime) -> tuple[str, datetime]:
    """The next (period, opening time) strictly after ``after``."""
    opens, period = min((w for w in _windows(after) if w[0] > after), key=lambda w: w[0])
    return period, opens.astimezone(clock.UTC)


def open_windows(now: datetime) -> list[str]:
    """The periods whose window is open at ``now``: its opening time has come and some tier's
    due time has not (domain.md §5: a window already open when the scheduler starts is opened
    at once, not skipped; a unit whose due time has passed is left to an administrator)."""
    return [
        period
        for opens, period in sorted(_windows(now))
        if opens <= now and any(due_at_tier(parse_period(period), tier) > now for tier in TIERS)
    ]
