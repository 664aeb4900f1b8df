"""Reading accidents: a unit's list, one accident (the right to see it checked), the chain of
the latest report with its times, a unit's timeliness.  Nothing here changes anything; the
state changes and their audit records are in :mod:`webapp.accidents.operations`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from webapp.accidents.models import Accident, AccidentReport, AccidentState, AccidentStep
from webapp.core import clock
from webapp.core.models import Org, User
from webapp.core.operations import get_row
from webapp.core.permissions import require, require_visible
from webapp.extensions import db

ACCIDENT_MISSING = "事故报告不存在。"


def get_accident(actor: User, accident_id: int) -> Accident:
    """The accident, if ``actor`` may see it; otherwise answered as a missing one."""
    accident = get_row(Accident, accident_id, ACCIDENT_MISSING)
    require_visible(actor, "accident.view", accident.org, ACCIDENT_MISSING)
    return accident


def accidents_under(actor: User, org: Org, *, open_only: bool = False) -> list[Accident]:
    require(actor, "accident.view", org)
    stmt = (
        select(Accident)
        .join(Org, Accident.org_id == Org.id)
        .where(Org.path.like(org.path + "%"))
        .order_by(Accident.occurred_at.desc(), Accident.id.desc())
    )
    if open_only:
        stmt = stmt.where(Accident.state.in_([AccidentState.REPORTING, AccidentState.REPORTED]))
    return list(db.session.execute(stmt).scalars())


def current_chain(accident: Accident) -> AccidentReport | None:
    """The latest report that went up the chain."""
    chained = [r for r in accident.reports if r.chained]
    return chained[-1] if chained else None


def chain_view(accident: Accident) -> list[dict[str, Any]]:
    """One entry per level of the latest chained report, with time taken and time left."""
    report = current_chain(accident)
    if report is None:
        return []
    now = clock.now()
    out = []
    for step in report.steps:
        taken = None
        if step.received_at and step.forwarded_at:
            taken = int((step.forwarded_at - step.received_at).total_seconds() // 60)
        left = None
        if step.due_at and step.forwarded_at is None and step.outcome == "pending":
            left = int((step.due_at - now).total_seconds() // 60)
        out.append(
            {
                "org_code": step.org.code,
                "org_name": step.org.name,
                "received_at": step.received_at,
                "forwarded_at": step.forwarded_at,
                "due_at": step.due_at,
                "late": step.late(now),
                "outcome": step.outcome,
                "minutes_taken": taken,
                "minutes_left": left,
                "government_report": step.government_report,
                "police_notice": step.police_notice,
            }
        )
    return out


def timeliness(org: Org, year: int) -> dict[str, int]:
    """Accident timeliness of a unit in a year (for its reporting record): steps, late steps."""
    start = datetime(year, 1, 1, tzinfo=clock.now().tzinfo)
    end = datetime(year + 1, 1, 1, tzinfo=clock.now().tzinfo)
    steps = db.session.execute(
        select(AccidentStep).where(
            AccidentStep.org_id == org.id,
            AccidentStep.received_at >= start,
            AccidentStep.received_at < end,
            AccidentStep.outcome != "skipped",
        )
    ).scalars()
    now = clock.now()
    rows = list(steps)
    return {"steps": len(rows), "late": sum(1 for s in rows if s.late(now))}
