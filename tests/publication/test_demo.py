"""The demo shows the publication of issue 15: reports with the outcome-only index, records in
publicity at the tier that approved them, one withdrawn after an objection, one objection open."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tests.conftest import ROOT
from webapp.core import clock
from webapp.core.demo import seed_demo
from webapp.core.operations import get_org
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.ledger.demo import seed_demo_ledger
from webapp.publication.demo import seed_publication
from webapp.publication.index import METHOD
from webapp.publication.models import PublishedRecord, RecordObjection
from webapp.publication.operations import find_publication
from webapp.publication.publicity import UPHELD
from webapp.publication.state import publication_state
from webapp.reports.demo import seed_history
from webapp.reports.operations import open_period


def test_demo_publishes_records_an_objection_and_the_index(client):
    """domain.md §6 Decisions (records, quality index) as the demo province shows them."""
    today = datetime(2026, 12, 6, 9, 0, tzinfo=clock.LOCAL_TZ)
    clock.set_now(today)
    seed_demo("Demo@2026")
    seed_demo_ledger()
    for name in ("quarterly_report.bpmn", "publication.bpmn"):
        deploy_bpmn(None, None, (ROOT / "workflows" / name).read_bytes())
    db.session.commit()
    open_period(None, "2026Q4")
    seed_history()
    db.session.commit()

    done = seed_publication()
    db.session.commit()
    assert clock.now() == today.astimezone(clock.UTC)
    assert done["period"] == "2026H1" and "河南省" in done["published"]
    assert len(done["published"]) == 4 and done["objections"] == 2
    province = find_publication(get_org("410000"), "2026H1")
    index = province.snapshot["figures"]["index"]
    assert index["method"] == METHOD and index["value"] is not None
    assert len(province.snapshot["figures"]["unit_indexes"]) == 28  # 18 cities, 10 直管县
    # 郑州市 is left drafting for the README's journey.
    assert publication_state(find_publication(get_org("410100"), "2026H1")).value == "drafting"
    records = list(db.session.execute(select(PublishedRecord)).scalars())
    withdrawn = [r for r in records if r.withdrawn_at is not None]
    assert len(withdrawn) == 1 and withdrawn[0].withdrawal_reason == UPHELD
    public = client.get("/api/v1/public/records").get_json()
    assert public["total"] == len(records) - 1 >= 2
    assert all(r["person_name"] and r["public_until"] for r in public["items"])
    waiting = db.session.execute(
        select(RecordObjection).where(RecordObjection.answered_at.is_(None))
    ).scalars()
    assert len(list(waiting)) == 1
    # Idempotent.
    assert seed_publication()["published"] == []
