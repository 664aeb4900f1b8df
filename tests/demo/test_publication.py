"""The demo shows the publication of issue 15: reports with the outcome-only index, records in
publicity at the tier that approved them, one withdrawn after an objection, one objection open."""

from __future__ import annotations

from sqlalchemy import select

from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.publication.demo import seed_publication
from webapp.publication.index import METHOD
from webapp.publication.models import PublishedRecord, RecordObjection
from webapp.publication.operations import find_publication
from webapp.publication.publicity import UPHELD
from webapp.publication.state import publication_state


def test_demo_publishes_records_an_objection_and_the_index(demo, client):
    """domain.md §6 Decisions (records, quality index) as the demo province shows them."""
    assert "演示公开：2026H1 已发布 4 份报告（" in demo["publication demo"]
    assert "河南省" in demo["publication demo"] and "信用记录异议 2 件" in demo["publication demo"]
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
