"""report_schedule.bpmn opens each reporting window by itself (timer, frozen clock)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from tests.conftest import ROOT
from webapp.core import clock
from webapp.engine import deploy_bpmn, run_timers, start_instance
from webapp.engine.models import ProcessInstance
from webapp.extensions import db
from webapp.reports.models import Report


def _reports(period: str) -> int:
    return db.session.execute(
        select(func.count(Report.id)).where(Report.period == period)
    ).scalar_one()


def _drain() -> None:
    """Run worker passes until nothing is due (a pass takes at most 50 instances)."""
    while run_timers()["instances"]:
        db.session.commit()
    db.session.commit()


def test_windows_open_in_turn(org):
    for name in ("quarterly_report", "report_schedule"):
        deploy_bpmn(None, None, (ROOT / "workflows" / f"{name}.bpmn").read_bytes())
    clock.set_now(datetime(2026, 9, 10, 12, 0, tzinfo=clock.LOCAL_TZ))
    instance = start_instance(
        None, "report_schedule", org("410000"), "report-schedule", existing_ok=True
    )
    db.session.commit()
    assert instance.data["next_period"] == "2026Q3"  # opens 15 days before 09-30
    assert instance.data["next_open_at"] == "2026-09-14T16:00:00+00:00"
    run_timers()
    db.session.commit()
    assert _reports("2026Q3") == 0  # not yet
    clock.set_now(datetime(2026, 9, 15, 0, 1, tzinfo=clock.LOCAL_TZ))
    run_timers()
    db.session.commit()
    assert _reports("2026Q3") == 62
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance.id)
    assert instance.data["next_period"] == "2026"  # the annual window opens on 12-01
    clock.set_now(datetime(2026, 12, 1, 0, 1, tzinfo=clock.LOCAL_TZ))
    _drain()
    assert _reports("2026") == 29  # province, cities and directly administered counties
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance.id).data["next_period"] == "2026Q4"


def _start_schedule(org, when: datetime) -> ProcessInstance:
    for name in ("quarterly_report", "report_schedule"):
        deploy_bpmn(None, None, (ROOT / "workflows" / f"{name}.bpmn").read_bytes())
    clock.set_now(when)
    instance = start_instance(
        None, "report_schedule", org("410000"), "report-schedule", existing_ok=True
    )
    db.session.commit()
    return instance


def test_a_window_already_open_at_start_is_opened_not_skipped(org):
    """domain.md §5: "A window already open when the system starts (for example the annual
    window that opens 12-01) is opened at once, not skipped."  Started on 12-06."""
    instance = _start_schedule(org, datetime(2026, 12, 6, 9, 0, tzinfo=clock.LOCAL_TZ))
    assert _reports("2026") == 29
    assert _reports("2026Q4") == 0  # its window opens on 12-16
    assert instance.data["next_period"] == "2026Q4"
    assert instance.data["opened_windows"] == {"2026": 29}


def test_a_window_past_its_due_date_is_left_to_an_administrator(org):
    """Issue 15: "a window whose due date has passed is opened only by an administrator"."""
    _start_schedule(org, datetime(2026, 12, 21, 9, 0, tzinfo=clock.LOCAL_TZ))
    assert _reports("2026") == 0  # the annual report was due 12-20
    assert _reports("2026Q4") == 62  # open since 12-16, due 12-31


def test_units_already_past_their_own_due_date_are_skipped(app, org):
    """Due dates are per tier (spec §3): with counties due 10 days early, a start on 12-25
    opens Q4 for every unit but the counties (due 12-21)."""
    offsets = app.config["REPORT_DUE_OFFSET_DAYS"]
    app.config["REPORT_DUE_OFFSET_DAYS"] = {**offsets, "county": 10}
    try:
        _start_schedule(org, datetime(2026, 12, 25, 9, 0, tzinfo=clock.LOCAL_TZ))
    finally:
        app.config["REPORT_DUE_OFFSET_DAYS"] = offsets
    assert _reports("2026Q4") == 62 - 33  # the 33 counties and districts are left alone


def test_a_late_timer_opens_what_is_open_then_not_what_it_waited_for(org):
    """The worker was down from before the Q3 window until December: Q3 is past due and is
    not opened by the late firing; the annual window, open now, is."""
    instance = _start_schedule(org, datetime(2026, 9, 1, 9, 0, tzinfo=clock.LOCAL_TZ))
    assert instance.data["next_period"] == "2026Q3"
    clock.set_now(datetime(2026, 12, 2, 9, 0, tzinfo=clock.LOCAL_TZ))
    _drain()
    assert _reports("2026Q3") == 0
    assert _reports("2026") == 29
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance.id).data["next_period"] == "2026Q4"
