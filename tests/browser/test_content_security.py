"""Pages that used inline script work under the Content-Security-Policy (the ``page`` fixture
fails any journey on a CSP violation): the API docs, a confirmed delete, the back link."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD
from webapp.extensions import db
from webapp.ledger import operations
from webapp.ledger.fields import KINDS
from webapp.ledger.models import Project

pytestmark = pytest.mark.browser


def test_api_docs_start_from_a_static_script(page):
    response = page.goto("/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .info .title")
    assert "河南省建设工程质量分析报告系统" in page.inner_text(".swagger-ui .info .title")


def test_deleting_a_record_asks_first(page, dialogs, make_user, org):
    clerk = make_user("clerk", "410102")
    saved = operations.save_record(
        clerk,
        KINDS["projects"],
        org("410102"),
        {
            "registration_no": "CSP-1",
            "name": "待删除",
            "structure_type": "框架",
            "area_m2": "100",
            "cost_10k_yuan": "10",
            "registered_on": "2026-07-01",
        },
    )
    db.session.commit()
    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.goto(f"/ledger/projects/{saved.record.id}")
    dialogs.dismiss()
    page.click("text=删除")
    assert dialogs.asked == ["确定删除该记录？"]
    assert page.url.endswith(f"/ledger/projects/{saved.record.id}")
    page.click("text=删除")  # accepted
    page.wait_for_selector("#ledger-table")
    db.session.rollback()
    assert db.session.execute(select(Project)).first() is None


def test_the_drill_page_goes_back(page, make_user):
    make_user("reviewer", "410102")
    browser_login(page, "reviewer_410102", TEST_PASSWORD)
    page.goto("/stats/table5?org=410102&period=2026Q3")
    page.goto("/stats/drill?org=410102&period=2026Q3&group=registered")
    page.click("text=返回")
    page.wait_for_url("**/stats/table5?org=410102&period=2026Q3")
