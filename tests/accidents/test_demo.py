"""The demo (Done when): a county's 较大 accident; city and province each had a 2-hour task, the
province recorded the Ministry report, a 续报 added an injured person, and 附表5 shows it."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import ROOT
from webapp.core import clock
from webapp.core.demo import seed_demo
from webapp.engine import deploy_bpmn
from webapp.extensions import db


def test_demo_accident_goes_up_and_appears_in_table5():
    from webapp.accidents.demo import seed_accident
    from webapp.accidents.models import Accident
    from webapp.core.operations import get_org
    from webapp.stats.periods import parse_period
    from webapp.stats.tables import summary_table

    clock.set_now(datetime(2026, 11, 28, 9, 0, tzinfo=clock.LOCAL_TZ))
    seed_demo("Demo@2026")
    deploy_bpmn(None, None, (ROOT / "workflows" / "accident_report.bpmn").read_bytes())
    db.session.commit()
    accident_id = seed_accident()
    db.session.commit()
    assert seed_accident() is None  # idempotent
    accident = db.session.get(Accident, accident_id)
    assert accident.level == "较大" and accident.serious_injuries == 5
    first, followup = accident.reports
    assert [s.org.code for s in first.steps] == ["410102", "410100", "410000"]
    assert all(s.forwarded_at and s.due_at for s in first.steps)
    assert all((s.due_at - s.received_at).total_seconds() == 7200 for s in first.steps)
    assert first.ministry_channel == "网络直报"
    assert followup.steps[1].forwarded_at is None and followup.steps[1].received_at
    row = next(
        r
        for r in summary_table(get_org("410100"), parse_period("2026Q4"))["rows"]
        if r["org_code"] == "410102"
    )
    assert row["accidents"]["count"] == 1 and row["accidents"]["deaths"] == 3
