"""The home page's read models: one dataclass per role's block, each built by one function.

A user may hold several roles; :func:`home_for` builds the block of each role they hold, and
every block holds only what that user may see:

- 填表人 (clerk): their open tasks with deadlines and the period each belongs to;
- 审核人 (reviewer): the review queue; 主要领导 (leader): the approvals waiting — the three from
  ONE inbox query (the engine's ``tasks_for``: the same tasks the inbox shows), split by the
  role each task is offered to;
- an upper unit's staff (and the administrator, who opens the periods): the board of the lower
  units for the current period (:func:`webapp.reports.board.board_rows`, one query);
- whoever may read the unit's statistics: the key figures over eight quarters — past quarters
  from the unit's accepted report snapshots (the figures its leader signed; one query reading
  only 附表5 of each snapshot), the current quarter live (:func:`webapp.stats.key_figures`,
  labelled 实时) — and the lower units compared on the latest of those quarters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from webapp.core import clock
from webapp.core.models import Org, Role, User
from webapp.core.permissions import can
from webapp.engine import task_page_url
from webapp.extensions import db
from webapp.reports.board import REMINDABLE, BoardRow, board_rows
from webapp.reports.deadlines import current_period_code
from webapp.reports.models import Report, ReportKind
from webapp.stats.key_figures import key_figures
from webapp.stats.periods import Period, parse_period
from webapp.stats.periods import subject_period_label as period_label

#: How many tasks a block lists (the inbox has them all).
TASK_LINES = 8
#: Quarters on the trend chart (two years).
QUARTERS = 8
LIVE_NOTE = "本期为实时数据，未经审核"


# Tasks -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskLine:
    id: int
    name: str
    process_name: str
    org_name: str
    #: 2026年第三季度, 2026年度… ('' when the process has no period)
    period_label: str
    due_at: datetime | None
    overdue: bool
    #: The step came back from a return (已退回)
    returned: bool
    #: The feature page where the task is done (the report's, the public report's workspace…);
    #: None: the engine's task page.  One tap from the home page to the work.
    url: str | None = None


@dataclass(frozen=True)
class ClerkHome:
    """填表人: my tasks, earliest deadline first."""

    tasks: list[TaskLine]
    total: int


@dataclass(frozen=True)
class ReviewerHome:
    """审核人: the review queue."""

    queue: list[TaskLine]
    total: int


@dataclass(frozen=True)
class LeaderHome:
    """主要领导: the approvals waiting."""

    approvals: list[TaskLine]
    total: int


def _due(task: Any) -> datetime | None:
    if task.due_at is not None:
        return task.due_at  # type: ignore[no-any-return]
    raw = (task.instance.subject or {}).get("due_at")
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _line(task: Any, now: datetime) -> TaskLine:
    instance = task.instance
    due = _due(task)
    return TaskLine(
        id=task.id,
        name=task.name,
        process_name=instance.definition.name,
        org_name=instance.org.name,
        period_label=period_label(instance.subject),
        due_at=due,
        overdue=due is not None and due < now,
        returned=(task.business_status or instance.business_status) == "returned",
        url=task_page_url(task),
    )


def _lines(tasks: list[Any], role: Role, now: datetime) -> tuple[list[TaskLine], int]:
    """The first TASK_LINES tasks offered to ``role`` (only those are read further: instance,
    definition, unit) and how many there are."""
    mine = [t for t in tasks if t.candidate_role == role.value]
    return [_line(t, now) for t in mine[:TASK_LINES]], len(mine)


def clerk_home(tasks: list[Any], now: datetime) -> ClerkHome:
    return ClerkHome(*_lines(tasks, Role.CLERK, now))


def reviewer_home(tasks: list[Any], now: datetime) -> ReviewerHome:
    return ReviewerHome(*_lines(tasks, Role.REVIEWER, now))


def leader_home(tasks: list[Any], now: datetime) -> LeaderHome:
    return LeaderHome(*_lines(tasks, Role.LEADER, now))


# The board of lower units --------------------------------------------------------------------
@dataclass(frozen=True)
class BoardHome:
    """An upper unit's board of its lower units for the current period."""

    org: Org
    period: Period
    rows: list[BoardRow]
    #: 催办 allowed (the upper unit's clerk, reviewer or leader; not the administrator)
    can_remind: bool
    #: The report pages of the units may be opened (not by the administrator)
    can_open: bool

    @property
    def late(self) -> list[BoardRow]:
        return [r for r in self.rows if r.late]

    @property
    def remindable(self) -> list[BoardRow]:
        return [r for r in self.late if r.state in REMINDABLE]

    @property
    def returned(self) -> list[BoardRow]:
        return [r for r in self.rows if r.returned and not r.submitted]

    @property
    def submitted(self) -> list[BoardRow]:
        return [r for r in self.rows if r.submitted]


