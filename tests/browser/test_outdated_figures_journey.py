"""A draft's figures the tables no longer give, in the browser: the problem's link opens the
分析报告 tab at the section's text box (an anchor inside a tab, static/js/app.js), and
重新生成该部分草稿 asks before replacing the clerk's text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD
from webapp.core.operations import get_org
from webapp.drafts import operations as drafts
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.ledger.models import Project
from webapp.reports.drafting import NARRATIVE
from webapp.reports.operations import find_report, open_period, write_first_draft

pytestmark = pytest.mark.browser


def test_the_problem_opens_the_section_and_regenerating_asks_first(page, make_user):
    from tests.conftest import ROOT
    from tests.stats.oracle import load_oracle

    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    load_oracle()
    clerk = make_user("clerk", "410102")
    db.session.commit()
    open_period(None, "2026Q3")
    db.session.commit()
    report = find_report(get_org("410102"), "2026Q3", "quarterly")
    write_first_draft(clerk, report, "s02")
    db.session.commit()
    kept = report.narrative["s02"].split("\n", 1)[1]  # the clerk deleted the mark only
    drafts.save(NARRATIVE, report, clerk, {"s02": kept}, None)
    db.session.add(
        Project(
            org=get_org("410102"), registration_no="ZY-LATE", name="工程ZY-LATE",
            structure_type="框架", area_m2=Decimal("12000"), cost_10k_yuan=Decimal("3600"),
            registered_on=date(2026, 9, 10),
        )
    )  # fmt: skip
    db.session.commit()

    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.goto(f"/reports/{report.id}")
    problem = page.locator("#report-problems li", has_text="已过时的数字")
    assert "本季度工程质量监督管理总体情况" in problem.inner_text()
    problem.locator("a.problem-link").click()
    page.wait_for_selector("#tab-narrative.active.show")  # the tab holding the section
    assert page.evaluate("document.activeElement.id") == "s02"
    assert page.locator("#outdated-s02").is_visible()
    page.locator("#outdated-s02 button").click()
    page.wait_for_selector("#confirm-overwrite")  # both texts, nothing replaced yet
    assert kept[:20] in page.inner_text("#current-text")
