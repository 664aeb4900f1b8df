"""The migration to records publicity and the outcome-only index (issue 15, domain.md §6
Decisions "records" and "quality index"): a record already published gets the tier of the report
that published it and a publicity period counted from that report's publication date ("6 months for
a bad record, 3 years for a good one"); an index stored with the retired formula ("records and
penalties found by supervisors must not lower it") is kept aside, never shown again; and back down.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.migration_db import app_at
from webapp.extensions import db

BEFORE = "b7d41c2e9a10"  # archive: the last revision before records publicity
REVISION = "9fce0aadddba"  # publication: records publicity, objections, outcome-only index
SCHEMA = "h1_publicity_migration"
AT = datetime(2026, 7, 10, 2, 30, tzinfo=UTC)
OLD_INDEX = {"value": "87.50", "inputs": {"bad_records": 3, "penalties": 1}}


@pytest.fixture
def old_app(tmp_path) -> Iterator[Flask]:
    yield from app_at(BEFORE, SCHEMA, tmp_path)


def _insert_old_rows() -> dict[str, int]:
    meta = sa.MetaData()
    meta.reflect(bind=db.engine, only=("org", "publication", "published_record"))
    org, publication, record = (meta.tables[n] for n in ("org", "publication", "published_record"))
    with db.engine.begin() as conn:
        org_id = conn.execute(
            org.insert().values(code="410100", name="郑州市", tier="city", path="410100/", depth=0)
        ).inserted_primary_key[0]
        snapshot = {"figures": {"index": OLD_INDEX, "bad_records": 3}, "previous": {"index": "80"}}
        pub_id = conn.execute(
            publication.insert().values(
                org_id=org_id, period="2026H1", opened_at=AT, published_at=AT,
                publication_date=date(2026, 8, 31), sections={}, snapshot=snapshot,
            )
        ).inserted_primary_key[0]  # fmt: skip
        ids = {"org": org_id, "pub": pub_id}
        for kind in ("bad", "good"):
            ids[kind] = conn.execute(
                record.insert().values(
                    publication_id=pub_id, kind=kind, record_no=f"R-{kind}",
                    enterprise="某建设公司",
                    unit_type="施工单位", project_name="某工程", fact="未按图施工", clause="第十条",
                    recorded_on=date(2026, 5, 1), authority="郑州市",
                )
            ).inserted_primary_key[0]  # fmt: skip
    return ids


def test_published_records_get_their_tier_and_period_and_the_old_index_is_retired(old_app):
    from flask_migrate import downgrade, upgrade

    with old_app.app_context():
        ids = _insert_old_rows()
        upgrade(revision=REVISION)
        with db.engine.connect() as conn:
            rows = {
                r.id: r
                for r in conn.execute(
                    sa.text("SELECT id, org_id, public_until, person_name FROM published_record")
                )
            }
            snapshot = conn.execute(
                sa.text("SELECT snapshot FROM publication WHERE id = :id"), {"id": ids["pub"]}
            ).scalar_one()
        assert {r.org_id for r in rows.values()} == {ids["org"]}
        until = {k: rows[ids[k]].public_until for k in ("bad", "good")}
        # 2026-08-31 + 6 months: February has no 31st, so its last day.
        assert [str(until["bad"]), str(until["good"])] == ["2027-02-28", "2029-08-31"]
        assert {r.person_name for r in rows.values()} == {""}
        if isinstance(snapshot, str):  # SQLite hands JSON back as text through sa.text
            import json

            snapshot = json.loads(snapshot)
        figures = snapshot["figures"]
        assert figures["index"] is None and figures["index_retired"] == OLD_INDEX
        assert figures["unit_indexes"] == [] and snapshot["previous"]["index"] is None
        db.session.remove()

        downgrade(revision=BEFORE)
        inspector = sa.inspect(db.engine)
        assert "record_objection" not in inspector.get_table_names()
        columns = {c["name"] for c in inspector.get_columns("published_record")}
        assert not columns & {"org_id", "public_until", "person_name", "withdrawn_at"}
        db.session.remove()
