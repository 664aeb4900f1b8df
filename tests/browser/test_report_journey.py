"""A clerk and a reviewer do one quarterly report in the browser (Chromium via Playwright)."""

from __future__ import annotations

import pytest
from docx import Document

from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.reports.operations import open_period

pytestmark = pytest.mark.browser
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _logout(page) -> None:
    page.click("text=退出")
    page.wait_for_selector("text=您已安全退出")


def test_clerk_drafts_and_reviewer_approves(page, make_user):
    from tests.conftest import ROOT
    from tests.stats.oracle import load_oracle

    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    load_oracle()
    db.session.commit()
    open_period(None, "2026Q3")
    db.session.commit()
    make_user("clerk", "410102")
    make_user("reviewer", "410102")
    make_user("reviewer", "410100")

    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.goto("/reports/?period=2026Q3")
    page.click("#open-my-report")
    # Explain every warning, then confirm the data.
    for area in page.locator("#checks-table textarea").all():
        area.fill("已逐项核实，数据属实。")
    page.click("#explanations-form button[type=submit]")
    page.wait_for_selector("text=说明已保存")
    page.click("button[value=next]")
    page.wait_for_selector("text=已办理")
    # Write the narrative: autosaved without pressing any button.
    page.goto("/reports/?period=2026Q3")
    page.click("#open-my-report")
    page.click("#narrative-tab")
    for area in page.locator("textarea.narrative-section").all():
        area.fill("本季度情况良好，详见附表。")
    page.locator("textarea.narrative-section").last.blur()
    page.wait_for_selector("#autosave-status:has-text('已自动保存')")
    page.reload()
    page.click("button[value=submit]")
    page.wait_for_selector("text=已办理")
    _logout(page)

    browser_login(page, "reviewer_410102", TEST_PASSWORD)
    page.goto("/tasks/")
    page.click("a.task-title:has-text('本级审核')")  # the inbox opens the report workspace
    assert page.inner_text("h1").count("审核中")
    page.fill("input[name=comment]", "同意上报。")
    page.click("button[value=approve]")
    page.wait_for_selector("text=已办理")
    page.goto("/reports/?period=2026Q3")
    page.click("#open-my-report")
    assert "已上报" in page.inner_text("h1")
    # The unit attaches the stamped scan of what it sent (盖章扫描件).
    page.click("a[href='#tab-docs']")
    page.set_input_files(
        "#seal-form input[name=scan]",
        files=[{"name": "盖章.png", "mimeType": "image/png", "buffer": PNG}],
    )
    page.click("#seal-form button[type=submit]")
    page.wait_for_selector("text=盖章扫描件已上传")
    _logout(page)

    # The city accepts from its status board, then downloads the archived Word file.
    browser_login(page, "reviewer_410100", TEST_PASSWORD)
    page.goto("/reports/?period=2026Q3")
    row = page.locator('#board-table tr[data-org="410102"]')
    assert "已上报" in row.inner_text()
    row.locator("text=查看").click()
    page.click("button[value=accept]")
    page.wait_for_selector("text=已办理")
    page.goto("/reports/?period=2026Q3")
    assert "已接收" in page.locator('#board-table tr[data-org="410102"]').inner_text()
    page.locator('#board-table tr[data-org="410102"] >> text=查看').click()
    page.click("a[href='#tab-docs']")
    assert "（盖章扫描件）.png" in page.inner_text("#seal-scans")
    with page.expect_download() as scan:
        page.click("#seal-scans a")
    assert scan.value.suggested_filename.endswith("（盖章扫描件）.png")
    with page.expect_download() as download:
        page.click("#download-docx")
    path = download.value.path()
    doc = Document(str(path))
    # The title breaks between words (title_lines), one paragraph a line.
    title = [p.text for p in doc.paragraphs[:2]]
    assert title == ["中原区2026年第三季度", "工程质量运行态势分析报告"]
    assert any("本季度情况良好" in p.text for p in doc.paragraphs)
    assert len(doc.tables) == 6


def test_a_stale_autosave_shows_both_texts_to_merge(page, browser, live_server, make_user):
    """Two clerks of one unit have the narrative open; the second one's autosave is stale: the
    page shows the saved text beside theirs, and the merged text is saved on top of it."""
    from tests.conftest import ROOT

    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    db.session.commit()
    open_period(None, "2026Q3")
    db.session.commit()
    make_user("clerk", "410102", username="zhang_410102", full_name="张三")
    make_user("clerk", "410102", username="li_410102", full_name="李四")
    other = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    for tab, name in ((page, "zhang_410102"), (other, "li_410102")):
        browser_login(tab, name, TEST_PASSWORD)
        tab.goto("/reports/?period=2026Q3")
        tab.click("#open-my-report")
        tab.click("#narrative-tab")
    # 张三 writes first (version 1).
    page.fill("#s01", "张三：本季度监督工程十项。")
    page.locator("#s01").blur()
    page.wait_for_selector("#autosave-status:has-text('已自动保存')")
    # 李四's page still believes the section was never saved.
    other.fill("#s01", "李四：监督工程均已备案。")
    other.locator("#s01").blur()
    merge = other.locator('.draft-merge[data-merge-for="s01"]')
    merge.wait_for()
    assert "已被张三于" in merge.inner_text()
    assert merge.locator(".merge-theirs").input_value() == "张三：本季度监督工程十项。"
    assert merge.locator(".merge-mine").input_value() == "李四：监督工程均已备案。"
    assert other.locator("#s01").get_attribute("readonly") is not None
    merge.locator(".merge-mine").fill("张三：本季度监督工程十项。李四：监督工程均已备案。")
    merge.locator(".merge-save").click()
    other.wait_for_selector("#autosave-status:has-text('已自动保存')")
    assert other.locator(".draft-merge").count() == 0
    assert other.locator("#s01").get_attribute("data-version") == "2"
    other.reload()
    other.click("#narrative-tab")
    assert other.input_value("#s01") == "张三：本季度监督工程十项。李四：监督工程均已备案。"
    # Both texts stay in the history, with who saved them.
    other.click("text=历史版本（第 2 版）")
    other.wait_for_selector("#versions-table tbody tr")  # the history page, not the one left
    rows = other.locator("#versions-table tbody tr")
    assert rows.count() == 2
    assert "李四" in rows.nth(0).inner_text() and "张三" in rows.nth(1).inner_text()
    other.context.close()


def test_a_draft_download_shows_progress_until_the_file_arrives(page, make_user):
    """A draft is rendered on request: the button says 正在生成… and stays disabled until the
    file has arrived (the response is held back here to see it), then the browser saves it."""
    from tests.conftest import ROOT

    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    db.session.commit()
    open_period(None, "2026Q3")
    db.session.commit()
    make_user("clerk", "410102")
    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.goto("/reports/?period=2026Q3")
    page.click("#open-my-report")
    # The link is on the page before download.js (at the end of the body) takes its clicks over:
    # clicked earlier, the browser itself would navigate to the held response (CI, 2026-12-06).
    page.wait_for_load_state("domcontentloaded")
    held = []
    page.route("**/document.docx", lambda route: held.append(route))
    page.click("#download-docx")
    page.wait_for_selector("#download-docx[aria-busy=true].disabled")
    assert page.inner_text("#download-docx") == "正在生成…"
    assert page.locator("#download-docx .spinner-border").count() == 1
    with page.expect_download() as download:
        held[0].continue_()
    assert download.value.suggested_filename.endswith("（草稿）.docx")
    page.wait_for_selector("#download-docx:not([aria-busy])")
    assert page.inner_text("#download-docx") == "下载 Word"
