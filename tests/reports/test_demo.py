"""The demo history make run loads: 郑州's first two quarters accepted through the real flow."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import ROOT
from webapp.core import clock
from webapp.core.demo import seed_demo
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.ledger.demo import seed_demo_ledger
from webapp.reports.demo import seed_history


def test_demo_history_accepts_zhengzhou_q1_and_q2():
    clock.set_now(datetime(2026, 11, 28, 9, 0, tzinfo=clock.LOCAL_TZ))
    seed_demo("Demo@2026")
    assert seed_demo_ledger() > 600
    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    db.session.commit()
    assert seed_history() == ["2026Q1", "2026Q2"]
    db.session.commit()
    from webapp.core.operations import get_org
    from webapp.reports.operations import find_report

    for period in ("2026Q1", "2026Q2"):
        report = find_report(get_org("410100"), period, "quarterly")
        assert report.locked and report.accepted_snapshot is not None
        assert report.documents[-1].stage == "accepted"
    assert seed_history() == []  # idempotent
