"""The home page per role (issue 18): tasks, the board of lower units with 一键催办 and its export,
the key figures from accepted snapshots and live, and that every block shows only what the user
may see."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import csrf_token, login
from tests.home.conftest import AFTER_DUE
from tests.reports.conftest import PERIOD, draft
from webapp.core import clock
from webapp.core.models import AuditRecord, User
from webapp.core.operations import get_org
from webapp.engine import Notification
from webapp.extensions import db
from webapp.reports.models import Report
from webapp.stats.key_figures import KEY_GROUPS, key_figures
from webapp.stats.periods import parse_period
from webapp.stats.tables import summary_table

CHART = re.compile(r'<script type="application/json" id="home-chart-data">(.*?)</script>', re.S)


def _open(api: Any) -> None:
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})


def _chart(page: str) -> dict[str, Any]:
    match = CHART.search(page)
    assert match, "no chart data on the page"
    return json.loads(match.group(1))


def _block(page: str, block_id: str) -> str:
    """The HTML of one <section id=...> of the page."""
    start = page.index(f'id="{block_id}"')
    return page[start : page.index("</section>", start)]


def test_a_clerk_sees_the_tasks_with_period_and_deadline(
    workflows, oracle, api, app, make_user, in_window
):
    _open(api)
    make_user("clerk", "410102", username="zy_clerk")
    make_user("clerk", "410103", username="eq_clerk")
    web = app.test_client()
    login(web, "zy_clerk")
    page = web.get("/").get_data(as_text=True)
    tasks = _block(page, "home-clerk")
    assert "填报数据" in tasks and "2026年第三季度" in tasks and "中原区" in tasks
    assert "期限 09-30 23:59" in tasks
    # a county has no lower units: no board; its figures are its own only
    assert 'id="home-board"' not in page and 'id="home-reviewer"' not in page
    assert "二七区" not in page  # the sibling county's task and figures are not shown
    chart = _chart(page)
    assert chart["quarters"][-1]["url"].startswith("/stats/table5?org=410102")
    assert chart["units"] == []


def test_reviewer_and_leader_blocks_for_a_user_with_both_roles(
    workflows, oracle, api, app, make_user, in_window
):
    _open(api)
    clerk = api("clerk", "410181")
    draft(clerk, "410181")  # 巩义's report now waits for its reviewer
    make_user(["reviewer", "leader"], "410181", username="gy_boss")
    web = app.test_client()
    login(web, "gy_boss")
    page = web.get("/").get_data(as_text=True)
    queue = _block(page, "home-reviewer")
    assert "2026年第三季度" in queue and "巩义市" in queue
    assert "暂无待审批事项" in _block(page, "home-leader")
    assert 'id="home-clerk"' not in page


def test_the_leader_sees_late_units_and_reminds_them_all(
    workflows, oracle, api, app, make_user, in_window
):
    _open(api)
    make_user("clerk", "410102", username="zy_clerk")
    eq_clerk, eq_reviewer = api("clerk", "410103"), api("reviewer", "410103")
    draft(eq_clerk, "410103")
    eq_reviewer.complete(eq_reviewer.task("410103"), "approve")  # 二七区 sent up in time
    make_user("leader", "410100", username="zz_leader")
    clock.set_now(AFTER_DUE)
    web = app.test_client()
    login(web, "zz_leader")
    page = web.get("/").get_data(as_text=True)
    board = _block(page, "home-board")
    late = board[board.index('id="home-late"') :].split("</div>", 1)[0]
    assert "本期逾期" in late and "中原区" in late and "二七区" not in late
    assert "2026年第三季度" in board and "一键催办逾期单位" in board
    assert 'data-confirm="确定向' in board  # asks before it is sent
    late_codes = {
        r.org.code
        for r in db.session.execute(
            select(Report).where(Report.period == PERIOD, Report.submitted_at.is_(None))
        ).scalars()
        if r.org.parent_id == get_org("410100").id
    }
    response = web.post(
        "/home/remind-late", data={"csrf_token": csrf_token(web, "/"), "period": PERIOD}
    )
    assert response.status_code == 302
    db.session.commit()
    reminded = set(
        db.session.execute(
            select(AuditRecord.org_code).where(AuditRecord.action == "report.remind_unit")
        ).scalars()
    )
    assert reminded == late_codes and "410102" in reminded and "410103" not in reminded
    zy_clerk = db.session.execute(select(User).where(User.username == "zy_clerk")).scalar_one()
    notes = db.session.execute(
        select(Notification).where(Notification.user_id == zy_clerk.id)
    ).scalars()
    assert any(n.kind == "remind" for n in notes)
    assert "已催办" in web.get("/").get_data(as_text=True)


def test_the_board_export_is_an_excel_of_the_lower_units(
    workflows, oracle, api, app, make_user, in_window
):
    _open(api)
    make_user("reviewer", "410100", username="zz_reviewer")
    web = app.test_client()
    login(web, "zz_reviewer")
    response = web.get("/home/board.xlsx?org=410100")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "郑州市 · 2026年第三季度 · 下级单位报送情况"
    assert rows[1][:3] == ["单位代码", "单位", "状态"]
    assert ["410102", "中原区", "填报中", "否"] == rows[2][:4]
    assert {r[0] for r in rows[2:]} == {c.code for c in get_org("410100").children}
    assert (
        db.session.execute(
            select(AuditRecord).where(AuditRecord.action == "permission.denied")
        ).first()
        is None
    )


def test_each_block_shows_only_what_the_user_may_see(workflows, oracle, api, app, make_user):
    _open(api)
    county = app.test_client()
    make_user("clerk", "410102", username="zy_clerk")
    login(county, "zy_clerk")
    assert county.get("/home/board.xlsx?org=410100").status_code == 403  # its city
    assert county.get("/home/board.xlsx?org=410103").status_code == 403  # a sibling
    token = csrf_token(county, "/")
    assert county.post("/home/remind-late", data={"csrf_token": token}).status_code == 403

    city = app.test_client()
    make_user("reviewer", "410100", username="zz_reviewer")
    login(city, "zz_reviewer")
    assert city.get("/home/board.xlsx?org=410300").status_code == 403  # another city
    assert city.get("/home/board.xlsx?org=410000").status_code == 403  # the province
    page = city.get("/").get_data(as_text=True)
    assert "洛阳市" not in page  # no other city's unit on the board or in the charts

    admin = app.test_client()
    make_user("admin", "410000", username="root_admin")
    login(admin, "root_admin")
    page = admin.get("/").get_data(as_text=True)
    board = _block(page, "home-board")
    assert "郑州市" in board and "remind-late" not in board
    assert not re.search(r'href="/reports/\d', board)  # the reports are the units' business
    assert 'id="home-figures"' not in page  # statistics are the staff's
    full = admin.get(f"/reports/board?period={PERIOD}")  # a 403 before (issue 18)
    assert full.status_code == 200
    text = full.get_data(as_text=True)
    assert "郑州市" in text and "/remind" not in text and not re.search(r'href="/reports/\d', text)
    token = csrf_token(admin, "/")
    assert admin.post("/home/remind-late", data={"csrf_token": token}).status_code == 403

    auditor = app.test_client()
    make_user("auditor", "410000", username="auditor")
    login(auditor, "auditor")
    page = auditor.get("/").get_data(as_text=True)
    assert 'id="home-board"' not in page and 'id="home-figures"' not in page
    assert 'href="/audit/"' in page  # the menu cards instead


def _accepted(code: str, period: str, table: dict[str, Any]) -> Report:
    report = Report(
        org_id=get_org(code).id,
        period=period,
        kind="quarterly",
        due_at=clock.now(),
        remind_at=clock.now() - timedelta(days=5),
        locked=True,
        accepted_snapshot={"period": period, "tables": {"table5": table}},
    )
    db.session.add(report)
    return report


def test_figures_past_quarters_from_accepted_snapshots_current_live(
    oracle, app, make_user, in_window
):
    province = get_org("410000")
    signed = {}
    for period, rate in (("2026Q1", "91.25"), ("2026Q2", "88.88")):
        table = summary_table(province, parse_period(period))
        table["total"]["filing_rate"]["count_pct"] = rate  # what the leader signed
        for row in table["rows"]:
            row["registered"]["count"] = 7 if row["org_code"] == "410100" else 3
        signed[period] = table
        _accepted("410000", period, table)
    _accepted("410100", "2025Q4", summary_table(get_org("410100"), parse_period("2025Q4")))
    db.session.commit()
    make_user("leader", "410000", username="sheng_leader")
    web = app.test_client()
    login(web, "sheng_leader")
    page = web.get("/").get_data(as_text=True)
    assert "本期为实时数据，未经审核" in page
    chart = _chart(page)
    quarters = {q["code"]: q for q in chart["quarters"]}
    assert list(quarters) == [
        "2024Q4",
        "2025Q1",
        "2025Q2",
        "2025Q3",
        "2025Q4",
        "2026Q1",
        "2026Q2",
        "2026Q3",
    ]
    assert quarters["2026Q1"]["source"] == "snapshot"
    assert quarters["2026Q1"]["values"]["filing_rate"] == 91.25
    assert quarters["2026Q2"]["values"]["filing_rate"] == 88.88
    # another unit's snapshot is not the province's figure
    assert quarters["2025Q4"]["source"] == "none"
    assert quarters["2025Q4"]["values"]["registered_n"] is None
    live = quarters["2026Q3"]
    total = summary_table(province, parse_period("2026Q3"))["total"]
    assert live["source"] == "live"
    assert live["values"]["registered_n"] == total["registered"]["count"]
    assert live["values"]["completed_a"] == float(total["completed"]["area_10k_m2"])
    assert live["url"] == "/stats/table5?org=410000&period=2026Q3"
    # the lower units compared on the latest accepted quarter, each linked to its table
    assert chart["compared"]["code"] == "2026Q2"
    units = {u["code"]: u for u in chart["units"]}
    assert "410000" not in units and units["410100"]["values"]["registered_n"] == 7
    assert units["410181"]["url"] == "/stats/table5?org=410181&period=2026Q2"
    assert 'id="units-chart"' in page and "（已接收报告）" in page


def test_key_figures_are_the_summary_tables_figures(oracle):
    for code in ("410000", "410100", "410102", "410181"):
        for period in ("2026Q3", "2026Q2", "2026"):
            org, p = get_org(code), parse_period(period)
            full = summary_table(org, p)
            lean = key_figures(org, p)
            for mine, theirs in zip(
                [*lean["rows"], lean["total"]], [*full["rows"], full["total"]], strict=True
            ):
                assert mine["org_code"] == theirs["org_code"]
                for group in KEY_GROUPS:
                    assert mine[group] == theirs[group], (code, period, group)
                assert mine["filing_rate"] == theirs["filing_rate"]
                assert mine["satisfaction_pct"] == theirs["satisfaction_pct"]
                assert mine["accidents"] == theirs["accidents"]


def test_login_returns_to_the_page_without_a_stray_question_mark(client):
    def next_of(path: str) -> str:
        response = client.get(path)
        assert response.status_code == 302
        return parse_qs(urlsplit(response.location).query)["next"][0]

    assert next_of("/") == "/"  # was "/?"
    assert next_of("/reports/?period=2026Q3") == "/reports/?period=2026Q3"


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon" and response.data[:4] == b"\0\0\1\0"


def test_a_snapshot_accepted_anew_is_read_anew(oracle, in_window):
    """The signed figures are cached by (report, acceptance): a correction round accepted later
    shows its own figures."""
    from webapp.main.home import accepted_summaries

    table = summary_table(get_org("410100"), parse_period("2026Q2"))
    table["total"]["filing_rate"]["count_pct"] = "80.00"
    report = _accepted("410100", "2026Q2", table)
    report.accepted_at = clock.now()
    db.session.commit()
    first = accepted_summaries(get_org("410100"), ["2026Q2"])
    assert first["2026Q2"]["total"]["filing_rate"]["count_pct"] == "80.00"
    corrected = json.loads(json.dumps(table))
    corrected["total"]["filing_rate"]["count_pct"] = "82.50"
    report.accepted_snapshot = {"period": "2026Q2", "tables": {"table5": corrected}}
    report.round, report.accepted_at = 2, clock.now() + timedelta(days=3)
    db.session.commit()
    again = accepted_summaries(get_org("410100"), ["2026Q2"])
    assert again["2026Q2"]["total"]["filing_rate"]["count_pct"] == "82.50"


def test_a_reminder_for_a_board_that_moved_on_reminds_nobody(
    workflows, oracle, api, app, make_user
):
    clock.set_now(AFTER_DUE)
    _open(api)
    make_user("leader", "410100", username="zz_leader")
    web = app.test_client()
    login(web, "zz_leader")
    token = csrf_token(web, "/")
    response = web.post("/home/remind-late", data={"csrf_token": token, "period": "2026Q2"})
    assert response.status_code == 302
    assert "看板已切换到新的报告期" in web.get("/").get_data(as_text=True)
    assert (
        db.session.execute(
            select(AuditRecord).where(AuditRecord.action == "report.remind_unit")
        ).first()
        is None
    )
