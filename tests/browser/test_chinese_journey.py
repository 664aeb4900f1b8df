"""Chinese everywhere (issue 18, Build: "A journey test fails on visible Latin words outside an
allow-list"): every role's main pages — the clerk, the reviewer, the leader, the upper level's
reviewer, the administrator, the auditor and the public portal — are walked in Chromium, each
page's visible text (and the placeholders of its boxes) is searched for ``[A-Za-z_]{3,}``, and
each page is screenshotted (docs/screenshots/ with ``HQR_SCREENSHOTS=1``, ``make screenshots``;
a temporary folder otherwise).

The allow-list, and why each word may stay:

* PDF, Excel, Word, CSV, ZIP — the names of the file formats people download and upload;
* API — the name of the interface other systems use (the issue's own allow-list);
* BPMN — the standard the process diagrams are written in, named where the administrator
  downloads one;
* user names (``clerk_410102``, ``admin``, ``auditor``) — what people type to log in;
* file names (``….docx``, ``….xlsx``) — what a person uploaded or will download;
* hashes (hexadecimal) — the audit chain's and a version's fingerprints, read by comparing.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.browser.conftest import browser_login, screenshot
from tests.conftest import ROOT, TEST_PASSWORD
from webapp.core import clock
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.reports.operations import open_period

pytestmark = pytest.mark.browser
NOW = datetime(2026, 10, 8, 10, 0, tzinfo=clock.LOCAL_TZ)

LATIN = re.compile(r"[A-Za-z_]{3,}")
#: Names of formats, products and standards that have no Chinese name users would know.
ALLOWED_WORDS = {"PDF", "Excel", "Word", "CSV", "ZIP", "API", "BPMN", "Python", "SHA"}
#: What is not a word of the interface: user names, file names, hashes (see the docstring).
NOT_WORDS = re.compile(
    r"\b(?:[a-z]+_\d{6}|admin|auditor)\b"
    r"|[\w\u4e00-\u9fff（）()\-]+\.(?:docx|xlsx|pdf|bpmn|csv|zip|png|jpg)\b"
    r"|\b[0-9a-f]{8,64}\b"
)

#: Visible text: what innerText renders, plus the placeholders of the visible boxes.
VISIBLE_TEXT = """() => {
  const parts = [document.body.innerText];
  for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (el.offsetParent !== null) parts.push(el.placeholder);
  }
  return parts.join('\\n');
}"""


def latin_words(page) -> list[str]:
    """The Latin words a user sees on the page, outside the allow-list."""
    text = NOT_WORDS.sub(" ", page.evaluate(VISIBLE_TEXT))
    return sorted({w for w in LATIN.findall(text) if w not in ALLOWED_WORDS})


def _world() -> None:
    for name in ("quarterly_report.bpmn", "publication.bpmn", "reporting_notice.bpmn"):
        deploy_bpmn(None, None, (ROOT / "workflows" / name).read_bytes())
    db.session.commit()
    with clock.moved_to(datetime(2026, 9, 20, 10, 0, tzinfo=clock.LOCAL_TZ)):
        open_period(None, "2026Q3")
        db.session.commit()


USERS = (
    ("clerk", "410102", "中原区填表人"),
    ("reviewer", "410102", "中原区审核人"),
    ("leader", "410000", "省厅主要领导"),
    ("reviewer", "410100", "郑州市审核人"),
    ("admin", "410000", "系统管理员"),
    ("auditor", "410000", "审计员"),
)


def _visit(page, found: dict[str, list[str]], name: str) -> None:
    page.wait_for_load_state("networkidle")
    words = latin_words(page)
    if words:
        found[f"{name} {page.url}"] = words
    screenshot(page, f"{name}.png")


def _walk_sections(page, found: dict[str, list[str]], role: str) -> None:
    """The home page and every section the navigation offers the user."""
    page.goto("/")
    _visit(page, found, f"{role}_home")
    sections = page.eval_on_selector_all(
        "#main-nav a", "els => els.map((a) => [a.getAttribute('href'), a.innerText.trim()])"
    )
    for href, label in sections:
        if href == "/":
            continue
        page.goto(href)
        _visit(page, found, f"{role}_{href.strip('/').replace('/', '_') or 'home'}")
        assert label


def test_every_role_sees_chinese_only(page, browser, live_server, make_user):
    _world()
    for role, org, full_name in USERS:
        make_user(role, org, full_name=full_name)
    make_user("admin", "410000", username="admin", full_name="管理员")
    make_user("auditor", "410000", username="auditor", full_name="审计员")
    clock.set_now(NOW)
    page.set_viewport_size({"width": 1440, "height": 900})
    found: dict[str, list[str]] = {}

    for role, org, _ in USERS:
        username = f"{role}_{org}"
        name = "upper_reviewer" if username == "reviewer_410100" else role
        browser_login(page, username, TEST_PASSWORD)
        page.wait_for_selector("#main-nav")
        _walk_sections(page, found, name)
        if role == "clerk":
            page.goto("/tasks/")
            _visit(page, found, "clerk_inbox")
            page.click("a.task-title >> nth=0")  # a report's task opens the report workspace
            page.wait_for_load_state()
            _visit(page, found, "clerk_work_page")
            page.goto("/tasks/")
            task_id = page.get_attribute("#task-table tbody tr[data-task] >> nth=0", "data-task")
            page.goto(f"/tasks/{task_id}")  # the engine's own task page
            _visit(page, found, "clerk_task")
            page.click("text=流程图与办理记录")
            page.wait_for_selector("#diagram[data-ready=true]")
            _visit(page, found, "clerk_process")
        if role == "admin":
            page.goto("/admin/workflows/")
            _visit(page, found, "admin_workflows")
            page.goto("/admin/workflows/quarterly_report")
            page.wait_for_selector("#diagram[data-ready=true]")
            _visit(page, found, "admin_workflow")
        if role == "auditor":
            page.goto("/audit/?date_from=&date_to=&action=")
            _visit(page, found, "auditor_search")
        page.context.clear_cookies()

    anonymous = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    anonymous.set_viewport_size({"width": 1440, "height": 900})
    for path in ("/public/", "/public/index", "/public/records"):
        anonymous.goto(path)
        _visit(anonymous, found, "public_" + (path.strip("/").split("/")[-1] or "home"))
    anonymous.context.close()
    assert not found, "\n".join(f"{page}: {', '.join(words)}" for page, words in found.items())
