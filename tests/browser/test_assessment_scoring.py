"""An assessor scores one unit in the browser: ticks update the totals live, then save."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.assessment import flow_helpers as step
from tests.browser.conftest import browser_login
from tests.conftest import ROOT, TEST_PASSWORD
from webapp.assessment import flow, judging
from webapp.assessment.operations import install_bundled_sheets
from webapp.engine import deploy_bpmn
from webapp.extensions import db

pytestmark = pytest.mark.browser


def test_assessor_scores_a_unit_with_live_totals(page, make_user):
    install_bundled_sheets(None)
    for name in ("year_end_self_assessment", "year_end_materials", "year_end_assessment"):
        deploy_bpmn(None, name, (ROOT / "workflows" / f"{name}.bpmn").read_bytes())
    admin = make_user("admin", "410000")
    assessor = make_user("assessor", "410000")
    campaign = flow.start_campaign(admin, "fujian2", 2026)
    step.close_self(assessor, campaign)
    unit = next(u for u in campaign.units if u.org.code == "410100")
    unit_id = unit.id
    db.session.commit()

    browser_login(page, "assessor_410000", TEST_PASSWORD)
    page.wait_for_selector("#main-nav")
    page.goto(f"/assessment/units/{unit_id}/score")
    page.wait_for_selector('#sheet-total:text-is("100")')  # CSP: no eval in the page
    # 带班制度: 记5分 with 分值 4 — one unmet duty still scores 4, two score 3
    # the page asks the server (after a 120 ms pause): its answer, not a fixed wait, and the item
    # shows 4 before and after it
    with page.expect_response(lambda r: r.url.endswith("/score")) as answer:
        page.check("#j-2\\.4-a")
    assert Decimal(answer.value.json()["items"]["2.4"]) == 4
    assert page.inner_text('[data-item-score="2.4"]') == "4"
    page.check("#j-2\\.4-b")
    page.wait_for_selector('#sheet-total:text-is("99")')  # CSP: no eval in the page
    assert page.inner_text('[data-section-score="施工企业"]') == "19"
    # 宣传工作: untick one part of 1.5
    page.uncheck("#j-1\\.3-b")
    page.wait_for_selector('#sheet-total:text-is("97.5")')  # CSP: no eval in the page
    assert page.inner_text('[data-section-score="建设主管部门"]') == "48.5"
    page.fill("input[name='note-2.4']", "项目部每日检查记录缺失")
    page.click("#save-score")
    page.wait_for_selector("text=已保存评分：郑州市 得分 97.5 分")
    # the saved sheet comes back ticked as left
    assert page.is_checked("#j-2\\.4-b") and not page.is_checked("#j-1\\.3-b")
    db.session.expire_all()
    final = judging.final_scores(db.session.get(type(unit), unit_id))
    assert str(final.total) == "97.50"
