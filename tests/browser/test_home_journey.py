"""The home page per role in Chromium (issue 18): a province leader sees, without clicking, the
late units of the quarter and the key figures over two years drawn by ECharts; a county clerk
sees their tasks with the period and deadline.  Screenshots go to docs/screenshots/ with
``HQR_SCREENSHOTS=1`` (``make screenshots``)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from tests.browser.conftest import browser_login, screenshot
from tests.conftest import ROOT, TEST_PASSWORD
from webapp.core import clock
from webapp.core.models import Org
from webapp.core.operations import get_org
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.ledger.models import Project
from webapp.reports.models import Report
from webapp.reports.operations import open_period
from webapp.stats.periods import parse_period
from webapp.stats.tables import summary_table

pytestmark = pytest.mark.browser
#: After 2026Q3's due time; 2026Q4 not yet opened: the board shows 2026Q3's late units.
NOW = datetime(2026, 10, 8, 10, 0, tzinfo=clock.LOCAL_TZ)


def _projects(n: int = 1500, seed: int = 18) -> None:
    """Two years of projects over every unit, so that the charts have something to show."""
    rnd = random.Random(seed)
    orgs = list(db.session.execute(select(Org.id)).scalars())
    rows = []
    for i in range(n):
        registered = date(2024, 10, 1) + timedelta(days=rnd.randrange(700))
        accepted = registered + timedelta(days=rnd.randrange(30, 300))
        done = rnd.random() < 0.7 and accepted < date(2026, 10, 8)
        filed = accepted + timedelta(days=rnd.randrange(0, 60)) if done else None
        rows.append(
            {
                "org_id": rnd.choice(orgs),
                "registration_no": f"HOME{i:05d}",
                "name": f"首页演示工程{i}",
                "structure_type": "框架",
                "area_m2": Decimal(rnd.randrange(2_000, 60_000)),
                "cost_10k_yuan": Decimal(rnd.randrange(500, 20_000)),
                "registered_on": registered,
                "accepted_on": accepted if done else None,
                "acceptance_result": "合格" if done else None,
                "filed_on": filed if filed and filed < date(2026, 10, 8) else None,
                "filing_result": "准予备案" if filed and filed < date(2026, 10, 8) else None,
                "user_rating": rnd.choice(["满意", "满意", "满意", "不满意"]),
            }
        )
    db.session.execute(insert(Project), rows)


def _world() -> None:
    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    _projects()
    db.session.commit()
    with clock.moved_to(datetime(2026, 9, 20, 10, 0, tzinfo=clock.LOCAL_TZ)):
        open_period(None, "2026Q3")
        db.session.commit()
    # The province's leader signed 2025Q1–2026Q2 (accepted snapshots); 2026Q3 is still under
    # way (a gap on the chart) and 2026Q4 is live.
    for code in ("2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"):
        period = parse_period(code)
        due = datetime.combine(period.end, datetime.min.time(), tzinfo=clock.UTC)
        db.session.add(
            Report(
                org_id=get_org("410000").id,
                period=code,
                kind="quarterly",
                due_at=due,
                remind_at=due - timedelta(days=5),
                accepted_at=due,
                locked=True,
                accepted_snapshot={
                    "period": code,
                    "tables": {"table5": summary_table(get_org("410000"), period)},
                },
            )
        )
    db.session.commit()


def _errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_leader_and_clerk_homes(page, make_user):
    _world()
    make_user("leader", "410000", full_name="省厅主要领导")
    make_user("clerk", "410102", full_name="中原区填表人")
    clock.set_now(NOW)
    errors = _errors(page)
    page.set_viewport_size({"width": 1440, "height": 900})

    browser_login(page, "leader_410000", TEST_PASSWORD)
    page.wait_for_selector("#home-board")
    late = page.inner_text("#home-late")
    assert "本期逾期" in late and "郑州市" in late
    assert "2026年第三季度" in page.inner_text("#home-board h2")
    assert page.is_visible("#board-export") and page.is_visible("#home-leader")
    page.wait_for_selector("#trend-chart[data-rendered='1'] canvas")
    page.wait_for_selector("#units-chart[data-rendered='1'] canvas")
    assert "本期为实时数据，未经审核" in page.inner_text("#home-figures")
    page.click("#trend-groups [data-group=counts]")
    assert page.locator("#trend-groups .active").inner_text() == "项数"
    page.click("#trend-groups [data-group=rates]")
    page.wait_for_timeout(300)  # the chart's animation
    screenshot(page, "home_leader.png")
    page.click("text=退出")
    page.wait_for_selector("text=您已安全退出")

    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.wait_for_selector("#home-clerk")
    tasks = page.inner_text("#home-clerk")
    assert "填报数据" in tasks and "2026年第三季度" in tasks and "已逾期" in tasks
    assert page.locator("#home-board").count() == 0
    page.wait_for_selector("#trend-chart[data-rendered='1'] canvas")
    page.wait_for_timeout(300)
    screenshot(page, "home_clerk.png")
    # the task opens where it is worked on: the report's workspace (issue 18, one tap)
    page.click("#clerk-tasks a")
    page.wait_for_url("**/reports/*")
    assert "2026年第三季度" in page.inner_text("main")
    assert not errors, errors
