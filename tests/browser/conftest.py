"""Browser journeys: Playwright drives Debian's Chromium (/usr/bin/chromium) against the app
served in a thread by waitress, the WSGI server `make run` uses.  No browser is ever downloaded.

Not werkzeug's development server: when Chromium resets a connection while that server drains
the request (the ``finally`` of its ``run_wsgi``), it skips closing the response, and the open
static file surfaces later as a ResourceWarning in whatever test is running (CI, 2026-12-06).

Writing a journey: Playwright's ``click`` does not wait for the page a form or link leads to.
After a click that goes to the server, wait for something only the answer shows
(``wait_for_selector``, ``wait_for_url``, ``expect_response``) before reading the page:
``is_visible``, ``inner_text("body")`` and a ``wait_for_function`` predicate that throws all read
the sending page while the server is slow (CI, 2026-12-07). Never wait a fixed time."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from waitress import wasyncore
from waitress.server import create_server

CHROMIUM = os.environ.get("HQR_CHROMIUM", "/usr/bin/chromium")
#: The docs' screenshots are refreshed on request (``HQR_SCREENSHOTS=1``, ``make screenshots``),
#: so that a test run never leaves the checkout changed; otherwise they go to a temporary folder.
SHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("HQR_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "hqr-screenshots"
)


def screenshot(page, name: str) -> None:
    """The whole page, as ``name`` in :data:`SHOTS`."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    # Close every socket from the server's own loop thread; its loop ends with an empty map.
    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    thread.join(timeout=5)
    server.task_dispatcher.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if shutil.which(CHROMIUM) is None and not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make system-deps` (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # --no-sandbox: as root Chromium refuses to start with its sandbox; as any other
            # user the sandbox needs user namespaces, which containers often forbid.  The
            # journeys browse only our own app, so one setting serves root and non-root alike.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


#: Reported to the console by the page (Playwright's init scripts are not subject to the CSP).
REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation: ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


class Dialogs:
    """The confirmations a page asked (static/js/app.js, data-confirm) and how they are
    answered: accepted, as a user who meant to click, unless a test queued ``dismiss()``."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self._dismiss = 0

    def dismiss(self, times: int = 1) -> None:
        self._dismiss += times

    def answer(self, dialog) -> None:
        self.asked.append(dialog.message)
        if self._dismiss:
            self._dismiss -= 1
            dialog.dismiss()
        else:
            dialog.accept()


@pytest.fixture
def dialogs(page) -> Dialogs:
    """The page's confirmations: ``dialogs.asked`` (messages), ``dialogs.dismiss()``."""
    return page.hqr_dialogs


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    """A fresh browser page; every journey fails if the Content-Security-Policy blocked
    anything on any page it visited (an inline script, a handler, a foreign resource).
    Confirmations (确定…吗？) are accepted unless the test asks otherwise (``dialogs``)."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1366, "height": 768}, locale="zh-CN"
    )
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    violations: list[str] = []

    def watch(message) -> None:
        if "CSP violation" in message.text or "Content Security Policy" in message.text:
            violations.append(f"{pg.url}: {message.text}")

    pg = context.new_page()
    pg.on("console", watch)
    answers = Dialogs()
    pg.on("dialog", answers.answer)
    pg.hqr_dialogs = answers  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not violations, violations


def browser_login(page, username: str, password: str) -> None:
    """Sign in through the form and wait for the answer's page (signed in or refused): a
    ``goto`` or a read right after the click could otherwise race the sign-in (CI, 2026-12-07:
    the refusal was read from the login page still being sent)."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
