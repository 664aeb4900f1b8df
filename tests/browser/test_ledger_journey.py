from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_clerk_enters_a_project_and_drills_into_the_table(page, make_user):
    make_user("clerk", "410102")
    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.click("#main-nav >> text=台账")
    page.wait_for_selector("#ledger-table")
    page.click("#new-record")
    page.fill("input[name=registration_no]", "ZY-B1")
    page.fill("input[name=name]", "浏览器工程")
    page.select_option("select[name=structure_type]", "钢结构")
    page.fill("input[name=area_m2]", "0")
    page.fill("input[name=cost_10k_yuan]", "300")
    page.fill("input[name=registered_on]", "2026-07-01")
    page.click("#record-form button[type=submit]")
    assert "建筑面积必须大于0" in page.inner_text("#form-errors")
    page.fill("input[name=area_m2]", "1000")
    page.click("#record-form button[type=submit]")
    page.wait_for_selector("#ledger-table >> text=ZY-B1")
    page.goto("/stats/table5?org=410102&period=2026Q3")
    assert "本季度新注册工程" in page.inner_text("#stats-table")
    page.click("#stats-table tr[data-org='410102'] td:nth-child(6) a")
    page.wait_for_selector("#drill-table")
    assert "ZY-B1" in page.inner_text("#drill-table")


def test_a_posted_import_shows_that_it_is_busy_until_the_answer(page, make_user):
    from tests.ledger.helpers import project_row, workbook

    make_user("clerk", "410102")
    browser_login(page, "clerk_410102", TEST_PASSWORD)
    page.goto("/ledger/projects/import")
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "工程.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": workbook([project_row("BUSY-1"), project_row("BUSY-2")]),
            }
        ],
    )
    assert not page.is_visible("#import-busy")
    # Submit from the page itself and read it in the same breath: the submit handler runs
    # within click(), the navigation to the answer only after this returns (Playwright's own
    # click would wait for that navigation and see the answer instead).
    shown = page.evaluate(
        """() => {
            document.querySelector('#import-form button[type=submit]').click();
            return {
                busy: !document.getElementById('import-busy').classList.contains('d-none'),
                text: document.getElementById('import-busy-text').textContent,
                disabled: document.querySelector('#import-form button[type=submit]').disabled,
                token: document.querySelector('#import-form input[name=progress]').value,
            };
        }"""
    )
    assert shown["busy"] and shown["disabled"] and "正在" in shown["text"]
    assert len(shown["token"]) == 32
    page.wait_for_selector("#import-result")
    assert "新增 2" in page.inner_text("#import-result")
