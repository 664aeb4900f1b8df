"""The page's behaviour is there before its buttons are (CI, 2026-12-07).

``static/js/app.js`` asks 确定…吗？ before a form that cannot be undone is sent, and filters the
person pickers.  It was loaded at the end of the body, so a page was drawn, and could be
clicked, before it ran: a click in that moment sent 停用账号 or 同意并上报 without the question
(and a search typed then filtered nothing, which failed a journey in CI).  It is now loaded in
the head, and its listeners sit on ``document``.

Deterministic: the test holds back app.js, waits until the parser has reached its script element
(the parser stops there until the file arrives), and looks at what the page already shows."""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD
from webapp.core.models import User
from webapp.extensions import db

pytestmark = pytest.mark.browser

PARSER_AT_APP_JS = "() => document.querySelector('script[src*=\"js/app.js\"]') !== null"
CLICKABLE = "() => document.querySelectorAll('button, a[href], input, select, textarea').length"


def test_no_button_is_drawn_before_the_confirmations_are_in_place(page, dialogs, make_user):
    admin = make_user("admin", "410000")
    clerk = make_user("clerk", "410102")
    browser_login(page, admin.username, TEST_PASSWORD)

    held = []
    page.route("**/static/js/app.js*", lambda route: held.append(route))
    page.goto(f"/admin/users/{clerk.id}", wait_until="commit")
    page.wait_for_function(PARSER_AT_APP_JS)
    # The parser waits at app.js: nothing a user could click has been drawn yet.
    assert page.evaluate(CLICKABLE) == 0
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/static/js/app.js*")
    page.wait_for_load_state("load")

    # The first click asks; declined, the account stays enabled.
    dialogs.dismiss()
    page.click("button:has-text('停用账号')")
    assert dialogs.asked == ["确定停用该账号吗？停用后该用户不能登录。"]
    page.wait_for_timeout(300)
    db.session.expire_all()
    assert db.session.get(User, clerk.id).is_enabled is True


def test_a_search_put_back_by_the_browser_filters_its_list(page, make_user):
    """What is already in a picker's search box when the script runs (typed during the load, or
    put back by the browser) filters the list as typing would."""
    admin = make_user("admin", "410000")
    browser_login(page, admin.username, TEST_PASSWORD)
    page.set_content(
        "<input id='q' data-filter-options='#s' value='郑州'>"
        "<select id='s' size='3'><option>张填表 · 中原区</option><option>王市审 · 郑州市</option>"
        "</select>"
    )
    page.add_script_tag(url="/static/js/app.js")
    shown = page.locator("#s option:not([hidden])")
    assert shown.count() == 1 and shown.first.inner_text() == "王市审 · 郑州市"