def board_period(org: Org) -> Period:
    """The current quarter, or the previous one while the current has not been opened for any
    lower unit (the weeks before a quarter's window opens: last quarter's reporting is the work
    under way)."""
    current = parse_period(current_period_code())
    opened = db.session.execute(
        select(Report.id)
        .join(Org, Report.org_id == Org.id)
        .where(Org.parent_id == org.id, Report.period == current.code)
        .limit(1)
    ).first()
    return current if opened else current.previous()


def may_see_board(user: User, org: Org) -> bool:
    return can(user, "report.view", org) or can(user, "report.open")


def board_home(user: User, org: Org | None = None, *, always: bool = False) -> BoardHome | None:
    """The board of ``org`` (the user's own by default); None when the user may not see it or,
    unless ``always``, when the unit has no lower units (a county)."""
    org = org or user.org
    if not may_see_board(user, org):
        return None
    has_lower = db.session.execute(select(Org.id).where(Org.parent_id == org.id).limit(1))
    if not always and not has_lower.first():
        return None
    period = board_period(org)
    rows = board_rows(org, period.code)
    reminder = any(can(user, "report.remind", r.org) for r in rows[:1])
    return BoardHome(
        org=org,
        period=period,
        rows=rows,
        can_remind=reminder,
        can_open=can(user, "report.view", org),
    )


# Key figures ---------------------------------------------------------------------------------
#: The figures a chart shows: (key, label, unit, path in a 附表5 row).
SERIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("registered_n", "新注册项数", "项", ("registered", "count")),
    ("registered_a", "新注册面积", "万㎡", ("registered", "area_10k_m2")),
    ("completed_n", "竣工项数", "项", ("completed", "count")),
    ("completed_a", "竣工面积", "万㎡", ("completed", "area_10k_m2")),
    ("filed_n", "备案项数", "项", ("filed", "count")),
    ("filed_a", "备案面积", "万㎡", ("filed", "area_10k_m2")),
    ("filing_rate", "备案率", "%", ("filing_rate", "count_pct")),
    ("satisfaction", "满意率", "%", ("satisfaction_pct",)),
    ("accidents", "事故", "起", ("accidents", "count")),
)


def _value(row: dict[str, Any] | None, path: tuple[str, ...]) -> float | None:
    value: Any = row
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _figures(row: dict[str, Any] | None) -> dict[str, float | None]:
    return {key: _value(row, path) for key, _, _, path in SERIES}


@dataclass(frozen=True)
class QuarterFigures:
    code: str
    label: str
    #: "snapshot" (accepted: the figures signed), "live" (the current quarter), "none"
    source: str
    values: dict[str, float | None]


@dataclass(frozen=True)
class UnitFigures:
    org_code: str
    org_name: str
    values: dict[str, float | None]


@dataclass(frozen=True)
class FiguresHome:
    """The unit's key figures over eight quarters and its lower units compared."""

    org: Org
    quarters: list[QuarterFigures]
    #: The quarter the comparison shows (the latest accepted one, else the live current one)
    compared: QuarterFigures | None
    units: list[UnitFigures] = field(default_factory=list)

    def chart_data(self, table_url: Any) -> dict[str, Any]:
        """The JSON the page's script draws; ``table_url(org_code, period)`` is the stats page
        behind a point."""
        return {
            "series": [{"key": k, "label": lb, "unit": u} for k, lb, u, _ in SERIES],
            "quarters": [
                {
                    "code": q.code,
                    "label": q.label,
                    "source": q.source,
                    "values": q.values,
                    "url": table_url(self.org.code, q.code),
                }
                for q in self.quarters
            ],
            "compared": {
                "code": self.compared.code,
                "label": self.compared.label,
                "source": self.compared.source,
            }
            if self.compared
            else None,
            "units": [
                {
                    "code": u.org_code,
                    "name": u.org_name,
                    "values": u.values,
                    "url": table_url(u.org_code, self.compared.code) if self.compared else "",
                }
                for u in self.units
            ],
            "live_note": LIVE_NOTE,
        }


def _periods(current: Period, n: int = QUARTERS) -> list[Period]:
    out = [current]
    while len(out) < n:
        out.append(out[-1].previous())
    return out[::-1]


