"""The reporting-work record of each unit (第八条(五)), computed in SQL from the audit trail.

The report feature writes, for the unit whose report it is (``org`` = the submitting unit, not
the actor's unit):

- ``report.submit``: after = {"period", "kind", "due_at", "on_time": bool, "subject"?}
- ``report.return`` (the upper level returned it for errors): after = {"period", "kind"},
  message = the reasons
- ``report.accept``: after = {"period", "kind"}

``period`` starts with the four-digit year ("2026Q3", "2026H1", "2026"), and a year's record
counts the reports *of* that year's periods, wherever in time they were submitted (a Q4 report
submitted late in January still counts for its year).  docs/audit.md is the full vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, false, func, select, true

from webapp.core.models import AuditRecord, Org
from webapp.extensions import db

SUBMIT = "report.submit"
RETURN = "report.return"
ACCEPT = "report.accept"
ACTIONS = (SUBMIT, RETURN, ACCEPT)

_t = AuditRecord
_period = _t.after["period"].as_string()
_kind = _t.after["kind"].as_string()
_on_time = _t.after["on_time"].as_boolean()
_report_key = _kind + "|" + _period


@dataclass(frozen=True)
class UnitReportingRecord:
    """One unit's reporting work in one year."""

    org_code: str
    org_name: str
    tier_label: str
    depth: int
    #: Distinct reports (kind, period) submitted at least once.
    reports: int = 0
    #: Every submission, resubmissions after a return included.
    submissions: int = 0
    on_time: int = 0
    late: int = 0
    #: Reports whose *first* submission was late (上报不及时).
    late_reports: int = 0
    #: Returns for errors by the upper level (退回).
    returns: int = 0
    #: Distinct reports accepted by the upper level.
    accepted: int = 0
    #: Quality accident reports this unit acknowledged and forwarded (第十七条, 2 hours each),
    #: and how many of them after their two hours (audit action accident.forward).
    accident_steps: int = 0
    accident_late: int = 0


@dataclass(frozen=True)
class ReportHistory:
    """One report (kind, period) of one unit: how its reporting went."""

    kind: str
    period: str
    submissions: int
    first_submitted_at: datetime
    due_at: str | None
    first_on_time: bool | None
    late_submissions: int
    returns: int
    accepted_at: datetime | None


def _scope(year: int, org_codes: Any = None) -> list[ColumnElement[bool]]:
    cond = [_t.action.in_(ACTIONS), _period.like(f"{int(year):04d}%")]
    if org_codes is not None:
        cond.append(_t.org_code.in_(org_codes))
    return cond


def _units(org: Org | None) -> list[Org]:
    stmt = select(Org).where(Org.depth > 0).order_by(Org.path)
    if org is not None:
        stmt = select(Org).where(Org.path.startswith(org.path, autoescape=True))
        stmt = stmt.where(Org.depth > 0).order_by(Org.path)
    return list(db.session.execute(stmt).scalars())


def reporting_record(year: int, org: Org | None = None) -> list[UnitReportingRecord]:
    """Every unit below ``org`` (all units when None), with its counts for ``year``."""
    units = _units(org)
    codes = [u.code for u in units]
    is_submit = _t.action == SUBMIT

    def n(cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    totals = select(
        _t.org_code,
        func.count(distinct(case((is_submit, _report_key)))).label("reports"),
        n(is_submit).label("submissions"),
        n(and_(is_submit, _on_time == true())).label("on_time"),
        n(and_(is_submit, _on_time == false())).label("late"),
        n(_t.action == RETURN).label("returns"),
        func.count(distinct(case((_t.action == ACCEPT, _report_key)))).label("accepted"),
    ).where(*_scope(year, codes))
    by_code = {row.org_code: row for row in db.session.execute(totals.group_by(_t.org_code))}

    first = (
        select(_t.org_code, func.min(_t.id).label("first_id"))
        .where(*_scope(year, codes), _t.action == SUBMIT)
        .group_by(_t.org_code, _kind, _period)
        .subquery()
    )
    late_first = dict(
        db.session.execute(
            select(first.c.org_code, func.count())
            .join(_t, _t.id == first.c.first_id)
            .where(_on_time == false())
            .group_by(first.c.org_code)
        ).all()
    )
    accidents = _accident_steps(year, codes)
    out = []
    for unit in units:
        row = by_code.get(unit.code)
        counts = (
            {
                "reports": row.reports,
                "submissions": int(row.submissions),
                "on_time": int(row.on_time),
                "late": int(row.late),
                "returns": int(row.returns),
                "accepted": row.accepted,
            }
            if row is not None
            else {}
        )
        out.append(
            UnitReportingRecord(
                org_code=unit.code,
                org_name=unit.name,
                tier_label=unit.tier_label,
                depth=unit.depth,
                late_reports=int(late_first.get(unit.code, 0)),
                accident_steps=accidents.get(unit.code, (0, 0))[0],
                accident_late=accidents.get(unit.code, (0, 0))[1],
                **counts,
            )
        )
    return out


def _accident_steps(year: int, codes: list[str]) -> dict[str, tuple[int, int]]:
    """Per unit: accident reports forwarded in ``year`` (Henan calendar), and late ones."""
    from webapp.core import clock

    tz = clock.to_local(clock.now()).tzinfo  # type: ignore[union-attr]
    start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    late = _t.after["late"].as_boolean()
    rows = db.session.execute(
        select(
            _t.org_code,
            func.count(),
            func.coalesce(func.sum(case((late == true(), 1), else_=0)), 0),
        )
        .where(
            _t.action == "accident.forward",
            _t.org_code.in_(codes),
            _t.created_at >= start,
            _t.created_at < end,
        )
        .group_by(_t.org_code)
    ).all()
    return {code: (int(total), int(n_late)) for code, total, n_late in rows}


def reporting_details(year: int, org: Org) -> list[ReportHistory]:
    """The reports of one unit for ``year``, one line each, ordered by period and kind."""
    scope = _scope(year, [org.code])
    is_submit = _t.action == SUBMIT
    groups = (
        select(
            _kind.label("kind"),
            _period.label("period"),
            func.min(case((is_submit, _t.id))).label("first_id"),
            func.sum(case((is_submit, 1), else_=0)).label("submissions"),
            func.sum(case((and_(is_submit, _on_time == false()), 1), else_=0)).label("late"),
            func.sum(case((_t.action == RETURN, 1), else_=0)).label("returns"),
            func.max(case((_t.action == ACCEPT, _t.created_at))).label("accepted_at"),
        )
        .where(*scope)
        .group_by(_kind, _period)
        .subquery()
    )
    rows = db.session.execute(
        select(groups, _t.created_at, _t.after)
        .join(_t, _t.id == groups.c.first_id)
        .order_by(groups.c.period, groups.c.kind)
    ).all()
    out = []
    for row in rows:
        after = row.after if isinstance(row.after, dict) else {}
        on_time = after.get("on_time")
        out.append(
            ReportHistory(
                kind=row.kind,
                period=row.period,
                submissions=int(row.submissions),
                first_submitted_at=row.created_at,
                due_at=after.get("due_at"),
                first_on_time=on_time if isinstance(on_time, bool) else None,
                late_submissions=int(row.late),
                returns=int(row.returns),
                accepted_at=_aware(row.accepted_at),
            )
        )
    return out


def _aware(value: Any) -> datetime | None:
    """``max()`` over a UTC column comes back untyped (naive text on SQLite)."""
    from webapp.core import clock

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=clock.UTC)
