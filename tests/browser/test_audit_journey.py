from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.audit.helpers import write
from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_auditor_filters_and_opens_a_record(page, make_user):
    make_user("auditor", "410000")
    write(
        "user.update",
        datetime(2026, 10, 9, 2, tzinfo=UTC),
        actor_name="admin_410000",
        org="410102",
        object_type="user",
        object_id=7,
        before={"full_name": "张三", "roles": ["clerk"]},
        after={"full_name": "张三丰", "roles": ["clerk", "reviewer"]},
        message="按人事通知调整",
    )
    write(
        "auth.login", datetime(2026, 10, 9, 3, tzinfo=UTC), actor_name="clerk_410302", org="410302"
    )
    browser_login(page, "auditor_410000", TEST_PASSWORD)
    page.click("#main-nav >> text=审计")
    page.wait_for_selector("#audit-filter")
    page.fill("#date_from", "2026-10-09")
    page.fill("#date_to", "2026-10-09")
    page.select_option("#org", "410100")  # 郑州市 and its districts
    page.select_option("#action", label="用户管理（全部）")
    page.click("#audit-search")
    page.wait_for_selector("#audit-total")
    assert "符合条件 1 条" in page.inner_text("#audit-total")
    table = page.inner_text("#audit-table")
    assert "修改用户" in table and "中原区" in table and "clerk_410302" not in table
    page.click("#audit-table >> text=详情")
    page.wait_for_selector("#record-diff")
    assert "修改用户" in page.inner_text("#record-title")
    diff = page.inner_text("#record-diff")
    assert "姓名" in diff and "张三丰" in diff and "填表人、审核人" in diff
    assert "内容与哈希一致" in page.inner_text("#record-check")
    page.click("#timeline-link")
    page.wait_for_selector("#timeline-table")
    assert "按人事通知调整" in page.inner_text("#timeline-table")
    page.click("#audit-tabs >> text=校验哈希链")
    page.click("#verify-button")
    page.wait_for_selector("#verify-result")
    assert "审计链完整" in page.inner_text("#verify-result")
