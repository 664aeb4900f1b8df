"""The chain is linked at commit: ``audit.record`` buffers, the outermost commit writes.

No lock is held over the work that follows a record (the leader's results approval recorded
first and then laid out a Word notice for seconds while every audited write in the province
waited); a record made in a SAVEPOINT that rolls back goes with it; a transaction's records keep
their order and commit with its change, or neither does.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from webapp.core import audit
from webapp.core.models import AuditRecord, User
from webapp.extensions import db


def _actions() -> list[str]:
    """The trail's actions in chain (id) order, as committed."""
    db.session.commit()
    return list(db.session.execute(select(AuditRecord.action).order_by(AuditRecord.id)).scalars())


def _is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def test_a_record_takes_no_lock_until_commit_so_another_writer_does_not_wait(app, make_user):
    """Transaction A records (after a write of its own) and has not committed; B, on another
    connection, records and commits at once: it is not made to wait for A's lock.  A's record
    is then linked after B's."""
    if not _is_postgresql():
        pytest.skip("SQLite's writers are serial by BEGIN IMMEDIATE: B would wait for A's write")
    clerk = make_user("clerk", "410102")
    clerk.full_name = "甲的修改"
    db.session.flush()  # A has begun and written
    audit.record("test.a", actor=clerk, message="A, not yet committed")
    with app.app_context():  # B: its own session and connection
        free = db.session.execute(
            text("SELECT last_id FROM audit_head FOR UPDATE SKIP LOCKED")
        ).first()
        assert free is not None  # A holds no lock on the chain (its head row)
        db.session.rollback()
        # Before this change B waited here for A's commit; it would now fail instead of waiting.
        db.session.execute(text("SET LOCAL lock_timeout = '5s'"))
        audit.record("test.b", actor_name="b")
        db.session.commit()
        db.session.remove()
    db.session.commit()  # A
    assert _actions() == ["user.create", "test.b", "test.a"]
    assert audit.verify_chain().ok


def test_a_record_in_a_savepoint_rolled_back_is_gone():
    audit.record("test.before", actor_name="t")
    savepoint = db.session.begin_nested()
    audit.record("test.undone", actor_name="t")
    inner = db.session.begin_nested()
    audit.record("test.undone_inner", actor_name="t")
    inner.commit()
    savepoint.rollback()
    audit.record("test.after", actor_name="t")
    assert audit.pending_count() == 2
    assert _actions() == ["test.before", "test.after"]
    assert audit.verify_chain().ok


def test_a_record_in_a_committed_savepoint_goes_with_its_root():
    audit.record("test.kept_then_lost", actor_name="t")
    with db.session.begin_nested():
        audit.record("test.in_savepoint", actor_name="t")
    db.session.rollback()
    assert audit.pending_count() == 0
    assert _actions() == []
    # The next transaction does not carry them: it writes its own record only.
    audit.record("test.next", actor_name="t")
    assert _actions() == ["test.next"]


def test_records_of_a_transaction_keep_their_order_and_are_one_insert():
    """Several records (one in a committed SAVEPOINT, one in a rolled-back one inside it) are
    written at commit in the order they were made: the lock (PostgreSQL), the last hash, one
    INSERT."""
    audit.record("test.one", actor_name="t")
    returned = [audit.record("test.two", actor_name="t")]
    with db.session.begin_nested():
        returned.append(audit.record("test.three", actor_name="t"))
        try:
            with db.session.begin_nested():
                audit.record("test.dropped", actor_name="t")
                raise LookupError
        except LookupError:
            pass
    returned.append(audit.record("test.four", actor_name="t"))
    assert all(rec.id is None for rec in returned)  # nothing written yet
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    audit_sql = [s for s in sent if "audit_record" in s or "audit_head" in s]
    assert len(audit_sql) == 2, audit_sql  # the head (locked on PostgreSQL), the INSERT
    assert [s for s in sent if s.lstrip().upper().startswith("INSERT")].__len__() == 1
    assert _actions() == ["test.one", "test.two", "test.three", "test.four"]
    # What record() returned now carries its id and link, as stored.
    stored = {r.id: r for r in db.session.execute(select(AuditRecord)).scalars()}
    for rec in returned:
        assert (rec.prev_hash, rec.hash) == (stored[rec.id].prev_hash, stored[rec.id].hash)
    assert [rec.id for rec in returned] == sorted(rec.id for rec in returned)
    assert audit.verify_chain().ok


def test_a_change_and_its_record_commit_together_or_not_at_all(make_user):
    """A change that fails at commit (its flush breaks a unique constraint) leaves neither the
    change nor its record, and nothing pending for the next transaction."""
    first = make_user("clerk", "410102")
    second = make_user("clerk", "410103")
    before = _actions()
    audit.record("test.rename", actor=second, before={"username": "clerk_410103"})
    second.username = first.username
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert audit.pending_count() == 0
    assert _actions() == before
    assert db.session.get(User, second.id).username == "clerk_410103"
    assert audit.verify_chain().ok


def test_write_pending_lets_the_transaction_read_its_own_records():
    audit.record("test.read_back", actor_name="t")
    count = select(func.count(AuditRecord.id)).where(AuditRecord.action == "test.read_back")
    assert db.session.execute(count).scalar_one() == 0  # buffered until commit
    audit.write_pending()
    assert audit.pending_count() == 0
    assert db.session.execute(count).scalar_one() == 1
    audit.record("test.after_read", actor_name="t")
    assert _actions() == ["test.read_back", "test.after_read"]
    assert audit.verify_chain().ok


def test_a_commit_that_bypasses_the_hook_is_loud_and_loses_nothing(caplog):
    """The outermost transaction committed directly with a SAVEPOINT open: its before_commit
    ran while the SAVEPOINT was open and wrote nothing.  The records are written after the
    commit in a transaction of their own, the error is logged, and under test it is raised."""
    session = db.session()
    root = session.get_transaction() or session.begin()
    session.begin_nested()
    audit.record("test.bypassed", actor_name="t")
    with pytest.raises(audit.UnwrittenAuditRecords):
        root.commit()
    assert "test.bypassed" in caplog.text
    db.session.close()
    assert _actions() == ["test.bypassed"]
    assert audit.verify_chain().ok
