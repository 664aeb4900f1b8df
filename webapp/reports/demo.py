"""Demo history: a province's real year, built relative to today (issue 15).

- last year: every unit's four quarters and the 29 annual reports accepted, on time;
- this year: the quarters already past accepted, two of them returned once by the upper level
  first (one for 数据差错, one for 其他（格式）) and one unit late once;
- the current quarter and (in December) the annual report stay open: ``flask reports open
  --current`` and the scheduler opened them before this runs.

Every step goes through the real engine (:func:`complete_task`), with the clock moved to the day
the step would have happened, so the audit trail, the Word documents and the reporting record
(第八条(五)) are what a real year leaves behind.  The clock is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from webapp.core import clock
from webapp.core.models import User
from webapp.engine import HumanTask, complete_task, open_tasks
from webapp.extensions import db
from webapp.reports.models import Report, ReportKind
from webapp.reports.operations import (
    find_report,
    open_period,
    reporting_units,
    save_explanations,
    save_meeting,
    save_narrative,
)
from webapp.reports.rollup import build_tables, tables_memo
from webapp.reports.sections import sections
from webapp.stats.compute import parse_period

DEMO_TEXT = {
    "s01": "本季度全市在监工程总体平稳，施工企业质量行为总体规范。",
    "s02": "全市监督机构按计划开展监督抽查，监督覆盖率保持在较高水平。",
}

#: The returns and the late submission of this year's demo: (org code, quarter) → what happens.
RETURNED = {("410300", 1): "data_error", ("410102", 2): "other"}
RETURN_REASONS = {
    "data_error": "附表5 竣工面积与台账不符，请核实后重报。",
    "other": "分析报告格式不规范，请按模板补充说明后重报。",
}
LATE = {("410200", 2)}
#: How late the late unit is.
LATE_BY = timedelta(days=3)


@dataclass(frozen=True)
class DemoYear:
    """What seed_history did: the periods driven through the flow, and the counts."""

    periods: list[str]
    accepted: int
    returned: int
    late: int


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def _task(report: Report) -> HumanTask:
    (task,) = open_tasks(report.instance_id)
    return task


def _step(report: Report, user: User, outcome: str, comment: str | None = None, **data: str):
    complete_task(user, _task(report).id, outcome, comment, data or None)


def _draft(report: Report, clerk: User) -> None:
    built = build_tables(report.org, report.period, report.kind)
    missing = [u for u in built["lower_units"] if not u["accepted"]]
    save_explanations(
        clerk,
        report,
        {
            c["id"]: "经核实，数据属实（演示数据）。"
            for c in built["checks"]
            if c["severity"] == "warning"
        },
        "演示：下级单位报告尚未报送，本级先行汇总。" if missing else None,
    )
    label = "本年度" if report.kind == ReportKind.ANNUAL.value else "本季度"
    if report.kind == ReportKind.QUARTERLY.value and int(report.org.code) % 7:
        # 第十四条: most units record the quarter's analysis meeting; every seventh code does
        # not, so the reporting record shows 未记录分析会 (docs/reports.md).
        start = parse_period(report.period).start
        held = max(start, clock.today_local() - timedelta(days=5))
        save_meeting(
            clerk,
            report,
            held,
            "局主要负责人、分管负责人，质量监督站站长及各监督科室负责人",
            f"{label}工程质量总体受控；针对渗漏、空鼓等质量通病部署下阶段专项治理（演示数据）。",
        )
    save_narrative(
        clerk,
        report,
        {
            key: DEMO_TEXT.get(key, f"{title}：{label}情况良好（演示数据）。")
            for key, title in sections(report.kind)
        },
    )


def _send_up(report: Report) -> None:
    """Clerk drafts, the unit's reviewer approves (the flow submits it up)."""
    clerk, reviewer = _user(f"clerk_{report.org.code}"), _user(f"reviewer_{report.org.code}")
    with tables_memo():  # nothing the tables read changes during these steps
        if _task(report).form_key == "report.prepare":
            _draft(report, clerk)
            _step(report, clerk, "next")
        if _task(report).form_key == "report.narrative":
            _step(report, clerk, "submit")
        _step(report, reviewer, "approve", "同意上报。")


def _upper(report: Report) -> User:
    parent = report.org.parent
    assert parent is not None
    return _user(f"reviewer_{parent.code}")


def _drive(period_code: str, quarter: int | None, move: Callable[[datetime], None]) -> list[int]:
    """Every unit's report of the period through the flow, in the order of time: counties a
    week before their due time, cities three days before, the province the day before, the late
    unit after its due time.  Returns [accepted, returned, late] of what it did; reports already
    sent up are left alone (idempotent)."""
    period = parse_period(period_code)
    kind = ReportKind.ANNUAL if period.is_year else ReportKind.QUARTERLY
    lead = {0: timedelta(days=1), 1: timedelta(days=3)}
    plan = []
    for org in reporting_units(kind):
        report = find_report(org, period.code, kind.value)
        if report is None or report.instance_id is None or report.first_submitted_at is not None:
            continue
        late = (org.code, quarter) in LATE
        when = (
            report.due_at + LATE_BY if late else report.due_at - lead.get(org.depth, timedelta(7))
        )
        plan.append((when, -org.depth, org.path, report))
    counts = [0, 0, 0]
    for when, _, _, report in sorted(plan, key=lambda p: p[:3]):
        key = (report.org.code, quarter)
        counts[2] += key in LATE
        move(when)
        _send_up(report)
        if report.org.parent is not None:
            upper = _upper(report)
            if key in RETURNED:
                return_kind = RETURNED[key]
                move(when + timedelta(hours=2))
                _step(report, upper, "return", RETURN_REASONS[return_kind], return_kind=return_kind)
                when += timedelta(days=1)
                move(when)
                _send_up(report)
                counts[1] += 1
            move(when + timedelta(hours=4))
            _step(report, upper, "accept", "接收。")
        counts[0] += 1
    return counts


def _opening(period_code: str) -> datetime:
    """When the period's window opened (15 days before a quarter's end; 12-01 for a year)."""
    period = parse_period(period_code)
    end = period.end
    day = end.replace(month=12, day=1) if period.is_year else end - timedelta(days=15)
    return datetime.combine(day, time(8, 0), tzinfo=clock.LOCAL_TZ)


def history_periods(today: date) -> list[str]:
    """Last year's quarters and annual report, and this year's quarters already past."""
    current_quarter = (today.month - 1) // 3 + 1
    periods = [f"{today.year - 1}Q{q}" for q in (1, 2, 3, 4)] + [str(today.year - 1)]
    return periods + [f"{today.year}Q{q}" for q in range(1, current_quarter)]


def seed_history() -> DemoYear:
    """Last year complete, this year's past quarters accepted (idempotent)."""
    today = clock.today_local()
    periods = history_periods(today)
    totals = [0, 0, 0]
    for code in periods:
        with clock.moved_to(_opening(code)) as move:
            open_period(None, code)
            quarter = int(code[-1]) if code.startswith(f"{today.year}Q") else None
            counts = _drive(code, quarter, move)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    return DemoYear(periods, *totals)
