"""Issue 18 in the browser: the clerk sees the unread count in the navbar, reads the notice
(period and unit named), opens the report and lets the system write a first draft (初稿) of
section (2), then is asked before a draft replaces text of her own."""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.reports.operations import open_period
from webapp.reports.sections import DRAFT_MARK

pytestmark = pytest.mark.browser


def test_clerk_reads_notices_and_generates_a_first_draft(page, make_user):
    from tests.conftest import ROOT
    from tests.stats.oracle import load_oracle

    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    load_oracle()
    make_user("clerk", "410102")
    db.session.commit()
    open_period(None, "2026Q3")
    db.session.commit()

    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.goto("/reports/?period=2026Q3")
    assert page.inner_text("#unread-count") == "1"
    page.click("#notices-link")
    row = page.locator("#notifications tbody tr").first
    assert "新待办" in row.inner_text() and "2026年第三季度 · 中原区" in row.inner_text()
    row.locator("button[name=open]").click()  # marks it read and opens the task
    page.wait_for_selector("text=填报数据")
    assert page.locator("#unread-count").count() == 0

    page.goto("/reports/?period=2026Q3")
    page.click("#open-my-report")
    page.click("#narrative-tab")
    page.click("#first-draft-button-s02")
    page.wait_for_selector("text=已生成初稿")
    page.click("#narrative-tab")
    text = page.input_value("#s02")
    assert text.startswith(DRAFT_MARK) and "本季度，中原区共监督工程" in text

    # Text of her own: the button asks first, showing both texts.
    page.fill("#s06", "本季度不良行为情况由本人撰写。")
    page.locator("#s06").blur()
    page.wait_for_selector("#autosave-status:has-text('已自动保存')")
    page.click("#first-draft-button-s06")
    page.wait_for_selector("#confirm-overwrite")
    assert "本季度不良行为情况由本人撰写。" in page.inner_text("#current-text")
    page.click("text=取消，保留现有文字")
    page.click("#narrative-tab")
    assert page.input_value("#s06") == "本季度不良行为情况由本人撰写。"
