"""A unit's self-assessment from the inbox: the clerk opens 填报自评, fills the score sheet,
comes back to the task and submits; the unit's leader approves from their inbox."""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import ROOT, TEST_PASSWORD
from webapp.assessment import flow
from webapp.assessment.models import UnitAssessment
from webapp.assessment.operations import install_bundled_sheets
from webapp.engine import deploy_bpmn
from webapp.extensions import db

pytestmark = pytest.mark.browser


def test_clerk_fills_and_submits_from_the_inbox_then_the_leader_approves(
    browser, live_server, page, make_user
):
    install_bundled_sheets(None)
    for name in ("year_end_self_assessment", "year_end_materials", "year_end_assessment"):
        deploy_bpmn(None, name, (ROOT / "workflows" / f"{name}.bpmn").read_bytes())
    admin = make_user("admin", "410000")
    make_user("clerk", "410100")
    make_user("leader", "410100")
    campaign = flow.start_campaign(admin, "fujian2", 2026)
    unit_id = next(u.id for u in campaign.units if u.org.code == "410100")
    db.session.commit()

    browser_login(page, "clerk_410100", TEST_PASSWORD)
    page.wait_for_selector("#main-nav")
    page.goto("/tasks/")
    page.click("a.task-title:has-text('填报自评')")
    page.wait_for_selector("#assessment-task")
    assert "郑州市" in page.inner_text("#task-unit")
    page.click("#open-sheet")  # the score sheet page of the unit
    page.wait_for_selector("#self-form")
    assert "填报自评" in page.inner_text("#unit-step")
    page.check("#j-2\\.4-a")
    page.fill("textarea[name=summary]", "本年度开展质量管理年活动，全面完成各项任务。")
    page.click("text=保存自评")
    page.wait_for_selector("text=自评已保存")
    page.click("#unit-step-link")  # back to the inbox task
    page.wait_for_selector("#assessment-task")
    assert "已填写" in page.inner_text("#task-unit")
    page.click("button[value=submit]")
    page.wait_for_selector("text=已办理：填报自评")
    db.session.rollback()  # end the test's read transaction: see what the server committed
    assert db.session.get(UnitAssessment, unit_id).state == "self_review"

    leader = browser.new_context(
        base_url=live_server, viewport={"width": 1366, "height": 768}, locale="zh-CN"
    ).new_page()
    leader.on("dialog", lambda dialog: dialog.accept())  # 确定…吗？ confirmations
    browser_login(leader, "leader_410100", TEST_PASSWORD)
    leader.wait_for_selector("#main-nav")
    leader.goto("/tasks/")
    leader.click("a.task-title:has-text('领导审核自评')")
    leader.wait_for_selector("#assessment-task")
    leader.fill("#comment", "同意上报")
    leader.click("button[value=approve]")
    leader.wait_for_selector("text=已办理：领导审核自评")
    db.session.rollback()  # end the test's read transaction: see what the server committed
    unit = db.session.get(UnitAssessment, unit_id)
    assert unit.state == "self_submitted" and unit.self_total is not None
    leader.goto(f"/assessment/units/{unit_id}")
    assert leader.inner_text("#unit-state") == "自评已上报"
    leader.context.close()
