"""Rows the completion path writes with one plain INSERT (``webapp.extensions.insert_row``,
the audit record, the history line): in the database at once, in the session as loaded rows,
nothing left for a flush, nothing lazy-loaded afterwards (issue 19)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import (
    ForeignKey,
    Integer,
    MetaData,
    String,
    bindparam,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from webapp.core import audit, clock
from webapp.core.models import AuditRecord
from webapp.engine.models import HumanTask, Notification, ProcessInstance
from webapp.extensions import (
    PlainInsertError,
    db,
    execute_plain,
    insert_row,
    new_row,
    set_loaded,
)


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


def _task_row(instance: ProcessInstance, **fields: Any) -> HumanTask:
    """A new task row as the completion path builds one, minus whatever ``fields`` change."""
    values: dict[str, Any] = {
        "instance_id": instance.id,
        "spiff_task_id": "00000000-0000-0000-0000-000000000001",
        "element_id": "extra",
        "name": "额外步骤",
        "candidate_role": "clerk",
        "candidate_org_id": instance.org_id,
        **fields,
    }
    return HumanTask(**{k: v for k, v in values.items() if v is not _UNSET})


_UNSET = object()


def _task_rows(instance: ProcessInstance) -> int:
    return db.session.execute(
        text("SELECT count(*) FROM human_task WHERE instance_id = :i"), {"i": instance.id}
    ).scalar_one()


def test_a_relationship_set_without_its_column_is_refused_before_any_sql(start, org):
    instance = start("demo_two_tier", "410102")
    before = _task_rows(instance)
    statements: list[str] = []

    def count(conn, cursor, statement, *_):  # noqa: ANN001, ANN002
        statements.append(statement)

    # The trap: a flush would copy org.id into candidate_org_id; a plain INSERT writes NULL.
    row = _task_row(instance, candidate_org_id=_UNSET, candidate_org=org("410102"))
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with pytest.raises(PlainInsertError, match="'candidate_org'.*'candidate_org_id'"):
            insert_row(row)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []
    assert row not in db.session and row.id is None
    assert _task_rows(instance) == before
    # The relationship and its column both set is what the completion path may do.
    ok = insert_row(_task_row(instance, candidate_org=org("410102")))
    assert ok.candidate_org_id == org("410102").id and _task_rows(instance) == before + 1


def test_a_not_null_column_without_value_or_default_is_named_before_any_sql(make_user):
    user = make_user("clerk", "410102")
    db.session.commit()
    with pytest.raises(PlainInsertError, match="NOT NULL column 'kind' has no value"):
        insert_row(Notification(user_id=user.id, message="无类别"))
    with pytest.raises(PlainInsertError, match="NOT NULL column 'message' is None"):
        insert_row(Notification(user_id=user.id, kind="task", message=None))
    assert not db.session.new
    assert db.session.execute(text("SELECT count(*) FROM notification")).scalar_one() == 0
    # A NOT NULL column with a Python default may be left out: the default is written.
    row = insert_row(Notification(user_id=user.id, kind="task", message="有默认时间"))
    assert row.created_at is not None


# Two temporary tables of this module's own (not in the app's metadata): a server default and a
# collection, which no model of the app has yet.
class _Base(DeclarativeBase):
    metadata = MetaData()


class _Shelf(_Base):
    __tablename__ = "plain_insert_shelf"
    __table_args__ = {"prefixes": ["TEMPORARY"]}

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(20), server_default="未命名")
    size: Mapped[int] = mapped_column(Integer, server_default="7")
    note: Mapped[str | None] = mapped_column(String(20))
    books: Mapped[list[_Book]] = relationship()


class _Book(_Base):
    __tablename__ = "plain_insert_book"
    __table_args__ = {"prefixes": ["TEMPORARY"]}

    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("plain_insert_shelf.id"))


@pytest.fixture
def shelves() -> Iterator[None]:
    _Base.metadata.create_all(db.session.connection())
    try:
        yield
    finally:
        db.session.rollback()
        _Base.metadata.drop_all(db.session.connection(), checkfirst=True)
        db.session.commit()


def _counting() -> tuple[list[str], Any]:
    statements: list[str] = []

    def count(conn, cursor, statement, *_):  # noqa: ANN001, ANN002
        statements.append(statement)

    return statements, count


def test_server_defaults_come_back_with_the_insert(shelves):
    statements, count = _counting()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        shelf = insert_row(_Shelf(note="一"))
        named = insert_row(_Shelf(label="甲", note="二"))
        # known without a read: the values the database wrote, not None
        assert (shelf.label, shelf.size, shelf.note) == ("未命名", 7, "一")
        assert (named.label, named.size) == ("甲", 7)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 2 and all("RETURNING" in s.upper() for s in statements)
    stored = db.session.execute(
        text("SELECT label, size FROM plain_insert_shelf ORDER BY id")
    ).all()
    assert [tuple(r) for r in stored] == [("未命名", 7), ("甲", 7)]


def test_a_table_without_server_defaults_is_inserted_without_returning(make_user):
    user_id = make_user("clerk", "410102").id
    db.session.commit()
    db.session.execute(text("SELECT 1"))  # the transaction begun: only the INSERT is counted
    statements, count = _counting()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        insert_row(Notification(user_id=user_id, kind="task", message="新待办"))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1 and statements[0].upper().startswith("INSERT")
    # the new id comes back with the INSERT (RETURNING id); nothing else is read back
    assert statements[0].upper().endswith(("RETURNING ID", "RETURNING NOTIFICATION.ID"))


def test_a_collection_holding_rows_is_refused(shelves):
    shelf = _Shelf(books=[_Book()])
    with pytest.raises(PlainInsertError, match="'books' holds rows"):
        insert_row(shelf)
    assert shelf not in db.session
    # An empty collection (what reading the attribute leaves) is no reason to refuse.
    empty = _Shelf()
    assert empty.books == []
    assert insert_row(empty).id is not None


def _messages() -> list[str]:
    return list(db.session.execute(text("SELECT message FROM notification ORDER BY id")).scalars())


def test_a_rolled_back_savepoint_takes_its_inserted_rows_out_of_the_session(make_user):
    user = make_user("clerk", "410102")
    db.session.commit()
    kept = insert_row(Notification(user_id=user.id, kind="task", message="保留"))
    savepoint = db.session.begin_nested()
    gone = insert_row(Notification(user_id=user.id, kind="task", message="撤销"))
    flushed = Notification(user_id=user.id, kind="task", message="撤销（flush）")
    db.session.add(flushed)
    db.session.flush()
    savepoint.rollback()
    # as the ORM does with the row its flush wrote: out of the session, transient again
    for row in (gone, flushed):
        assert row not in db.session and inspect(row).transient
    assert kept in db.session and inspect(kept).persistent
    db.session.commit()
    assert _messages() == ["保留"]
    db.session.expire_all()
    assert kept.message == "保留"


def test_rows_of_a_released_savepoint_go_with_the_transaction_around_it(make_user):
    user = make_user("clerk", "410102")
    db.session.commit()
    with db.session.begin_nested():
        inner = insert_row(Notification(user_id=user.id, kind="task", message="内层"))
    outer = insert_row(Notification(user_id=user.id, kind="task", message="外层"))
    assert inner in db.session and outer in db.session
    db.session.rollback()
    for row in (inner, outer):
        assert row not in db.session and inspect(row).transient
    assert _messages() == []
    # a committed one stays, and the next transaction's rollback leaves it alone
    done = insert_row(Notification(user_id=user.id, kind="task", message="已提交"))
    db.session.commit()
    with db.session.begin_nested() as savepoint:
        insert_row(Notification(user_id=user.id, kind="task", message="又撤销"))
        savepoint.rollback()
    assert done in db.session and inspect(done).persistent
    db.session.commit()
    assert _messages() == ["已提交"]


def test_a_plain_statement_runs_in_the_session_s_transaction_and_savepoints(make_user):
    """``execute_plain`` skips the ORM's per-statement work, not its transaction: what it writes
    goes with the SAVEPOINT and the transaction it ran in, and the ORM reads it back."""
    user_id = make_user("clerk", "410102").id
    db.session.commit()
    table = Notification.__table__
    values = {"user_id": user_id, "kind": "task", "created_at": clock.now()}

    def messages() -> list[str]:
        return list(db.session.execute(select(Notification.message)).scalars())

    execute_plain(insert(table), {**values, "message": "留下"})
    savepoint = db.session.begin_nested()
    execute_plain(insert(table), {**values, "message": "撤销"})
    assert sorted(messages()) == ["撤销", "留下"]
    savepoint.rollback()
    assert messages() == ["留下"]
    db.session.rollback()
    assert messages() == []


def test_a_row_made_by_new_row_is_the_row_its_constructor_makes(make_user):
    user_id = make_user("clerk", "410102").id
    db.session.commit()
    at = clock.now()
    made = insert_row(
        new_row(Notification, user_id=user_id, kind="task", message="甲", created_at=at)
    )
    built = insert_row(Notification(user_id=user_id, kind="task", message="甲", created_at=at))
    assert not db.session.new and not db.session.dirty
    columns = [c.key for c in Notification.__table__.columns if c.key != "id"]
    assert [getattr(made, c) for c in columns] == [getattr(built, c) for c in columns]
    # written the same, byte for byte (the datetime's text on SQLite included)
    raw = db.session.execute(
        text(
            "SELECT user_id, kind, message, created_at, read_at FROM notification"
            " WHERE id IN (:a, :b) ORDER BY id"
        ),
        {"a": made.id, "b": built.id},
    ).all()
    assert tuple(raw[0]) == tuple(raw[1])
    with pytest.raises(PlainInsertError, match="not columns: \\['user'\\]"):
        new_row(Notification, user=None, kind="task")


def test_a_plain_statement_writes_values_as_sqlalchemy_does(make_user, start):
    """run_plain applies the dialect's own bind processors: a datetime and a JSON value are
    stored exactly as SQLAlchemy's execution stores them, and read back equal."""
    user_id = make_user("clerk", "410102").id
    db.session.commit()
    table = Notification.__table__
    at = clock.now().replace(microsecond=0)  # a whole second: the form that differs most
    db.session.connection().execute(
        insert(table), {"user_id": user_id, "kind": "core", "message": "一", "created_at": at}
    )
    execute_plain(
        insert(table), {"user_id": user_id, "kind": "plain", "message": "一", "created_at": at}
    )
    stored = dict(
        db.session.execute(
            text("SELECT kind, created_at FROM notification WHERE kind IN ('core', 'plain')")
        ).all()
    )
    assert stored["core"] == stored["plain"]
    read = execute_plain(
        select(table.c.created_at).where(table.c.kind == "plain")
    ).scalar_one_or_none()
    assert read == at
    task_table = HumanTask.__table__
    data = {"数量": 3, "说明": "含“引号”", "list": [1.5, None, True]}
    instance = start("demo_two_tier", "410102")
    task_id = (
        db.session.execute(select(task_table.c.id).where(task_table.c.instance_id == instance.id))
        .scalars()
        .first()
    )
    execute_plain(
        update(task_table).where(task_table.c.id == bindparam("b_id")),
        {"b_id": task_id, "data": data},
    )
    assert (
        execute_plain(
            select(task_table.c.data).where(task_table.c.id == task_id)
        ).scalar_one_or_none()
        == data
    )


def test_a_plain_statement_s_database_error_is_sqlalchemy_s(make_user):
    db.session.commit()
    table = Notification.__table__
    with pytest.raises(IntegrityError):
        execute_plain(insert(table), {"user_id": None, "kind": "task", "message": "无人"})
    db.session.rollback()


def test_values_set_as_loaded_leave_nothing_to_flush(make_user):
    user_id = make_user("clerk", "410102").id
    row = insert_row(Notification(user_id=user_id, kind="task", message="旧"))
    db.session.commit()
    row = db.session.get(Notification, row.id)
    db.session.expire(row, ["message"])  # an expired column becomes loaded too
    execute_plain(
        update(Notification.__table__).where(Notification.__table__.c.id == row.id),
        {"message": "新", "kind": "remind"},
    )
    set_loaded(row, {"message": "新", "kind": "remind"})
    assert (row.message, row.kind) == ("新", "remind")
    assert row not in db.session.dirty and not inspect(row).expired_attributes
    statements, count = _counting()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        db.session.flush()
        assert row.message == "新"
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []
