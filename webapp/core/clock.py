"""The one clock of the application.

Everything that needs "now" calls :func:`now`; tests freeze or move it with :func:`set_now`,
so deadlines and timers are computed from a controllable time, never from ``datetime.now()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta  # noqa: F401 (UTC re-exported)
from zoneinfo import ZoneInfo

_override: Callable[[], datetime] | None = None

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """Current time, timezone-aware, in UTC."""
    if _override is not None:
        return _override().astimezone(UTC)
    return datetime.now(UTC)


def today_local() -> date:
    """Today's date in the users' time zone (Asia/Shanghai)."""
    return now().astimezone(LOCAL_TZ).date()


def set_now(value: datetime | None) -> None:
    """Freeze the clock at ``value`` (aware datetime), or unfreeze with ``None``."""
    global _override
    if value is None:
        _override = None
        return
    if value.tzinfo is None:
        raise ValueError("set_now needs an aware datetime")
    frozen = value
    _override = lambda: frozen  # noqa: E731


@contextmanager
def moved_to(value: datetime) -> Iterator[Callable[[datetime], None]]:
    """Run a block with the clock frozen at ``value`` (demo data that happened in the past);
    yields a function moving it within the block; the previous clock is restored after."""
    global _override
    previous = _override
    set_now(value)
    try:
        yield set_now
    finally:
        _override = previous


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward (tests)."""
    current = now() + delta
    set_now(current)
    return current


def set_timezone(name: str) -> None:
    global LOCAL_TZ
    LOCAL_TZ = ZoneInfo(name)


def as_utc(value: datetime | str | None) -> datetime | None:
    """A stored time as an aware datetime: ISO text parsed (ValueError if it is none), a naive
    value read as UTC, which is how times are stored (SQLite returns them naive)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite returns naive values: they are stored in UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ)
