"""The two-tier demo process in the browser: county clerk → county reviewer → city reviewer."""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD
from tests.engine.conftest import bpmn_bytes
from webapp.core.operations import get_org
from webapp.engine import deploy_bpmn, start_instance
from webapp.extensions import db

pytestmark = pytest.mark.browser


def _do_task(
    page, username: str, task_name: str, button: str, comment: str = "", title: str | None = None
) -> None:
    browser_login(page, username, TEST_PASSWORD)
    page.click("#main-nav >> text=待办")
    page.click(f"#task-table >> text={task_name}")
    if title is not None:
        page.fill("#f_title", title)
    if comment:
        page.fill("#comment", comment)
    page.click(f"#complete-form button:has-text('{button}')")
    page.wait_for_selector("text=已办理")
    page.click("text=退出")


def test_two_tier_demo_in_the_browser(page, make_user):
    for role, code in (("clerk", "410102"), ("reviewer", "410102"), ("reviewer", "410100")):
        make_user(role, code)
    deploy_bpmn(None, None, bpmn_bytes("demo_two_tier"))
    instance = start_instance(None, "demo_two_tier", get_org("410102"), "demo:410102:2026Q1")
    db.session.commit()

    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.click("#main-nav >> text=待办")
    page.click("#task-table >> text=填报")
    page.click("#complete-form button:has-text('提交审核')")
    page.wait_for_selector("text=标题为必填项")  # the server's refusal, awaited
    page.fill("#f_title", "一季度质量报告")
    page.click("#complete-form button:has-text('提交审核')")
    page.wait_for_selector("text=已办理")
    page.click("text=退出")

    _do_task(page, "reviewer_410102", "县级审核", "退回", comment="请补充金额")
    _do_task(page, "clerk_410102", "填报", "提交审核", title="一季度质量报告（修订）")
    _do_task(page, "reviewer_410102", "县级审核", "同意并上报", comment="同意")

    browser_login(page, "reviewer_410100", TEST_PASSWORD)
    page.click("#main-nav >> text=待办")
    page.click("#task-table >> text=两级审批演示")
    page.wait_for_selector("#diagram[data-ready=true]")
    assert page.locator("#diagram .hl-current").count() >= 1
    assert page.locator("#diagram .hl-completed").count() >= 2
    assert "请补充金额" in page.inner_text("#history-table")
    page.goto("/tasks/?view=todo")
    page.click("#task-table >> text=市级接收")
    page.fill("#comment", "接收")
    page.click("#complete-form button:has-text('接收')")
    page.wait_for_selector("text=已办理")
    page.goto(f"/tasks/instances/{instance.id}")
    assert page.inner_text("#business-status") == "已接收"
    assert page.inner_text("#instance-state") == "已完成"
