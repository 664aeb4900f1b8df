"""延期: a report's deadline moves only through an audited operation by the upper level or an
administrator (issue 13: "a deadline changes only through an audited 延期 operation by the
upper level or an administrator").  The reminder and deadline timers follow the new date."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.reports.conftest import draft
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.engine import run_timers
from webapp.engine.models import HumanTask, ProcessInstance
from webapp.extensions import db

PERIOD = "2026Q3"


@pytest.fixture
def opened(workflows, oracle, api, app, monkeypatch):
    monkeypatch.setitem(app.config, "API_TOKEN_HOURS", 24 * 365)  # the clock jumps weeks
    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    return api("clerk", "410102").report("410102")


def _extend(user, report_id: int, due: str, reason: str = "县区数据核查，需延期", status=200):
    return user.send(
        "POST",
        f"/api/v1/reports/{report_id}/deadline",
        {"due_date": due, "reason": reason},
        status=status,
    )


def test_the_city_extends_and_the_timers_follow(opened, api):
    city = api("reviewer", "410100")
    result = _extend(city, opened["id"], "2026-10-15")
    assert result["due_at"].startswith("2026-10-15T15:59:59")  # 23:59:59 Asia/Shanghai
    db.session.commit()
    instance = db.session.get(ProcessInstance, opened["instance_id"])
    assert instance.subject["due_at"].startswith("2026-10-15T15:59:59")
    task = db.session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "ready")
    ).scalar_one()
    assert clock.to_local(task.due_at).date().isoformat() == "2026-10-15"
    record = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "report.extend")
    ).scalar_one()
    assert record.message == "县区数据核查，需延期"
    assert record.before["due_at"].startswith("2026-09-30")

    clerk = api("clerk", "410102")
    clock.set_now(datetime(2026, 10, 2, 9, 0, tzinfo=clock.LOCAL_TZ))  # past the old date
    run_timers()
    db.session.commit()
    assert clerk.report("410102")["state"] == "drafting"  # not overdue: the new date holds
    clock.set_now(datetime(2026, 10, 16, 0, 5, tzinfo=clock.LOCAL_TZ))
    run_timers()
    db.session.commit()
    assert clerk.report("410102")["state"] == "overdue"


def test_only_the_upper_level_or_an_administrator_may_extend(opened, api):
    for role, code in (("clerk", "410102"), ("reviewer", "410102")):
        _extend(api(role, code), opened["id"], "2026-10-15", status=403)
    # a sibling county may not even see the report: answered as a missing one
    _extend(api("reviewer", "410103"), opened["id"], "2026-10-15", status=404)
    _extend(api("admin", "410000"), opened["id"], "2026-10-15")
    _extend(api("leader", "410000"), opened["id"], "2026-10-20")  # the province is above too


def test_a_bad_extension_changes_nothing(opened, api):
    city = api("reviewer", "410100")
    _extend(city, opened["id"], "2026-10-15", reason="", status=422)
    _extend(city, opened["id"], "2026-09-25", status=422)  # earlier than the current due date
    # a deadline moves within the year (today is 2026-09-20): 2999 was accepted
    late = _extend(city, opened["id"], "2999-01-01", status=422)
    assert late["message"] == "新的截止日期不能晚于 2027-09-20（一年以内）。"
    clock.set_now(datetime(2026, 10, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    _extend(city, opened["id"], "2026-10-10", status=422)  # already past
    db.session.commit()
    instance = db.session.get(ProcessInstance, opened["instance_id"])
    assert instance.subject["due_at"].startswith("2026-09-30")


def test_a_report_sent_up_cannot_be_extended(opened, api):
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    _extend(api("reviewer", "410100"), opened["id"], "2026-10-15", status=409)


def test_the_page_offers_extension_to_the_upper_level_only(opened, app, make_user):
    make_user("reviewer", "410100", username="zz_reviewer_page")
    make_user("clerk", "410102", username="zy_clerk_page")
    city, county = app.test_client(), app.test_client()
    login(city, "zz_reviewer_page")
    login(county, "zy_clerk_page")
    assert 'id="extend-form"' in city.get(f"/reports/{opened['id']}").get_data(as_text=True)
    assert 'id="extend-form"' not in county.get(f"/reports/{opened['id']}").get_data(as_text=True)
