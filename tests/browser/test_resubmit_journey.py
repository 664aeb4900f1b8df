"""Back and resubmit an accident report in the browser: one accident, and the user is told."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.browser.conftest import browser_login
from tests.conftest import ROOT, TEST_PASSWORD
from webapp.accidents.models import Accident
from webapp.engine import deploy_bpmn
from webapp.extensions import db

pytestmark = pytest.mark.browser


def test_back_and_resubmit_reports_one_accident(page, make_user):
    deploy_bpmn(None, None, (ROOT / "workflows" / "accident_report.bpmn").read_bytes())
    db.session.commit()
    make_user("clerk", "410102")
    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.goto("/accidents/new")
    for field, value in {
        "#f-occurred_at": "2026-05-01T14:10",
        "#f-received_at": "2026-05-01T14:40",
        "#f-place": "中原区建设路18号",
        "#f-project_name": "重复提交工程",
        "#f-units": "某建设集团",
        "#f-deaths": "1",
        "#f-loss_10k_yuan": "30",
        "#f-contact": "王工",
        "#f-phone": "0371-1",
    }.items():
        page.fill(field, value)
    token = page.input_value("input[name=form_token]")
    page.click("#submit-accident")
    page.wait_for_selector("#accident-level")
    first = page.url

    # Back: the page is fetched anew (no-store); the browser restores what was typed, and
    # app.js the token that was sent from it, not the new page's.
    page.go_back()
    page.wait_for_selector("#submit-accident")
    assert page.input_value("input[name=form_token]") == token
    assert page.input_value("#f-project_name") == "重复提交工程"
    page.click("#submit-accident")
    page.wait_for_selector("text=该表单已提交，未重复办理。")
    assert page.url == first
    db.session.commit()
    assert db.session.execute(select(func.count(Accident.id))).scalar_one() == 1
