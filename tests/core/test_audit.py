from __future__ import annotations

import pytest
from sqlalchemy import select, text

from webapp.core import audit
from webapp.core.models import AuditRecord
from webapp.extensions import db


def _chain(n: int = 5) -> list[AuditRecord]:
    for i in range(n):
        audit.record(
            "test.event",
            actor_name="tester",
            org="410102",
            object_type="thing",
            object_id=i,
            before={"n": i},
            after={"n": i + 1, "名称": "中原区"},
        )
    db.session.commit()
    return list(db.session.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars())


def _raw(sql: str, **params: object) -> None:
    """Tamper below the application, as an attacker with database access would."""
    db.session.commit()  # end the test's read snapshot so it sees the tampering
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_no_change"))
        conn.execute(text(sql), params)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_no_change"))


def test_chain_verifies_and_links():
    records = _chain()
    assert records[0].prev_hash == audit.GENESIS
    for prev, rec in zip(records, records[1:], strict=False):
        assert rec.prev_hash == prev.hash
    report = audit.verify_chain()
    assert report.ok and report.records == 5 and report.first_broken is None


def test_edited_record_is_detected():
    records = _chain()
    _raw("UPDATE audit_record SET after = :v WHERE id = :id", v='{"n": 999}', id=records[2].id)
    db.session.expire_all()
    report = audit.verify_chain()
    assert not report.ok and report.first_broken == records[2].id


def test_deleted_record_is_detected():
    records = _chain()
    _raw("DELETE FROM audit_record WHERE id = :id", id=records[1].id)
    report = audit.verify_chain()
    assert not report.ok and report.first_broken == records[2].id


def test_inserted_record_is_detected():
    records = _chain(3)
    _raw(
        "INSERT INTO audit_record (id, created_at, actor_name, action, prev_hash, hash) "
        "VALUES (:id, :ts, 'intruder', 'fake', :prev, :h)",
        id=records[-1].id + 10,
        ts=records[-1].created_at,
        prev=records[-1].hash,
        h="f" * 64,
    )
    report = audit.verify_chain()
    assert not report.ok and report.first_broken == records[-1].id + 10


def test_cli_verify(app):
    _chain(2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify", "--json"])
    assert result.exit_code == 0 and '"ok": true' in result.output


def test_postgres_trigger_refuses_update_and_delete():
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "the append-only trigger exists on PostgreSQL only (SQLite relies on the chain)"
        )
    records = _chain(1)
    from sqlalchemy.exc import DBAPIError

    for sql in ("UPDATE audit_record SET action = 'x'", "DELETE FROM audit_record"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(sql))
    assert audit.verify_chain().records == len(records)
