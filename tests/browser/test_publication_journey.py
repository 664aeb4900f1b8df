"""A city's half-year report goes from draft to the public portal after its leader's approval,
is visible without login, and cannot be withdrawn before a month has passed (issue 6)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import ROOT, TEST_PASSWORD
from webapp.core import clock
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.publication.operations import open_period

pytestmark = pytest.mark.browser


def _logout(page) -> None:
    page.click("text=退出")
    page.wait_for_selector("text=您已安全退出")


def _approve(page, username: str, task_name: str, comment: str) -> None:
    browser_login(page, username, TEST_PASSWORD)
    page.goto("/publication/?period=2026H2")
    page.click("#open-my-publication")
    assert task_name in page.inner_text(".task-form")
    page.fill(".task-form input[name=comment]", comment)
    page.click(".task-form button[value=approve]")
    page.wait_for_selector(f"text=已办理：{task_name}")
    _logout(page)


def test_city_report_from_draft_to_the_public_portal(page, browser, live_server, make_user):
    from tests.publication.conftest import accept_quarter, at, load_records
    from tests.stats.oracle import load_oracle

    clock.set_now(at("2027-01-05"))
    for name in ("publication.bpmn", "publication_schedule.bpmn"):
        deploy_bpmn(None, None, (ROOT / "workflows" / name).read_bytes())
    load_oracle()
    load_records()
    for period in ("2026Q1", "2026Q2", "2026Q3", "2026Q4"):
        accept_quarter("410100", period)
    open_period(None, "2026H2")
    db.session.commit()
    for role in ("clerk", "reviewer", "leader"):
        make_user(role, "410100")

    # The clerk completes the generated draft and submits it.
    browser_login(page, "clerk_410100", TEST_PASSWORD)
    page.click("#main-nav >> text=公开")
    page.goto("/publication/?period=2026H2")
    page.click("#open-my-publication")
    assert "57.50" in page.inner_text("#quality-index-value")
    assert "【请填写】" in page.input_value("#sec-measures")
    page.fill("#sec-problems", "部分竣工工程质量备案不及时，个别工程发生质量事故。")
    page.fill("#sec-measures", "开展竣工验收备案专项检查，严肃查处违法违规行为。")
    page.click("#sections-form button[type=submit]")
    page.wait_for_selector("text=草稿已保存")
    page.click(".task-form button[value=submit]")
    page.wait_for_selector("text=已办理：拟稿公开报告")
    _logout(page)

    _approve(page, "reviewer_410100", "本级审核", "数据核对无误，同意。")
    # Not public yet: the leader has not approved.
    anonymous = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    anonymous.goto("/public/")
    assert "郑州市2026年下半年" not in anonymous.inner_text("main")
    _approve(page, "leader_410100", "主要领导审批公开", "同意公开。")

    # Visible without login, with its full text, figures, index and downloads.
    anonymous.goto("/public/")
    anonymous.click("text=郑州市2026年下半年建设工程质量总体状况报告")
    text = anonymous.inner_text("#report-text")
    assert "开展竣工验收备案专项检查" in text
    assert anonymous.inner_text("#quality-index-value") == "57.50"
    assert "发布日期 2027-01-05" in anonymous.inner_text("main")
    with anonymous.expect_download() as download:
        anonymous.click("#public-docx")
    assert download.value.suggested_filename.endswith(".docx")
    anonymous.click("#portal-nav >> text=质量指数")
    anonymous.wait_for_selector("#index-chart[data-rendered='1']")
    assert "57.50" in anonymous.inner_text("#index-series-table")
    anonymous.context.close()

    # The clerk cannot withdraw it before a month has passed.
    browser_login(page, "clerk_410100", TEST_PASSWORD)
    page.goto("/publication/?period=2026H2")
    page.click("#open-my-publication")
    assert "已公开" in page.inner_text("h1")
    assert "2027-02-06 起方可申请撤回" in page.inner_text("#withdraw-window")
    assert page.locator("#withdraw-form").count() == 0
