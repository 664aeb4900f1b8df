"""Opening a campaign after its due date, and the assessment windows.

附件2 三、（一）: "…于11月30日前将全年活动情况书面上报省厅活动领导小组办公室"; （二）: "省厅
成立考核组，在12月份，对各省辖市、省直管县（市）住房城乡建设主管部门工作情况进行考核"; 附件3:
"考核时限。次年第一季度对本年度工作情况进行考核". Issue 15: "Opening a campaign after its
deadline asks for a new deadline instead of marking every unit overdue at once; the December
(附件2) and first-quarter (附件3) windows are shown and warned about when missed."
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.assessment.flow_helpers import run_to_ranking
from webapp.assessment import operations
from webapp.assessment.models import AssessmentCampaign
from webapp.core import clock
from webapp.core.errors import InvalidInput
from webapp.extensions import db


def at(day: str) -> None:
    clock.set_now(datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC))


def test_opening_after_the_due_date_asks_for_a_new_one(sheets, workflows, province_staff):
    """On 12-06 the default 11-30 has passed: refused, naming the date; a new due date (not in
    the past) opens it, and no unit is overdue."""
    from webapp.assessment.flow import start_campaign

    at("2026-12-06")
    admin = province_staff["admin"]
    with pytest.raises(InvalidInput) as err:
        start_campaign(admin, "fujian2", 2026, ask_new_due=True)
    assert "2026-11-30 已过" in err.value.message and "请填写新的截止日" in err.value.message
    db.session.rollback()
    with pytest.raises(InvalidInput, match="早于今天"):
        start_campaign(admin, "fujian2", 2026, ask_new_due=True, self_due=date(2026, 12, 5))
    db.session.rollback()
    assert db.session.query(AssessmentCampaign).count() == 0  # nothing half-saved
    campaign = start_campaign(admin, "fujian2", 2026, ask_new_due=True, self_due=date(2026, 12, 15))
    db.session.commit()
    assert campaign.self_due == date(2026, 12, 15)
    assert not any(u.self_overdue for u in campaign.units)


def test_the_page_and_the_api_ask_for_a_new_due_date(
    client, sheets, workflows, logged_in, api_token
):
    """Both edges refuse a past due date with the Chinese request (the API with 422)."""
    at("2026-12-06")
    admin = logged_in("admin", "410000")
    page = admin.get("/assessment/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    refused = admin.post(
        "/assessment/campaigns",
        data={"csrf_token": token, "kind": "fujian2", "year": "2026"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "请填写新的截止日" in refused
    headers = api_token("admin", "410000", "admin_api_410000")
    r = client.post(
        "/api/v1/assessment/campaigns", json={"kind": "fujian2", "year": 2026}, headers=headers
    )
    assert r.status_code == 422 and "已过" in r.get_json()["message"]
    ok = client.post(
        "/api/v1/assessment/campaigns",
        json={"kind": "fujian2", "year": 2026, "self_due": "2026-12-20"},
        headers=headers,
    )
    assert ok.status_code == 201, ok.get_json()


def test_windows_and_their_warnings(sheets, workflows, province_staff, logged_in):
    """附件2 2026: 2026-12-01..12-31; 附件3 2025: 2026-01-01..03-31.  On 2026-12-06 the 附件2
    window is open and not opened (warned); 附件3 of 2025 was missed (warned)."""
    w2 = operations.assessment_window("fujian2", 2026)
    w3 = operations.assessment_window("fujian3", 2025)
    assert (w2.start, w2.end) == (date(2026, 12, 1), date(2026, 12, 31))
    assert (w3.start, w3.end) == (date(2026, 1, 1), date(2026, 3, 31))
    at("2026-11-15")  # 附件2's December has not come: only the missed 附件3 is warned about
    [missed] = operations.due_windows([])
    assert "2025年度附件3" in missed and "已错过" in missed
    at("2026-12-06")
    warnings = operations.due_windows([])
    assert any("2025年度" in w and "已错过" in w and "尚未开启" in w for w in warnings)
    assert any("2026年度" in w and "12月" in w and "尚未开启" in w for w in warnings)
    html = (
        logged_in("assessor", "410000", "assessor9_410000")
        .get("/assessment/")
        .get_data(as_text=True)
    )
    assert html.count("window-warning") == 2 and "2026-12-01至2026-12-31" in html


def test_a_ranked_campaign_past_its_window_is_warned_an_approved_one_not(
    province_staff, sheets, workflows, ledger_stub
):
    """The campaign page shows its window; past it and not approved: warned."""
    at("2026-02-10")
    campaign = run_to_ranking(
        province_staff["admin"], province_staff["assessor"], province_staff["reviewer"]
    )
    db.session.commit()
    assert operations.window_warning("fujian3", 2025, campaign) == ""  # in Q1: no warning
    at("2026-04-02")
    assert "已错过，结果尚未审批" in operations.window_warning("fujian3", 2025, campaign)
