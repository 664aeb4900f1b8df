"""Rows the completion path writes with one plain INSERT (``webapp.extensions.insert_row``,
the audit record, the history line): in the database at once, in the session as loaded rows,
nothing left for a flush, nothing lazy-loaded afterwards (issue 19)."""

from __future__ import annotations

import re

from sqlalchemy import event, select, text

from webapp.core import audit, clock
from webapp.core.models import AuditRecord
from webapp.engine.models import Notification
from webapp.extensions import db, insert_row


def test_an_inserted_row_is_written_and_loaded_without_a_flush(make_user):
    user = make_user("clerk", "410102")
    db.session.commit()
    loads: list[str] = []

    def orm(state):  # noqa: ANN001
        if state.is_relationship_load or state.is_column_load:
            loads.append(str(state.statement))

    row = Notification(user_id=user.id, kind="task", message="新待办", created_at=clock.now())
    insert_row(row)
    assert row.id is not None and row in db.session
    assert not db.session.new and not db.session.dirty  # nothing pending: no flush to come
    event.listen(db.session, "do_orm_execute", orm)
    try:
        # columns neither set nor defaulted are NULL, known without a read
        assert (row.task_id, row.read_at, row.cleared_at) == (None, None, None)
    finally:
        event.remove(db.session, "do_orm_execute", orm)
    assert loads == []
    stored = db.session.execute(
        text("SELECT user_id, kind, read_at FROM notification WHERE id = :i"), {"i": row.id}
    ).one()
    assert tuple(stored) == (user.id, "task", None)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Notification, row.id).message == "新待办"


def test_an_audit_record_is_written_at_commit_after_the_pending_changes(make_user):
    """``audit.record`` sends nothing (no lock, no read of the chain, no INSERT, no flush); the
    commit writes the caller's change, then the record with one plain INSERT, linked."""
    user = make_user("clerk", "410102")
    db.session.commit()
    assert user.org.code == "410102"  # what the record reads of its actor, loaded before
    user.full_name = "改名"  # a pending change of the caller, written before its record
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        write = re.match(r"\s*(INSERT INTO|UPDATE)\s+\"?(\w+)", statement, re.IGNORECASE)
        sent.append(f"{write[1].split()[0].upper()} {write[2]}" if write else statement[:40])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rec = audit.record("test.event", actor=user, object_type="user", object_id=user.id)
        assert sent == [] and rec not in db.session and rec.id is None
        assert db.session.dirty  # not flushed by the record
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    writes = [s for s in sent if s in ("UPDATE app_user", "INSERT audit_record")]
    assert writes == ["UPDATE app_user", "INSERT audit_record"]
    stored = db.session.execute(select(AuditRecord).where(AuditRecord.id == rec.id)).scalar_one()
    assert stored.hash == rec.hash == audit.compute_hash(stored.prev_hash, stored)
    before = db.session.execute(select(AuditRecord).where(AuditRecord.id < rec.id)).scalars()
    assert stored.prev_hash == max(before, key=lambda r: r.id).hash  # the user's creation
    assert db.session.get(type(user), user.id).full_name == "改名"
    assert audit.verify_chain().ok
