from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_clerk_logs_in_and_sees_chinese_home_with_org(page, make_user):
    make_user("clerk", "410102")
    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.wait_for_selector("#home-org")
    assert "中原区" in page.inner_text("#home-org")
    nav = page.inner_text("#main-nav")
    for label in ("待办", "台账", "报表", "公开", "考核"):
        assert label in nav
    assert "管理" not in nav and "审计" not in nav  # not for a clerk
    page.click("text=退出")
    page.wait_for_selector("text=您已安全退出")


def test_wrong_password_message_in_chinese(page, make_user):
    make_user("clerk", "410102")
    browser_login(page, "clerk_410102", "wrong-password")
    assert page.is_visible("text=用户名或密码错误")
