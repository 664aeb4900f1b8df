"""The board of lower units for one period (催报), as the home page reads it.

Two queries give every direct child unit with its report of the period and its process's
business status (asked of the engine); from it, who has submitted, who is
late and who was returned.  :func:`remind_late` is the one-click 催办 of every late unit: it calls
:func:`webapp.reports.operations.remind_unit` for each (permission, state check and audit record
per unit, as the board's own 催办 button).  :func:`board_workbook` is the board's Excel export,
written through the shared spreadsheet rule.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from sqlalchemy import and_, select

from webapp.core import clock
from webapp.core.models import Org, Tier, User
from webapp.core.spreadsheet import append_row
from webapp.engine import business_statuses, return_counts
from webapp.extensions import db
from webapp.reports.models import Report, ReportKind, ReportState
from webapp.reports.state import report_state

#: States in which a unit has not yet sent its report up.
OPEN_STATES = (
    ReportState.NOT_STARTED,
    ReportState.DRAFTING,
    ReportState.IN_REVIEW,
    ReportState.RETURNED,
    ReportState.OVERDUE,
)
#: States in which 催办 reaches someone (an open step of the unit; see remind_unit).
REMINDABLE = (
    ReportState.DRAFTING,
    ReportState.IN_REVIEW,
    ReportState.RETURNED,
    ReportState.OVERDUE,
)


@dataclass(frozen=True)
class BoardRow:
    """One lower unit on the board."""

    org: Org
    report: Report | None
    state: ReportState
    #: Due time passed and the report not yet sent up (逾期), whether or not the timer marked it.
    late: bool
    #: Returns by the unit's own reviewer (本级审核退回), every round: the unit's own checking,
    #: not counted against it (domain.md §7: errors are the upper level's returns)
    review_returns: int = 0

    @property
    def upper_returns(self) -> int:
        """Returns by the upper level (被上级退回), every round: what the reporting record
        classifies and counts against the unit."""
        return self.report.upper_returns if self.report is not None else 0

    @property
    def label(self) -> str:
        return self.state.label

    @property
    def returned(self) -> bool:
        """Returned by the upper level at least once this round (被退回)."""
        return self.state is ReportState.RETURNED or bool(self.report and self.report.upper_returns)

    @property
    def submitted(self) -> bool:
        return self.state in (ReportState.SUBMITTED, ReportState.ACCEPTED)


def board_rows(org: Org, period: str, now: datetime | None = None) -> list[BoardRow]:
    """Every unit reporting to ``org`` for ``period`` ("2026Q4" or "2026"), in code order."""
    kind = ReportKind.ANNUAL if len(period) == 4 else ReportKind.QUARTERLY
    now = now or clock.now()
    found = db.session.execute(
        select(Org, Report)
        .outerjoin(
            Report,
            and_(Report.org_id == Org.id, Report.period == period, Report.kind == kind.value),
        )
        .where(Org.parent_id == org.id)
        .order_by(Org.code)
    ).all()
    statuses = business_statuses([r.instance_id for _, r in found if r and r.instance_id])
    returns = return_counts([key for _, r in found if r for key in r.business_keys])
    rows = []
    for unit, report in found:
        if kind is ReportKind.ANNUAL and unit.tier == Tier.COUNTY.value:
            continue
        status = statuses.get(report.instance_id) if report and report.instance_id else None
        state = report_state(report, status or "") if report else ReportState.NOT_STARTED
        late = (
            report is not None
            and state in OPEN_STATES
            and (state is ReportState.OVERDUE or report.due_at < now)
        )
        own = sum(returns.get((key, unit.id), 0) for key in report.business_keys) if report else 0
        rows.append(BoardRow(unit, report, state, late, own))
    return rows


def remind_late(actor: User, org: Org, period: str, message: str | None = None) -> list[BoardRow]:
    """催办 every late unit of ``org``'s board that has an open step; the units reminded."""
    from webapp.reports.operations import remind_unit

    reminded = []
    for row in board_rows(org, period):
        if row.late and row.report is not None and row.state in REMINDABLE:
            remind_unit(actor, row.report, message)
            reminded.append(row)
    return reminded


#: The two return counts, named apart (a reviewer's return inside the unit is a return too, but
#: only the upper level's counts against the unit in its reporting record)
RETURN_HEADERS = ["被上级退回（次）", "本级审核退回（次）"]
HEADERS = [
    "单位代码",
    "单位",
    "状态",
    "是否逾期",
    "报送期限",
    "上报时间",
    "接收时间",
    *RETURN_HEADERS,
]


def _local(value: datetime | None) -> str:
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def board_workbook(org: Org, period_label: str, rows: list[BoardRow]) -> bytes:
    """The board as an .xlsx (every text cell through the formula rule)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("报送情况")
    append_row(ws, [f"{org.name} · {period_label} · 下级单位报送情况"])
    append_row(ws, HEADERS)
    for row in rows:
        r = row.report
        append_row(
            ws,
            [
                row.org.code,
                row.org.name,
                row.label,
                "是" if row.late else "否",
                _local(r.due_at) if r else "",
                _local(r.submitted_at) if r else "",
                _local(r.accepted_at) if r else "",
                row.upper_returns,
                row.review_returns,
            ],
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
