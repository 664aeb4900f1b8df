"""When the half-yearly publication opens (publication_schedule.bpmn waits for it).

A half year's flow opens ``HQR_PUBLICATION_OPENS_AFTER_DAYS`` days (default 1) after its last
day, at 00:00 Asia/Shanghai: 07-01 for the first half, 01-01 for the second half of the year
before.  The drafting unit then waits, if need be, until both quarters are accepted.
"""

from __future__ import annotations

import os
from datetime import datetime, time, timedelta

from flask import current_app

from webapp.core import clock
from webapp.publication.periods import HalfYear


def schedule_settings() -> dict[str, object]:
    days = os.environ.get("HQR_PUBLICATION_OPENS_AFTER_DAYS", "1") or "1"
    return {"PUBLICATION_OPENS_AFTER_DAYS": int(days)}


def opening_time(half: HalfYear) -> datetime:
    days = int(current_app.config.get("PUBLICATION_OPENS_AFTER_DAYS", 1))
    day = half.end + timedelta(days=days)
    return datetime.combine(day, time(0, 0), tzinfo=clock.LOCAL_TZ).astimezone(clock.UTC)


def next_opening(after: datetime) -> tuple[str, datetime]:
    """The next (half year, opening time) strictly after ``after``."""
    year = after.astimezone(clock.LOCAL_TZ).year
    candidates = [
        (opening_time(HalfYear(y, h)), HalfYear(y, h).code)
        for y in (year - 1, year, year + 1)
        for h in (1, 2)
    ]
    opens, period = min((c for c in candidates if c[0] > after), key=lambda c: c[0])
    return period, opens
