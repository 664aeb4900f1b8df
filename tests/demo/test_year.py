"""The demo ``make db`` loads is a province's real year, built relative to today (issue 15):
last year complete, this year's past quarters accepted (two returned first, one unit late),
the current quarter open, the annual report open in December."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.demo.conftest import TODAY
from webapp.audit.reporting import reporting_record
from webapp.core import clock
from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.reports.demo import history_periods, seed_history
from webapp.reports.models import Report
from webapp.reports.state import report_state


def _count(**where) -> int:
    stmt = select(func.count()).select_from(Report).filter_by(**where)
    return db.session.execute(stmt).scalar_one()


def test_demo_is_a_real_year_relative_to_today(demo):
    """domain.md §3 (periods: quarterly due at quarter end, annual due 12-20) and §5 ("A window
    already open when the system starts (for example the annual window that opens 12-01) is
    opened at once"); §7 Decision (reporting record): "expected = every report the unit had to
    make …; late = first submitted after its due time; errors = returns that the upper level
    classifies as 数据差错 or 内容失误 …"."""
    assert history_periods(TODAY.date()) == [
        "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2025", "2026Q1", "2026Q2", "2026Q3",
    ]  # fmt: skip
    # 62 units × 7 quarters + the 29 annual reports of last year, through the flow
    assert (
        demo["reports demo-history"]
        .strip()
        .endswith(f"接收 {62 * 7 + 29} 份报告（其中上级退回后重报 2 份，逾期报送 1 份）。")
    )
    assert clock.now() == TODAY.astimezone(clock.UTC)  # the clock is restored

    # last year complete: every unit's four quarters and the 29 annual reports accepted
    for q in (1, 2, 3, 4):
        assert _count(period=f"2025Q{q}", locked=True) == 62
    assert _count(period="2025", kind="annual", locked=True) == 29
    # this year's past quarters accepted; the current quarter and the annual report open
    for q in (1, 2, 3):
        assert _count(period=f"2026Q{q}", locked=True) == 62
    assert _count(period="2026Q4") == 62 and _count(period="2026Q4", locked=True) == 0
    annual = list(db.session.execute(select(Report).filter_by(period="2026")).scalars())
    assert len(annual) == 29 and {report_state(r).value for r in annual} == {"drafting"}

    # the reporting record: last year clean; this year two returns (one an error), one late
    last = {r.org_code: r for r in reporting_record(2025)}
    assert len(last) == 61  # every unit below the province
    assert all(r.missing == 0 and r.late_reports == 0 and r.errors == 0 for r in last.values())
    assert sum(r.expected for r in last.values()) == 61 * 4 + 28
    assert all(r.on_time_met for r in last.values())
    this = {r.org_code: r for r in reporting_record(2026)}
    assert this["410300"].returns == 1 and this["410300"].errors == 1  # 数据差错
    assert this["410102"].returns == 1 and this["410102"].errors == 0  # 其他（格式）
    assert this["410200"].late_reports == 1
    assert sum(r.returns for r in this.values()) == 2
    assert sum(r.late_reports for r in this.values()) == 1
    # so far this year: Q4 open for everyone, the annual report for cities and 直管县
    assert this["410102"].missing == 1 and this["410100"].missing == 2

    # the 通报 proposal for this year (domain.md §7: 批评 for 重大失误 or 上报不及时); the reports
    # not yet due (Q4, the annual report) are not missing
    from webapp.reports.notice import propose

    lists = propose(2026)
    assert {u["org_code"]: u["reason"] for u in lists["criticise_units"]} == {
        "410200": "上报不及时（首报逾期 1 份）",
        "410300": "重大失误（报送差错 1 次）",
    }
    assert len(lists["commend_units"]) == 26 and len(propose(2025)["commend_units"]) == 28

    # 引用上期内容 has something to copy in the open quarter
    from webapp.reports.operations import find_report, previous_narrative

    q4 = find_report(get_org("410102"), "2026Q4", "quarterly")
    assert previous_narrative(q4)["s01"]

    again = seed_history()  # idempotent
    assert (again.accepted, again.returned, again.late) == (0, 0, 0)
