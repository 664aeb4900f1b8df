"""report_schedule.bpmn opens each reporting window by itself (timer, frozen clock)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from tests.conftest import ROOT
from webapp.core import clock
from webapp.engine import deploy_bpmn, get_or_start_instance, run_timers
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
    instance = get_or_start_instance(None, "report_schedule", org("410000"), "report-schedule")
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