#: 附表5 of accepted snapshots already read, by (report id, accepted_at, round): an accepted
#: snapshot never changes under the same key (a correction round is accepted anew), and reading
#: one out of a province's snapshot (every table, several MB) costs more than the rest of the page.
_ACCEPTED_TABLES: dict[tuple[int, str, int], dict[str, Any] | None] = {}
_CACHE_LIMIT = 4096


def accepted_summaries(org: Org, codes: list[str]) -> dict[str, dict[str, Any]]:
    """附表5 of ``org``'s accepted quarterly snapshots of ``codes``, by period: one query for
    the reports' keys, and one reading only that table out of the snapshots not read before."""
    found = db.session.execute(
        select(Report.id, Report.period, Report.accepted_at, Report.round).where(
            Report.org_id == org.id,
            Report.kind == ReportKind.QUARTERLY.value,
            Report.period.in_(codes),
            Report.accepted_snapshot.is_not(None),
        )
    ).all()
    keys = {
        row.id: (row.id, row.accepted_at.isoformat() if row.accepted_at else "", row.round)
        for row in found
    }
    unread = [rid for rid, key in keys.items() if not key[1] or key not in _ACCEPTED_TABLES]
    fresh: dict[int, Any] = {}
    if unread:
        table = Report.accepted_snapshot[("tables", "table5")]
        fresh = dict(
            db.session.execute(select(Report.id, table).where(Report.id.in_(unread))).tuples().all()
        )
        if len(_ACCEPTED_TABLES) > _CACHE_LIMIT:
            _ACCEPTED_TABLES.clear()
        for rid, data in fresh.items():
            if keys[rid][1]:  # no acceptance time: not a flow's acceptance, not cached
                _ACCEPTED_TABLES[keys[rid]] = data if isinstance(data, dict) else None
    out = {}
    for row in found:
        data = fresh[row.id] if row.id in fresh else _ACCEPTED_TABLES.get(keys[row.id])
        if isinstance(data, dict):
            out[row.period] = data
    return out


def figures_home(user: User) -> FiguresHome | None:
    org = user.org
    if not can(user, "ledger.view", org):
        return None
    current = parse_period(current_period_code())
    periods = _periods(current)
    past = accepted_summaries(org, [p.code for p in periods[:-1]])
    live = key_figures(org, current)
    quarters = []
    for p in periods[:-1]:
        table = past.get(p.code)
        quarters.append(
            QuarterFigures(
                p.code,
                p.label,
                "snapshot" if table else "none",
                _figures(table.get("total") if table else None),
            )
        )
    quarters.append(QuarterFigures(current.code, current.label, "live", _figures(live["total"])))
    compared_rows: list[dict[str, Any]] = []
    compared: QuarterFigures | None = None
    for q in reversed(quarters[:-1]):
        if q.source == "snapshot":
            compared, compared_rows = q, list(past[q.code].get("rows") or [])
            break
    if compared is None:
        compared, compared_rows = quarters[-1], live["rows"]
    units = [
        UnitFigures(str(r.get("org_code")), str(r.get("org_name")), _figures(r))
        for r in compared_rows
        if r.get("org_code") != org.code
    ]
    return FiguresHome(org, quarters, compared if units else None, units)


# The page ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Home:
    clerk: ClerkHome | None
    reviewer: ReviewerHome | None
    leader: LeaderHome | None
    board: BoardHome | None
    figures: FiguresHome | None
    #: Open tasks offered to none of the three roles above (transferred to me, 考核组…)
    other_tasks: list[TaskLine]
    todo_total: int


def home_for(user: User) -> Home:
    """Every block of the user's roles (a user may hold several)."""
    from webapp.engine import tasks_for

    now = clock.now()
    tasks = tasks_for(user, "todo") if can(user, "task.inbox") else []
    roles = user.roles
    shown = {r.value for r in (Role.CLERK, Role.REVIEWER, Role.LEADER) if r in roles}
    others = [t for t in tasks if t.candidate_role not in shown]
    other = [_line(t, now) for t in others[:TASK_LINES]]
    return Home(
        clerk=clerk_home(tasks, now) if Role.CLERK in roles else None,
        reviewer=reviewer_home(tasks, now) if Role.REVIEWER in roles else None,
        leader=leader_home(tasks, now) if Role.LEADER in roles else None,
        board=board_home(user),
        figures=figures_home(user),
        other_tasks=other,
        todo_total=len(tasks),
    )
