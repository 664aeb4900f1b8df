"""The leader's approval on a phone (issue 18): at 390×844 a city's leader opens the waiting
approval from the home page, reads the summary, and approves with an opinion; no page scrolls
sideways.  Busy state (issue 18): a button that waits on the server is disabled and marked busy
while the request runs (held by route interception, never a sleep in the app) and works again
once the answer is there.  Screenshots go to SHOTS (``make screenshots``)."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import browser_login, screenshot
from tests.conftest import TEST_PASSWORD
from tests.publication.conftest import h2_data, workflows  # noqa: F401 (fixtures)
from webapp.core import clock
from webapp.extensions import db

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
#: Logs the form's buttons (outcome, disabled, text) when one of them turns busy.
REPORT_BUSY = """
document.addEventListener('DOMContentLoaded', function () {
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      var button = change.target;
      if (button.getAttribute('aria-busy') !== 'true' || !button.form) return;
      console.log('busy ' + JSON.stringify(Array.from(button.form.querySelectorAll('button'))
        .map(function (b) { return [b.value, b.disabled, b.textContent.trim()]; })));
    });
  }).observe(document.body, {attributes: true, subtree: true, attributeFilter: ['aria-busy']});
});
"""
TASK = "主要领导审批公开"


@pytest.fixture
def waiting_approval(workflows, h2_data, make_user):  # noqa: F811 (fixtures)
    """郑州市's 2026H2 public report drafted and reviewed: its leader's approval waits."""
    from tests.publication.conftest import awaiting_leader

    pub = awaiting_leader(make_user, full_name="郑州市主要领导")
    yield pub
    clock.set_now(None)


def no_sideways_scroll(page) -> None:
    """Nothing wider than the phone: the page never scrolls horizontally."""
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        """() => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)"""
    )
    assert width <= PHONE["width"], (page.url, width, wide)


def in_view(page, selector: str) -> None:
    """Shown and inside the phone's width (a user can read or press it without panning)."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, (selector, box)


def test_leader_approves_on_a_phone(page, dialogs, waiting_approval):
    pub = waiting_approval
    workspace = f"/publication/{pub.id}"
    db.session.rollback()  # hold no read snapshot (SQLite WAL) while the server writes
    page.set_viewport_size(PHONE)
    browser_login(page, "leader_410100", TEST_PASSWORD)

    # Home: the approval waiting, within the phone's width.
    page.wait_for_selector("#home-leader")
    no_sideways_scroll(page)
    in_view(page, f"#leader-tasks >> text={TASK}")
    screenshot(page, "phone_home_leader.png")
    page.click(f"#leader-tasks >> text={TASK}")

    # One tap: the report's page (publication registers it as its task page), with the summary
    # (figures, quality index, text) and the opinion box with the buttons at the top.
    page.wait_for_selector(".task-form")
    assert page.url.endswith(workspace)
    no_sideways_scroll(page)
    assert "57.50" in page.inner_text("#quality-index-value")
    for selector in (
        ".task-form input[name=comment]",
        ".task-form button[value=approve]",
        ".task-form button[value=return]",
        "#quality-index-value",
        "#download-docx",
    ):
        in_view(page, selector)
    assert page.locator(".task-form button[value=approve]").bounding_box()["y"] < PHONE["height"]
    screenshot(page, "phone_workspace_leader.png")

    page.fill(".task-form input[name=comment]", "同意公开。")
    page.click(".task-form button[value=approve]")
    page.wait_for_selector("text=已办理：主要领导审批公开")
    assert dialogs.asked and "同意公开" in dialogs.asked[-1]
    no_sideways_scroll(page)
    screenshot(page, "phone_approved_leader.png")
    db.session.expire_all()
    db.session.refresh(pub)
    assert pub.is_public


def test_buttons_that_wait_on_the_server_show_it(page, waiting_approval):
    """Issue 18: "a busy state on every button that waits on the server".  The requests are
    held by route interception until the test has seen the busy state, then let through."""
    pub = waiting_approval
    page.add_init_script(REPORT_BUSY)
    browser_login(page, "leader_410100", TEST_PASSWORD)
    page.goto(f"/publication/{pub.id}")
    page.wait_for_selector(".task-form")
    held: list = []

    def hold(route) -> None:
        held.append(route)

    # The Word download (rendered on request): 正在生成… and disabled until the file arrives.
    page.route(f"**/publication/{pub.id}/document.docx", hold)
    link = page.locator("#download-docx")
    link.click()
    page.wait_for_selector("#download-docx[aria-busy=true]")
    assert "正在生成" in link.inner_text() and "disabled" in link.get_attribute("class")
    assert len(held) == 1  # the request is on its way, and waits
    with page.expect_download() as download:
        held.pop().continue_()
    assert download.value.suggested_filename.endswith(".docx")
    page.wait_for_selector("#download-docx:not([aria-busy])")
    assert "下载 Word" in link.inner_text() and "disabled" not in link.get_attribute("class")
    page.unroute(f"**/publication/{pub.id}/document.docx")

    # 同意公开 (a form sent to the server): the pressed button shows 处理中… and is disabled,
    # the form's other button too, while the server works; then the answer's page.
    page.route("**/tasks/*/complete", hold)
    page.fill(".task-form input[name=comment]", "同意公开。")
    approve = page.locator(".task-form button[value=approve]")
    # While the request is held the old page stays, and a navigation is pending (locators and
    # evaluate would wait for it): the page itself reports its buttons when one turns busy.
    with page.expect_console_message(lambda m: m.text.startswith("busy ")) as message:
        approve.click(no_wait_after=True)
    state = json.loads(message.value.text[len("busy ") :])
    assert state == [["approve", True, "处理中…"], ["return", True, "退回"]]
    for _ in range(400):  # the held request reaches the test's handler
        if held:
            break
        page.wait_for_timeout(25)
    assert len(held) == 1
    assert held[0].request.post_data and "outcome=approve" in held[0].request.post_data
    held.pop().continue_()
    page.wait_for_selector("text=已办理：主要领导审批公开")

    # Back to the page (the browser's page cache): the buttons work again.
    page.unroute("**/tasks/*/complete")
    page.go_back()
    page.wait_for_selector(".task-form, #download-docx")
    assert page.locator("[aria-busy=true]").count() == 0
