"""The reporting-work record of each unit (第八条(五)), computed in SQL from the audit trail.

The report feature writes, for the unit whose report it is (``org`` = the submitting unit, not
the actor's unit):

- ``report.submit``: after = {"period", "kind", "due_at", "on_time": bool, "subject"?,
  "meeting": bool (第十四条: the quarter's analysis meeting was recorded; absent before it was
  kept)}
- ``report.return`` (the upper level returned it): after = {"period", "kind", "return_kind",
  "error": bool}, message = the reasons; ``error`` is true for 数据差错 and 内容失误
- ``report.accept``: after = {"period", "kind"}
- ``report.correction`` (更正 after acceptance, an error of the unit): after = {"period", "kind"}

and the engine writes ``workflow.start`` (after = {"process": "quarterly_report",
"business_key": "report:ORG:PERIOD"}) when a period is opened for the unit: that is what the unit
had to make (*expected*).  A correction starts another instance (``report:ORG:PERIOD:r2``), which
is not another expected report.

**Decision** (domain.md §7, reporting record): expected = the reports opened for the unit;
missing = expected − submitted; late = first submitted after the due time in force at submission
(``on_time`` of the first ``report.submit``, so a 延期 counts); errors = returns classified
数据差错 or 内容失误 + corrections after acceptance.  For a year still running, a report opened
but not yet submitted counts as missing "so far" (the page says 截至今日).

``period`` starts with the four-digit year ("2026Q3", "2026H1", "2026"), and a year's record
counts the reports *of* that year's periods, wherever in time they were submitted (a Q4 report
submitted late in January still counts for its year).  docs/audit.md is the full vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, false, func, select, true

from webapp.core import clock
from webapp.core.models import AuditRecord, Org
from webapp.extensions import db

SUBMIT = "report.submit"
RETURN = "report.return"
ACCEPT = "report.accept"
CORRECTION = "report.correction"
ACTIONS = (SUBMIT, RETURN, ACCEPT, CORRECTION)
START = "workflow.start"
REPORT_PROCESS = "quarterly_report"
QUARTERLY = "quarterly"

_t = AuditRecord
_period = _t.after["period"].as_string()
_kind = _t.after["kind"].as_string()
_on_time = _t.after["on_time"].as_boolean()
_error = _t.after["error"].as_boolean()
_meeting = _t.after["meeting"].as_boolean()
_process = _t.after["process"].as_string()
_business_key = _t.after["business_key"].as_string()
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
    #: Reports the unit had to make (each period opened for it).
    expected: int = 0
    #: Returns classified 数据差错 / 内容失误 (the others are not errors).
    error_returns: int = 0
    #: Corrections requested after acceptance (更正).
    corrections: int = 0

    @property
    def missing(self) -> int:
        """Expected reports never submitted (未报)."""
        return max(0, self.expected - self.reports)

    @property
    def errors(self) -> int:
        """差错: returns for 数据差错 or 内容失误, and corrections after acceptance."""
        return self.error_returns + self.corrections

    @property
    def on_time_met(self) -> bool:
        """附件3 "按时报送": every expected report submitted, none first submitted late."""
        return self.expected > 0 and self.missing == 0 and self.late_reports == 0

    #: Quarterly reports submitted, and those of them sent with the quarter's analysis meeting
    #: recorded (第十四条 "每季度召开一次建设工程质量分析会") at any of their submissions.
    quarterly_reports: int = 0
    meetings: int = 0

    @property
    def meetings_missing(self) -> int:
        """Quarterly reports submitted without a recorded analysis meeting (第十四条)."""
        return max(0, self.quarterly_reports - self.meetings)

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
    #: Returns classified 数据差错 / 内容失误, and corrections after acceptance.
    error_returns: int = 0
    corrections: int = 0
    #: 第十四条: a quarterly report's analysis meeting recorded at a submission (None: annual)
    meeting: bool | None = None


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
        n(and_(_t.action == RETURN, _error == true())).label("error_returns"),
        n(_t.action == CORRECTION).label("corrections"),
        func.count(distinct(case((_t.action == ACCEPT, _report_key)))).label("accepted"),
        func.count(distinct(case((and_(is_submit, _kind == QUARTERLY), _report_key)))).label(
            "quarterly_reports"
        ),
        func.count(
            distinct(case((and_(is_submit, _kind == QUARTERLY, _meeting == true()), _report_key)))
        ).label("meetings"),
    ).where(*_scope(year, codes))
    by_code = {row.org_code: row for row in db.session.execute(totals.group_by(_t.org_code))}

    first = (
        select(_t.org_code, func.min(_t.id).label("first_id"))
        .where(*_scope(year, codes), _t.action == SUBMIT)
        .group_by(_t.org_code, _kind, _period)
        .subquery()
    )
    expected = dict(
        db.session.execute(
            select(_t.org_code, func.count(distinct(_business_key)))
            .where(
                _t.action == START,
                _t.org_code.in_(codes),
                _process == REPORT_PROCESS,
                _business_key.like(f"report:%:{int(year):04d}%"),
                _business_key.not_like("report:%:%:r%"),
            )
            .group_by(_t.org_code)
        ).all()
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
                "error_returns": int(row.error_returns),
                "corrections": int(row.corrections),
                "accepted": row.accepted,
                "quarterly_reports": int(row.quarterly_reports),
                "meetings": int(row.meetings),
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
                # a report submitted was expected, even one opened before the engine's records
                expected=max(int(expected.get(unit.code, 0)), int(counts.get("reports", 0))),
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
            func.sum(case((and_(_t.action == RETURN, _error == true()), 1), else_=0)).label(
                "error_returns"
            ),
            func.sum(case((_t.action == CORRECTION, 1), else_=0)).label("corrections"),
            func.max(case((_t.action == ACCEPT, _t.created_at))).label("accepted_at"),
            func.sum(case((and_(is_submit, _meeting == true()), 1), else_=0)).label("meetings"),
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
                # max() over a UTC column comes back untyped (naive text on SQLite)
                accepted_at=clock.as_utc(row.accepted_at),
                error_returns=int(row.error_returns or 0),
                corrections=int(row.corrections or 0),
                meeting=bool(row.meetings) if row.kind == QUARTERLY else None,
            )
        )
    return out


@dataclass(frozen=True)
class ReportingPerson:
    """Someone who drafted (填表人) or approved (审核人) a unit's reports in a year."""

    user_id: int
    org_code: str
    drafted: bool
    approved: bool


def reporting_people(year: int, org_codes: list[str]) -> list[ReportingPerson]:
    """Who drafted (``report.narrative_save``) and who approved (``report.submit``: the unit's
    reviewer whose approval sent it up) the reports of ``year`` of these units."""
    rows = db.session.execute(
        select(_t.actor_id, _t.org_code, _t.action)
        .where(
            _t.action.in_(("report.narrative_save", SUBMIT)),
            _t.org_code.in_(org_codes),
            _t.actor_id.is_not(None),
            _t.created_at.is_not(None),
        )
        .where(
            _t.object_type == "report",
            _t.object_id.in_(
                select(_t.object_id).where(_t.action == SUBMIT, _period.like(f"{int(year):04d}%"))
            ),
        )
        .distinct()
    ).all()
    people: dict[tuple[int, str], set[str]] = {}
    for actor_id, code, action in rows:
        people.setdefault((actor_id, code), set()).add(action)
    return [
        ReportingPerson(uid, code, "report.narrative_save" in acts, SUBMIT in acts)
        for (uid, code), acts in sorted(people.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
