"""The scheduler's service operations (report_schedule.bpmn, publication_schedule.bpmn).

Each feature registers them under its own prefix with its own calendar: the scheduler asks
``<prefix>.next_window`` which period opens next and when, waits on a timer until then, and
calls ``<prefix>.open_scheduled`` to open it for every unit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from webapp.core import clock
from webapp.core.models import User
from webapp.engine import ServiceContext, service_operation

#: ``next_opening(after)`` → the next (period code, aware opening time) strictly after ``after``.
NextOpening = Callable[[datetime], tuple[str, datetime]]
#: ``open_period(actor, period_code)`` → the counts (``opened``, ``existing``…).
OpenPeriod = Callable[[User | None, str], dict[str, int]]


def register_scheduler(prefix: str, next_opening: NextOpening, open_period: OpenPeriod) -> None:
    """Register ``<prefix>.next_window`` and ``<prefix>.open_scheduled``."""

    def next_window(ctx: ServiceContext) -> dict[str, Any]:
        """Which period opens next, and when (aware ISO)."""
        period, opens = next_opening(clock.now())
        return {"next_period": period, "next_open_at": opens.isoformat(), "stop_schedule": False}

    def open_scheduled(ctx: ServiceContext) -> dict[str, Any]:
        """The period's window opened: start it for every unit (idempotent)."""
        counts = open_period(None, str(ctx.data["next_period"]))
        return {"opened_period": ctx.data["next_period"], "opened_units": counts["opened"]}

    service_operation(f"{prefix}.next_window")(next_window)
    service_operation(f"{prefix}.open_scheduled")(open_scheduled)
