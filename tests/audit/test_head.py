"""The chain's head (``audit_head``): kept in the records' own transaction, so verify knows the
end of the trail exactly on both databases (the auditor's outside pass, 2026-12-07).

Before, verify compared the last record with the database's id counter.  PostgreSQL's sequence
moves on for a failed commit too: verify then raised a false 审计记录被删除 until the next record
was written, and a real cut followed by new writes could not be told from it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from webapp.core import audit
from webapp.core.models import AuditHead, AuditRecord
from webapp.extensions import db


def _write(n: int = 1, action: str = "test.event") -> None:
    for i in range(n):
        audit.record(action, actor_name="tester", object_type="thing", object_id=i)
    db.session.commit()


def _ids() -> list[int]:
    return list(db.session.execute(select(AuditRecord.id).order_by(AuditRecord.id)).scalars())


def _raw(sql: str, **params: object) -> None:
    """Tamper below the application (the head has no trigger of its own to switch off)."""
    db.session.commit()
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_no_change"))
        conn.execute(text(sql), params)
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_no_change"))


class _FailAtCommit(RuntimeError):
    pass


def _fail_after_the_audit_insert(session: Session) -> None:
    # Listened after the audit trail's own before_commit: its INSERT has been sent.
    raise _FailAtCommit("the commit fails after the records were inserted")


def test_a_commit_that_fails_after_writing_its_records_leaves_no_false_alarm():
    _write(2)
    audit.record("test.lost", actor_name="tester")
    event.listen(Session, "before_commit", _fail_after_the_audit_insert)
    try:
        with pytest.raises(_FailAtCommit):
            db.session.commit()
    finally:
        event.remove(Session, "before_commit", _fail_after_the_audit_insert)
    db.session.rollback()
    report = audit.verify_chain()
    assert report.ok and report.records == 2, report
    # The next record takes the number the failed one had: no gap, on either database.
    _write(1)
    assert _ids() == [1, 2, 3]
    assert audit.verify_chain().ok


def test_records_written_then_rolled_back_leave_no_false_alarm():
    _write(1)
    audit.record("test.undone", actor_name="tester")
    audit.record("test.undone", actor_name="tester")
    audit.write_pending()  # INSERTed (PostgreSQL's sequence used to move on here)
    assert db.session.execute(select(AuditHead.last_id)).scalar_one() == 3
    db.session.rollback()
    report = audit.verify_chain()
    assert report.ok and report.records == 1, report
    head = audit.read_head()
    assert head is not None and (head.last_id, head.records) == (1, 1)
    _write(1)
    assert _ids() == [1, 2]
    assert audit.verify_chain().ok


def test_the_head_follows_every_insert_in_the_same_transaction():
    _write(3)
    last = db.session.execute(select(AuditRecord).order_by(AuditRecord.id.desc())).scalars().first()
    head = audit.read_head()
    assert head == audit.Head(last.id, last.hash, 3, 0)
    # Many records in one transaction: one multi-row INSERT, the head at its last.
    _write(7)
    head = audit.read_head()
    assert head is not None and (head.last_id, head.records) == (10, 10)
    assert _ids() == list(range(1, 11))
    assert audit.verify_chain().ok


def test_a_tail_cut_followed_by_new_writes_is_detected_on_both_databases():
    _write(4)
    _raw("DELETE FROM audit_record WHERE id > 2")
    _write(1)  # numbered and linked from the head: after the records that were cut
    assert _ids() == [1, 2, 5]
    report = audit.verify_chain()
    assert not report.ok and report.first_broken == 5, report
    assert "哈希不衔接" in report.reason


def test_a_cut_whose_later_records_were_rehashed_shows_as_a_gap():
    """Records 2-3 deleted, 4 rewritten to link to 1, and the head rewritten to match: the ids
    the head hands out have no gap, so the gap names the deletion."""
    _write(4)
    rows = db.session.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars().all()
    fourth = rows[3]
    new_hash = audit.compute_hash(rows[0].hash, fourth)
    _raw("DELETE FROM audit_record WHERE id IN (2, 3)")
    _raw(
        "UPDATE audit_record SET prev_hash = :p, hash = :h WHERE id = 4",
        p=rows[0].hash,
        h=new_hash,
    )
    _raw("UPDATE audit_head SET last_hash = :h, records = 2", h=new_hash)
    report = audit.verify_chain()
    assert not report.ok and report.deleted and report.first_broken == 2, report
    assert report.reason == "审计记录被删除：id=2 至 3 的记录不存在"


def test_a_head_that_does_not_match_the_last_record_is_reported():
    _write(3)
    _raw("UPDATE audit_head SET last_hash = :h", h="e" * 64)
    report = audit.verify_chain()
    assert not report.ok and report.first_broken == 3
    assert "审计链头与最后一条记录 id=3 的哈希不符" in report.reason


def test_a_head_whose_count_does_not_match_is_reported():
    _write(3)
    _raw("UPDATE audit_head SET records = 5")
    report = audit.verify_chain()
    assert not report.ok and "审计链头记载共 5 条记录，现存 3 条" in report.reason


def test_a_head_set_back_leaves_a_record_beyond_it():
    _write(3)
    second = db.session.execute(select(AuditRecord).where(AuditRecord.id == 2)).scalar_one()
    _raw("UPDATE audit_head SET last_id = 2, last_hash = :h, records = 2", h=second.hash)
    report = audit.verify_chain()
    assert not report.ok and report.first_broken == 3, report
    assert "审计链头之后还有记录 id=3" in report.reason


def test_a_deleted_head_is_reported_and_stops_writing(app):
    _write(2)
    _raw("DELETE FROM audit_head")
    try:
        report = audit.verify_chain()
        assert not report.ok and "审计链头（audit_head）缺失" in report.reason
        out = app.test_cli_runner().invoke(args=["audit", "verify"])
        assert out.exit_code == 1 and "审计链头（audit_head）缺失" in out.output
        audit.record("test.nowhere", actor_name="tester")
        with pytest.raises(audit.MissingAuditHead):
            db.session.commit()
        db.session.rollback()
    finally:
        _raw(
            "INSERT INTO audit_head (id, last_id, last_hash, records, gapless_after) "
            "SELECT 1, 0, :g, 0, 0",
            g=audit.GENESIS,
        )


# The migration: the head filled from the records present ---------------------------------------
@pytest.fixture
def old_app(tmp_path):
    """An app on a database of its own, migrated up to just before the head."""
    from tests.migration_db import app_at

    yield from app_at("6a1f0c2d9e58", "h1_audit_head_migration", tmp_path)


def test_the_migration_fills_the_head_from_the_records(old_app):
    from flask_migrate import upgrade

    from tests.migration_db import write_old_record

    with old_app.app_context():
        # Records as the old code wrote them (ids from the database's counter).
        for i in range(3):
            if i == 2 and db.engine.dialect.name == "postgresql":
                # A failed commit's number, used up: a gap the old ids may have.
                db.session.execute(
                    text("SELECT nextval(pg_get_serial_sequence('audit_record', 'id'))")
                )
            prev = write_old_record("test.old").hash
        db.session.commit()
        old_ids = _ids()
        db.session.commit()  # the next read sees the migrated schema
        upgrade()
        head = audit.read_head()
        gapless_after = old_ids[-1] if db.engine.dialect.name == "postgresql" else 0
        assert head == audit.Head(old_ids[-1], prev, 3, gapless_after)
        assert audit.verify_chain().ok
        _write(2)
        assert _ids() == [*old_ids, old_ids[-1] + 1, old_ids[-1] + 2]
        report = audit.verify_chain()
        assert report.ok and report.records == 5, report
        db.session.remove()
