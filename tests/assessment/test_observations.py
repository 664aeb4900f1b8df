"""日常考察: the province assessors' log through the year, shown to the unit after the campaign.

附件3: "采取日常考察与年终检查相结合的方式"; issue 15: "province assessors keep a 日常考察 log
through the year (date, unit, observation, assessor), which the unit sees only after the
campaign ends".
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.assessment import flow_helpers as step
from webapp.assessment import operations
from webapp.core import clock
from webapp.core.errors import InvalidInput, PermissionDenied
from webapp.core.models import AuditRecord
from webapp.extensions import db


def test_assessors_log_units_see_theirs_only_after_the_results(
    province_staff, make_user, sheets, workflows, ledger_stub
):
    clock.set_now(datetime(2025, 6, 20, 2, tzinfo=UTC))
    assessor = province_staff["assessor"]
    row = operations.record_observation(
        assessor, "410100", observed_on=date(2025, 6, 18), observation="质量监督档案齐全"
    )
    operations.record_observation(
        assessor, "410200", observed_on=date(2025, 6, 19), observation="未按期开展巡查"
    )
    db.session.commit()
    assert row.year == 2025 and row.assessor_id == assessor.id
    rec = db.session.query(AuditRecord).filter_by(action="assessment.observation_add").first()
    assert rec.after["observed_org"] == "410100" and rec.after["observed_on"] == "2025-06-18"
    with pytest.raises(InvalidInput, match="晚于今天"):
        operations.record_observation(
            assessor, "410100", observed_on=date(2025, 6, 21), observation="x"
        )
    with pytest.raises(InvalidInput, match="请填写考察情况"):
        operations.record_observation(
            assessor, "410100", observed_on=date(2025, 6, 1), observation=" "
        )
    with pytest.raises(InvalidInput, match="省辖市或省直管县"):
        operations.record_observation(
            assessor, "410102", observed_on=date(2025, 6, 1), observation="区"
        )
    zz_clerk = make_user("clerk", "410100")
    with pytest.raises(PermissionDenied):
        operations.record_observation(
            zz_clerk, "410100", observed_on=date(2025, 6, 1), observation="自己记录"
        )
    db.session.rollback()

    # during the year and the campaign: the province sees all, the unit nothing
    assert len(operations.observations(assessor, 2025)) == 2
    assert operations.observations(zz_clerk, 2025) == []
    assert not operations.observations_visible(zz_clerk, zz_clerk.org_id, 2025)

    clock.set_now(datetime(2026, 2, 10, 2, tzinfo=UTC))
    campaign = step.run_to_ranking(
        province_staff["admin"], assessor, province_staff["reviewer"], year=2025
    )
    assert operations.observations(zz_clerk, 2025) == []  # ranked, not yet approved
    step.approve_results(province_staff["leader"], campaign, "同意")
    db.session.commit()
    # after the results: the unit sees its own entries, never another unit's
    [own] = operations.observations(zz_clerk, 2025)
    assert own.observation == "质量监督档案齐全"


def test_the_page_records_and_hides(province_staff, sheets, logged_in):
    """The assessor's page has the form; a unit's page says when it will see the log."""
    clock.set_now(datetime(2025, 6, 20, 2, tzinfo=UTC))
    client = logged_in("assessor", "410000", "assessor8_410000")
    html = client.get("/assessment/observations").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post(
        "/assessment/observations",
        data={
            "csrf_token": token,
            "observed_on": "2025-06-19",
            "org_code": "411381",
            "observation": "邓州市保障房项目分户验收资料不全",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已记录日常考察" in done and "邓州市保障房项目分户验收资料不全" in done


def test_a_units_page_says_when_it_will_see_the_log(province_staff, sheets, logged_in):
    clock.set_now(datetime(2025, 6, 20, 2, tzinfo=UTC))
    operations.record_observation(
        province_staff["assessor"],
        "411381",
        observed_on=date(2025, 6, 19),
        observation="邓州市保障房项目分户验收资料不全",
    )
    db.session.commit()
    unit = logged_in("clerk", "411381", "clerk8_411381")
    page = unit.get("/assessment/observations?year=2025").get_data(as_text=True)
    assert 'id="observations-hidden"' in page and "分户验收资料不全" not in page
