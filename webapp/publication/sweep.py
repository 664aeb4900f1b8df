"""The daily sweep of records whose publicity has ended (publication_records_sweep.bpmn).

Reports published on a publication.bpmn with the records timers withdraw their own records; the
others (started before the rule, or whose process has ended) are swept here, by the timer
worker, every day shortly after midnight in Beijing time: a record is withdrawn within a day of
the end of its publicity period without anyone running a command.  The sweep is
:func:`publicity.expire_untimed` (idempotent, one audit record per record withdrawn), the same as
``flask publication expire-records``.

One instance loops ``sweeps_per_instance`` days (each loop adds four tasks to its tree, which
SpiffWorkflow caps at a depth of 1000), then starts its successor and ends.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from webapp.core import clock
from webapp.engine import (
    ServiceContext,
    register_start_form,
    service_operation,
    start_instance,
)
from webapp.publication import publicity

PROCESS = "publication_records_sweep"
#: The first instance's business key (``flask publication schedule`` starts it once); its
#: successors add the date they start on.
BUSINESS_KEY = "publication-records-sweep"

register_start_form(PROCESS, {"type": "object", "properties": {}}, label="公示期满记录撤下")


def next_sweep(now: datetime, minutes_after_midnight: int) -> datetime:
    """The next sweep strictly after ``now``: the coming local midnight plus a few minutes."""
    local = clock.to_local(now)
    at = datetime.combine(local.date(), time(0), tzinfo=clock.LOCAL_TZ) + timedelta(
        minutes=minutes_after_midnight
    )
    return at if at > local else at + timedelta(days=1)


@service_operation("publication.sweep_plan")
def sweep_plan(ctx: ServiceContext) -> dict[str, Any]:
    """When the next sweep runs, and how many more this instance runs before its successor."""
    per_instance = int(ctx.params.get("sweeps_per_instance") or 90)
    left = ctx.data.get("sweeps_left")
    left = per_instance if not isinstance(left, int) else left
    minutes = int(ctx.params.get("minutes_after_midnight") or 0)
    return {
        "sweep_at": next_sweep(clock.now(), minutes).isoformat(),
        "sweeps_left": left,
    }


@service_operation("publication.sweep_records")
def sweep_records(ctx: ServiceContext) -> dict[str, Any]:
    """Withdraw the records whose publicity has ended (the system acts; audited per record)."""
    counts = publicity.expire_untimed(None)
    return {
        "swept_on": clock.today_local().isoformat(),
        "swept_reports": counts["reports"],
        "swept_records": counts["withdrawn"],
        "sweeps_left": int(ctx.data.get("sweeps_left") or 0) - 1,
    }


@service_operation("publication.sweep_successor")
def sweep_successor(ctx: ServiceContext) -> dict[str, Any]:
    """Hand the daily sweep to a fresh instance (started once per day: idempotent)."""
    key = f"{BUSINESS_KEY}:{clock.today_local().isoformat()}"
    successor = start_instance(None, PROCESS, ctx.instance.org, key, {}, existing_ok=True)
    return {"successor_key": successor.business_key}
