"""A county's accident report up to the province's Ministry record, in the browser."""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import ROOT, TEST_PASSWORD
from webapp.engine import deploy_bpmn
from webapp.extensions import db

pytestmark = pytest.mark.browser


def _logout(page) -> None:
    page.click("text=退出")
    page.wait_for_selector("text=您已安全退出")


def _acknowledge(page, task_name: str) -> None:
    page.goto("/tasks/")
    page.click(f"a.task-title:has-text('{task_name}')")
    assert "2小时内确认并上报" in page.inner_text("#accident-task-hint")
    page.fill("#f_government_report", "电话报告本级人民政府")
    page.fill("#f_police_notice", "通报公安、监察机关")
    page.click("button[value=forward]")
    page.wait_for_selector("text=已办理")


def test_county_reports_and_the_province_records_the_ministry_report(page, make_user):
    deploy_bpmn(None, None, (ROOT / "workflows" / "accident_report.bpmn").read_bytes())
    db.session.commit()
    make_user("clerk", "410102")
    make_user("reviewer", "410100")
    make_user("reviewer", "410000")

    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.click("#main-nav >> text=台账")
    page.goto("/accidents/")
    page.click("#new-accident")
    page.fill("#f-occurred_at", "2026-05-01T14:10")
    page.fill("#f-received_at", "2026-05-01T14:40")
    page.fill("#f-place", "中原区建设路18号")
    page.fill("#f-project_name", "浏览器事故工程")
    page.fill("#f-units", "某建设集团\n某监理公司")
    page.fill("#f-deaths", "3")
    page.fill("#f-loss_10k_yuan", "300")
    page.fill("#f-contact", "王工")
    page.fill("#f-phone", "0371-1")
    page.fill("#f-occurred_at", "2099-05-01T14:10")
    page.click("#submit-accident")
    # the server's refusal: awaited (the sending page is still there until the answer arrives)
    page.wait_for_selector("text=不能晚于当前时间")
    page.fill("#f-occurred_at", "2026-05-01T14:10")
    page.click("#submit-accident")
    page.wait_for_selector("#accident-level")
    assert page.inner_text("#accident-level") == "较大"
    _logout(page)

    browser_login(page, "reviewer_410100", TEST_PASSWORD)
    _acknowledge(page, "市级接报并上报")
    _logout(page)

    browser_login(page, "reviewer_410000", TEST_PASSWORD)
    _acknowledge(page, "省级接报")
    page.goto("/tasks/")
    page.click("a.task-title:has-text('记录报住房和城乡建设部')")
    page.fill("#f_ministry_reported_at", "2026-05-01 16:40")
    page.select_option("#f_ministry_channel", "网络直报")
    page.fill("#f_ministry_ref", "豫建质〔2026〕8号")
    page.click("button[value=record]")
    page.wait_for_selector("text=已办理")
    page.goto("/accidents/?under=410000")
    card = page.locator(".accident").first
    assert "浏览器事故工程" in card.inner_text() and "已上报" in card.inner_text()
    assert card.locator("tr[data-org='410000']").count() == 1
    card.locator("a").first.click()
    assert "网络直报" in page.inner_text("#versions")
