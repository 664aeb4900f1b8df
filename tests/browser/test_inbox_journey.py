"""The inbox in the browser (issue 18): a county's report returned and resubmitted, from the
clerk's and the reviewer's inbox — titles in words, no 待签收 for a task of one person, the
return reason on the first screen, the next step after 数据已核对, the reviewer's summary, the
person picker of 抄送, a confirmation before 同意并上报."""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import ROOT, TEST_PASSWORD
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.reports.operations import open_period

pytestmark = pytest.mark.browser

TITLE = "填报数据 · 2026年第三季度 · 中原区"


def _logout(page) -> None:
    page.click("text=退出")
    page.wait_for_selector("text=您已安全退出")


def _check_data_and_write(page, text: str) -> None:
    """On the report page: explain the warnings, 数据已核对 (lands on the narrative tab), write
    the narrative, 提交审核 (back to the inbox)."""
    for area in page.locator("#checks-table textarea").all():
        area.fill("已逐项核实，数据属实。")
    page.click("#explanations-form button[type=submit]")
    page.wait_for_selector("text=说明已保存")
    page.click("button[value=next]")
    page.wait_for_selector("text=下一步：撰写分析报告")
    assert page.url.endswith("#tab-narrative")
    page.wait_for_selector("#tab-narrative.active.show")  # the tab is open, not 数据与校验
    for area in page.locator("textarea.narrative-section").all():
        area.fill(text)
    page.locator("textarea.narrative-section").last.blur()
    page.wait_for_selector("#autosave-status:has-text('已自动保存')")
    page.click("button[value=submit]")
    page.wait_for_selector("text=返回待办")
    assert page.url.endswith("/tasks/")


def test_returned_report_from_the_inbox(page, dialogs, make_user):
    from tests.stats.oracle import load_oracle

    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    load_oracle()
    db.session.commit()
    open_period(None, "2026Q3")
    db.session.commit()
    make_user("clerk", "410102", full_name="张填表")
    make_user("reviewer", "410102", full_name="李审核")
    make_user("reviewer", "410100", full_name="王市审")

    # The clerk's inbox: the task in words, theirs alone (no 待签收), no business key.
    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.click("#main-nav >> text=待办")
    row = page.inner_text("#task-table")
    assert TITLE in row and "待办理" in row and "待签收" not in row and "report:" not in row
    page.click(f"#task-table >> text={TITLE}")
    page.wait_for_selector("#checks-table")  # the report's page, where the work is done
    _check_data_and_write(page, "本季度情况良好，详见附表。")
    _logout(page)

    # The county's reviewer returns it with a reason (a return asks no confirmation).
    browser_login(page, "reviewer_410102", TEST_PASSWORD)
    page.click("#main-nav >> text=待办")
    page.click("#task-table >> text=本级审核 · 2026年第三季度 · 中原区")
    page.fill(".task-form input[name=comment]", "第三部分缺少事故分析，请补充。")
    page.click(".task-form button[value=return]")
    page.wait_for_selector("text=已办理")
    assert dialogs.asked == []
    _logout(page)

    # The returned clerk sees why on the first screen: the inbox row and the report page.
    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.click("#main-nav >> text=待办")
    assert "已退回：第三部分缺少事故分析，请补充。" in page.inner_text("#task-table")
    page.click(f"#task-table >> text={TITLE}")
    banner = page.inner_text("#return-banner")
    assert "第三部分缺少事故分析" in banner and "李审核" in banner and "本级审核" in banner
    _check_data_and_write(page, "本季度情况良好，已补充事故分析。")
    _logout(page)

    # The reviewer's task page: the report's summary, the picker, then 同意并上报.
    browser_login(page, "reviewer_410102", TEST_PASSWORD)
    page.click("#main-nav >> text=待办")
    page.click("#task-table >> text=本级审核 · 2026年第三季度 · 中原区")
    page.click(".task-form >> text=任务详情")
    page.wait_for_selector("#report-summary #key-figures")
    assert "备案率" in page.inner_text("#report-summary #key-figures")
    page.fill("#cc-user-search", "郑州")
    visible = page.locator("#cc-user option:not([hidden])")
    assert visible.count() == 1 and "王市审 · 郑州市" in visible.first.inner_text()
    page.click("#cc-form button[type=submit]")
    page.wait_for_selector("text=已抄送给 王市审")

    page.fill("#comment", "同意。")
    dialogs.dismiss()
    page.click("#complete-form button[value=approve]")
    assert dialogs.asked == ["确定“同意并上报”吗？办理后不能撤回。"]
    assert page.locator("#complete-form button[value=approve]").is_enabled()  # nothing sent
    page.click("#complete-form button[value=approve]")  # accepted this time
    page.wait_for_selector("text=已办理")
    assert len(dialogs.asked) == 2
    assert "返回待办" in page.inner_text("main")
