"""异议 on a published behaviour record, end to end in the browser (issue 15).

domain.md §6 Decision (records): "a named unit or person can raise an objection (异议) that the
approving tier answers, audited"; docs/publication.md: "5 a hour per address"; "异议成立
withdraws the record at once".  A member of the public objects on the 信用记录 page (refused
without a reason, then rate-limited), 郑州市's reviewer answers at /publication/objections, and
the upheld objection takes the record off the public page.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD
from tests.publication.conftest import (
    at,
    run_to_publication,
    workflows,  # noqa: F401 (fixture)
)
from tests.publication.test_publicity import records_data  # noqa: F401 (fixture)
from webapp.core import clock
from webapp.extensions import db, limiter
from webapp.publication.models import PublishedRecord, RecordObjection

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("workflows", "records_data")]

REASON = "该工程见证取样记录齐全，已于8月20日补交监理签认材料，请予核实撤销。"


def _object(page, record_id: int, objector: str, reason: str) -> None:
    row = page.locator(f"#record-{record_id} + tr.objection-row")
    if not row.locator("details").evaluate("details => details.open"):  # open after a refusal
        row.locator("summary").click()
    row.locator("input[name=objector]").fill(objector)
    row.locator("select[name=objector_kind]").select_option("unit")
    row.locator("textarea[name=reason]").fill(reason)
    row.locator("button[type=submit]").click()


def test_public_objection_answered_by_the_approving_tier_withdraws_the_record(
    browser, live_server, page, make_user
):
    clock.set_now(at("2027-01-06"))
    run_to_publication("410100", make_user=make_user)
    record_id = db.session.query(PublishedRecord).filter_by(record_no="ZZ-BAD-1").one().id
    db.session.commit()
    limiter.reset()

    # A member of the public, not signed in, on the 信用记录 page
    public = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    public.goto("/public/records")
    assert "ZZ-BAD-1" in public.inner_text(f"#record-{record_id}")
    _object(public, record_id, "郑州某某建筑公司", "请核实。")  # too short: refused, nothing saved
    public.wait_for_selector("text=请说明异议的事实和理由")
    # …and what was typed is still there, in the form left open
    row = public.locator(f"#record-{record_id} + tr.objection-row")
    assert row.locator("textarea[name=reason]").input_value() == "请核实。"
    assert row.locator("input[name=objector]").input_value() == "郑州某某建筑公司"
    _object(public, record_id, "郑州某某建筑公司", REASON)
    public.wait_for_selector("text=异议已提交，将由批准该记录的主管部门核实答复。")
    db.session.rollback()  # see what the server committed
    assert db.session.query(RecordObjection).count() == 1
    # the form is rate-limited (5 objections an hour per address), but a refusal costs no
    # attempt: five mistakes later the visitor is still told what to correct
    for _ in range(5):
        _object(public, record_id, "张三", "短")
        public.wait_for_selector("text=请说明异议的事实和理由")
    assert "操作过于频繁" not in public.content()
    db.session.rollback()
    assert db.session.query(RecordObjection).count() == 1

    # The approving tier (郑州市's reviewer, who checked the report) answers it: upheld
    browser_login(page, "reviewer_410100", TEST_PASSWORD)
    page.goto("/publication/")
    page.click("#objections-link")
    row = page.locator("#objections-table tbody tr").first
    assert "郑州某某建筑公司" in row.inner_text() and "补交监理签认材料" in row.inner_text()
    row.locator("select[name=outcome]").select_option("upheld")
    row.locator("textarea[name=answer]").fill("经复核，补交材料属实，撤销该记录。")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("text=已答复异议。")
    assert "已撤下：异议成立，撤下" in page.inner_text("#objections-table")

    # …and the record is no longer on the public page
    limiter.reset()
    public.goto("/public/records")
    assert public.locator(f"#record-{record_id}").count() == 0
    assert "ZZ-BAD-1" not in public.inner_text("#records-table")
