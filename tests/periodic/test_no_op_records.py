"""An audit record says what changed (the auditor's outside pass, 2026-12-07): opening a period
every unit has open already, by hand or by the scheduler's catch-up, changes nothing and writes
no ``*.open_period`` record (it wrote one saying ``opened: 0`` on every scheduler pass)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from tests.conftest import ROOT
from webapp.core import audit, clock
from webapp.core.models import AuditRecord
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.reports.deadlines import open_windows
from webapp.reports.operations import open_current_windows, open_period


def _records(action: str | None = None) -> int:
    query = select(func.count(AuditRecord.id))
    if action is not None:
        query = query.where(AuditRecord.action == action)
    return db.session.execute(query).scalar_one()


def _deploy() -> None:
    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    db.session.commit()


def test_opening_an_open_period_again_records_nothing(make_user):
    _deploy()
    admin = make_user("admin", "410000")
    first = open_period(admin, "2026Q3")
    db.session.commit()
    assert first["opened"] > 0 and _records("report.open_period") == 1
    before = _records()
    again = open_period(admin, "2026Q3")
    db.session.commit()
    assert again["opened"] == 0 and again["existing"] == first["opened"]
    assert _records() == before  # no record at all: nothing changed
    assert audit.verify_chain().ok


def test_the_schedulers_catch_up_records_only_what_it_opened():
    _deploy()
    now = datetime(2026, 9, 20, 2, 0, tzinfo=clock.UTC)  # 2026Q3 window opened 09-16
    periods = open_windows(now)
    assert periods
    opened = open_current_windows(now)
    db.session.commit()
    assert all(opened[p] > 0 for p in periods)
    assert _records("report.open_period") == len(periods)
    before = _records()
    assert open_current_windows(now) == dict.fromkeys(periods, 0)
    db.session.commit()
    assert _records() == before
