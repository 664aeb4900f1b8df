"""The three banners added for figures that changed under a report, as their readers see them in
Chromium (they were asserted on the test client's HTML only):

* the public report's stale-figures refusal (``#publication-stale``, readiness.stale_figures):
  the leader reads it above the approval buttons, on the workspace and on the task's own page
  (where it was missing: the refusal came only after pressing 同意公开), and 同意公开 answers
  the refusal naming the quarter, publishing nothing;
* the filing-lag note where 备案率 exceeds 100 % (document.FILING_LAG_NOTE): in the workspace
  and on the public portal, under the figure and under the units' table;
* the frozen report's superseded-lower-units banner (``#lower-superseded``,
  reports/readiness.superseded_lower_units): the city's clerk and the province's reviewer read it
  above what they can do, on the report's page and on the acceptance task's page (where it was
  missing beside the report's summary), and acceptance stays the province's to decide.

Each banner must be visible (not only in the DOM), readable (its Chinese text), announced
(``role="alert"`` for a refusal, ``role="status"`` for a notice) and above the action it is about.
Setups are those of tests/publication/test_stale_figures.py and
tests/reports/test_superseded_lower.py; one server for the file (the session's live_server).
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import ROOT, TEST_PASSWORD
from tests.publication.conftest import (  # noqa: F401 (fixture)
    FILLED,
    awaiting_leader,
    h2_data,
    open_task,
)
from tests.publication.test_stale_figures import _correct_q4
from tests.reports.conftest import api, draft  # noqa: F401 (fixture)
from tests.reports.test_superseded_lower import _county_corrected, _zhongyuan_accepted
from tests.stats.oracle import load_oracle
from webapp.core.models import User
from webapp.engine import complete_task, deploy_bpmn
from webapp.extensions import db
from webapp.publication.document import FILING_LAG_NOTE
from webapp.publication.operations import regenerate, save_sections

pytestmark = pytest.mark.browser

STALE = "送审后，2026Q4 季度报告已更正或重新接收"

#: The element is shown to the user: laid out with a size, not hidden, not transparent, its
#: text not clipped to nothing, and no other element covers its middle.
SHOWN = """el => {
  const r = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  if (r.width < 1 || r.height < 1) return "no size";
  if (style.visibility !== "visible" || +style.opacity < 0.1) return "invisible";
  el.scrollIntoView({block: "center", behavior: "instant"});
  const b = el.getBoundingClientRect();
  const top = document.elementFromPoint(b.left + b.width / 2, b.top + Math.min(b.height / 2, 10));
  if (el === top || el.contains(top)) return "";
  return "covered by " + (top ? top.outerHTML.slice(0, 200) : "nothing (outside the window)");
}"""

#: The contrast of the element's text with the background it is drawn on (WCAG 2's ratio).
CONTRAST = """el => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let back = null;
  for (let e = el; e && !back; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length < 4 || c[3] > 0) back = c;
  }
  back = back || [255, 255, 255];
  const [r, g, b_, alpha = 1] = rgb(getComputedStyle(el).color);
  const text = [r, g, b_].map((v, i) => v * alpha + back[i] * (1 - alpha));
  const [a, b] = [lum(text), lum(back)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""

#: WCAG 2's least contrast for body text (AA): small grey print on a tinted banner fails it.
READABLE = 4.5

#: ``a`` lies wholly above ``b`` on the page (read first, not overlapping).
ABOVE = "([a, b]) => a.getBoundingClientRect().bottom <= b.getBoundingClientRect().top"


def as_user(page, username: str) -> None:
    """``page`` signed in afresh as ``username`` (the previous user's cookies dropped)."""
    page.context.clear_cookies()
    browser_login(page, username, TEST_PASSWORD)
    page.wait_for_selector("#main-nav")


def read_shown(page, selector: str) -> str:
    """The text of ``selector``, asserted shown to the user and readable."""
    banner = page.locator(selector)
    assert banner.count() == 1, selector
    assert banner.is_visible(), f"{selector} is in the page but not displayed"
    problem = banner.evaluate(SHOWN)
    assert not problem, f"{selector}: {problem}"
    assert banner.evaluate(CONTRAST) >= READABLE, f"{selector}: its text is too faint"
    return banner.inner_text()


def above(page, first: str, then: str) -> bool:
    """Whether ``first`` lies wholly above ``then`` (each the first match)."""
    pair = [page.locator(first).first.element_handle(), page.locator(then).first.element_handle()]
    return page.evaluate(ABOVE, pair)


def task_page(page) -> str:
    """The engine's task page of the card on the page (its 任务详情 link)."""
    return page.locator(".task-form a", has_text="任务详情").get_attribute("href")


def user(name: str) -> User:
    return db.session.query(User).filter_by(username=name).one()


@pytest.mark.usefixtures("h2_data")
def test_stale_figures_refuse_approval_and_the_filing_rate_is_explained(
    page, browser, live_server, make_user
):
    for name in ("publication.bpmn", "publication_schedule.bpmn"):
        deploy_bpmn(None, None, (ROOT / "workflows" / name).read_bytes())
    pub = awaiting_leader(make_user, username="zz_leader")
    _correct_q4()  # 二七区's 2026Q4 corrected and accepted again after the draft was submitted
    workspace = f"/publication/{pub.id}"
    db.session.rollback()  # nothing of this test's session holds the database (SQLite)

    # The leader reads why before pressing anything, above the approval form, as a refusal.
    as_user(page, "zz_leader")
    page.goto(workspace)
    text = read_shown(page, "#publication-stale")
    assert "当前不能审核或审批通过" in text and STALE in text and "请退回起草单位" in text
    assert page.get_attribute("#publication-stale", "role") == "alert"
    assert above(page, "#publication-stale", ".task-form")

    # The filing rates over 100 % (郑州市 133.33 %, 二七区 200 %) carry their reason, each under
    # its table.
    assert FILING_LAG_NOTE in read_shown(page, "#filing-lag-note")
    assert FILING_LAG_NOTE in read_shown(page, "#units-filing-lag-note")
    assert above(page, "#figures-table", "#filing-lag-note")
    assert above(page, "#units-table", "#units-filing-lag-note")

    # The task's own page (任务详情, or a notification's link) has the same buttons: the same
    # reason stands above them.
    task_url = task_page(page)
    page.goto(task_url)
    assert STALE in read_shown(page, "#publication-stale")
    assert page.get_attribute("#publication-stale", "role") == "alert"
    assert above(page, "#publication-stale", "#complete-form button[value=approve]")

    # 同意公开 anyway, from the workspace: the server refuses, the summary (focused) names the
    # quarter, the opinion typed is kept, nothing is published and the approval still waits.
    page.goto(workspace)
    page.fill(".task-form input[name=comment]", "同意公开。")
    page.click(".task-form button[value=approve]")
    page.wait_for_selector("#form-errors")
    assert "2026Q4 季度报告已更正或重新接收" in read_shown(page, "#form-errors")
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert page.locator("#publication-stale").count() == 0  # said once, as the refusal
    assert page.input_value("#comment") == "同意公开。"
    db.session.rollback()
    db.session.refresh(pub)
    assert pub.published_at is None
    assert open_task(pub, "approve").state in ("ready", "claimed")

    # Returned, submitted again and reviewed: no banner, and 同意公开 publishes the new figures,
    # on the portal with the rate's reason.
    complete_task(
        user("zz_leader"), open_task(pub, "approve").id, "return", comment="请刷新数据后重报。"
    )
    # the clerk regenerates the text written from the old figures (test_outdated_text.py)
    regenerate(user("clerk_410100"), pub)
    save_sections(user("clerk_410100"), pub, FILLED | {"trends": "与上期基本持平。"})
    db.session.commit()
    complete_task(user("clerk_410100"), open_task(pub, "draft").id, "submit")
    complete_task(user("reviewer_410100"), open_task(pub, "review").id, "approve")
    db.session.commit()
    page.goto(workspace)
    assert page.locator("#publication-stale").count() == 0
    page.click(".task-form button[value=approve]")
    page.wait_for_selector("text=已办理：主要领导审批公开")

    anonymous = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    try:
        anonymous.goto(f"/public/reports/{pub.id}")
        assert FILING_LAG_NOTE in read_shown(anonymous, "#filing-lag-note")
        assert FILING_LAG_NOTE in read_shown(anonymous, "#units-filing-lag-note")
        assert above(anonymous, "#units-table", "#units-filing-lag-note")
    finally:
        anonymous.context.close()


def test_a_report_frozen_before_a_county_was_corrected_says_so(page, api):  # noqa: F811
    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    load_oracle()
    city, zz_clerk = _zhongyuan_accepted(api)
    draft(zz_clerk, "410100")
    city.complete(city.task("410100"), "approve")
    report = f"/reports/{zz_clerk.report('410100')['id']}"
    api("reviewer", "410000")
    _county_corrected("410102")  # 中原区 corrected and accepted again after 郑州市 submitted
    db.session.rollback()

    # The city's clerk, whose submitted report waits at the province: a notice, not a refusal.
    as_user(page, "clerk_410100")
    page.goto(report)
    text = read_shown(page, "#lower-superseded")
    assert "下级单位的上报数据在本报告冻结后已有变化" in text
    assert "中原区（已更正并重新接收）" in text and "请在退回后重新提交" in text
    assert page.get_attribute("#lower-superseded", "role") == "status"

    # The province's reviewer reads it above the acceptance, on the report's page and on the
    # task's own page (where the report's summary is shown to decide on).
    as_user(page, "reviewer_410000")
    page.goto(report)
    assert "中原区（已更正并重新接收）" in read_shown(page, "#lower-superseded")
    assert above(page, "#lower-superseded", ".task-form")
    page.goto(task_page(page))
    assert "中原区（已更正并重新接收）" in read_shown(page, "#lower-superseded")
    assert page.get_attribute("#lower-superseded", "role") == "status"
    assert above(page, "#lower-superseded", "#complete-form button[value=accept]")

    # Accepting stays the province's to decide; then the city's clerk is told to correct.
    page.goto(report)
    page.click(".task-form button[value=accept]")
    page.wait_for_selector("text=已办理")
    as_user(page, "clerk_410100")
    page.goto(report)
    assert "发起更正" in read_shown(page, "#lower-superseded")
