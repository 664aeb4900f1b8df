"""What a user sees of a refused page form, in Chromium: one form each of the 考核 pages (开启考核),
the period opening (开启报告期), 转办 and an autosaved text sent without script.

The refusal display (``refused_on``, ``_form_errors.html``) was asserted on the test client's
HTML only.  Here: the summary at the top (``#form-errors``) is visible, has the focus and is in
the viewport, the reason stands under the field, the field says ``aria-invalid``, and what was
typed is still in the form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update

from tests.browser.conftest import browser_login
from tests.conftest import ROOT, TEST_PASSWORD
from tests.engine.conftest import bpmn_bytes
from webapp.core.models import User
from webapp.core.operations import get_org
from webapp.engine import deploy_bpmn, start_instance
from webapp.engine.queries import current_tasks
from webapp.extensions import db
from webapp.reports.operations import find_report, open_period

pytestmark = pytest.mark.browser

#: The summary has the focus and lies within the window (scrolled to, wherever the form is).
#: False until the answer's page is there: the page sending the form has no summary (a predicate
#: that threw there failed the journey when the server was slow to answer, 2026-12-07).
SUMMARY_SEEN = """() => {
  const box = document.getElementById("form-errors");
  if (!box) return false;
  const r = box.getBoundingClientRect();
  return document.activeElement === box && r.top >= 0 && r.bottom <= window.innerHeight;
}"""


def seen_refused(page, field: str, reason: str) -> None:
    """The refusal as the user sees it: ``field`` (a CSS selector) marked and explained."""
    summary = page.locator("#form-errors")
    assert summary.is_visible() and reason in summary.inner_text()
    assert page.locator(field).get_attribute("aria-invalid") == "true"
    assert "is-invalid" in (page.locator(field).get_attribute("class") or "")
    under = page.locator(f"{field} ~ .invalid-feedback").first
    assert under.is_visible() and under.inner_text().strip(), field


@pytest.fixture
def world(make_user) -> Iterator[dict[str, int]]:
    """The quarter 2026Q3 opened (empty ledger), the two-tier demo started for 中原区, the
    administrator, two clerks of 中原区 (colleagues for 转办) and 郑州市's clerk."""
    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    open_period(None, "2026Q3")
    deploy_bpmn(None, None, bpmn_bytes("demo_two_tier"))
    users = {
        name or f"{role}_{code}": make_user(role, code, username=name).id
        for role, code, name in (
            ("admin", "410000", None),
            ("clerk", "410102", None),
            ("clerk", "410102", "clerk2_410102"),
            ("clerk", "410102", "clerk3_410102"),
            ("clerk", "410100", None),
        )
    }
    demo = start_instance(None, "demo_two_tier", get_org("410102"), "demo:410102:2026Q3")
    db.session.commit()
    [task] = current_tasks(demo)
    yield {
        "city_report": find_report(get_org("410100"), "2026Q3", "quarterly").id,
        "task": task.id,
        "colleague": users["clerk2_410102"],
    }


def test_a_refused_form_shows_why_where_the_user_looks(page, browser, live_server, world):
    # 开启考核 (the 考核 pages): the year left empty, the other fields as typed.
    browser_login(page, "admin_410000", TEST_PASSWORD)
    page.wait_for_selector("#main-nav")
    page.goto("/assessment/")
    form = page.locator("#open-campaign")
    form.locator("input[name=year]").fill("")
    form.locator("input[name=self_due]").fill("2026-12-20")
    form.locator("button[type=submit]").click()
    page.wait_for_function(SUMMARY_SEEN)  # autofocus is applied once the page is rendered
    seen_refused(page, "#open-campaign input[name=year]", "请填写考核年度")
    assert form.locator("input[name=self_due]").input_value() == "2026-12-20"

    # 开启报告期: a period that does not exist.
    page.goto("/reports/")
    page.fill("#open-period-form input[name=period]", "2026Q5")
    page.click("#open-period-form button[type=submit]")
    page.wait_for_function(SUMMARY_SEEN)  # autofocus is applied once the page is rendered
    seen_refused(page, "#open-period-form input[name=period]", "格式不正确")
    assert page.input_value("#open-period-form input[name=period]") == "2026Q5"
    page.click("text=退出")

    # 转办: the colleague chosen was disabled while the page was open.
    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.wait_for_selector("#main-nav")
    page.goto(f"/tasks/{world['task']}")
    page.select_option("#transfer-user", str(world["colleague"]))
    page.fill("#transfer-form input[name=comment]", "本人出差，请代为填报。")
    page.wait_for_load_state("networkidle")
    db.session.rollback()  # nothing of this test's session holds the database (SQLite)
    db.session.execute(update(User).where(User.id == world["colleague"]).values(is_enabled=False))
    db.session.commit()
    page.click("#transfer-form button[type=submit]")  # its confirmation is accepted
    page.wait_for_function(SUMMARY_SEEN)  # autofocus is applied once the page is rendered
    seen_refused(page, "#transfer-user", "只能转办给本单位具有相同角色的其他同事")
    assert page.input_value("#transfer-form input[name=comment]") == "本人出差，请代为填报。"

    # An autosaved text sent as a plain form, in a browser without script: 郑州市's 未报单位说明
    # shorter than the minimum once its blanks are left aside (the box's minlength counts them).
    context = browser.new_context(
        base_url=live_server, java_script_enabled=False, viewport={"width": 1366, "height": 768}
    )
    try:
        bare = context.new_page()
        browser_login(bare, "clerk_410100", TEST_PASSWORD)
        bare.wait_for_selector("#main-nav")
        bare.goto(f"/reports/{world['city_report']}")
        bare.fill("#missing_explanation", "  未报  ")
        bare.click("#explanations-form button[type=submit]")
        bare.wait_for_selector("#form-errors")
        bare.wait_for_load_state("load")
        summary = bare.locator("#explanations-form #form-errors")
        assert summary.is_visible() and "至少 4 个字" in summary.inner_text()
        focused = bare.locator("#form-errors").evaluate(
            "box => document.activeElement === box && box.getBoundingClientRect().top >= 0"
        )
        assert focused, "the summary has the focus, scrolled into view, without script too"
        seen_refused(bare, "#missing_explanation", "至少 4 个字")
        assert bare.input_value("#missing_explanation") == "  未报  "
    finally:
        context.close()
