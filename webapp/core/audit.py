"""The audit trail: append-only, hash-chained, linked when the caller's transaction commits.

Every state change calls :func:`record` before the transaction commits, so the change and its
record commit together or not at all.  Each record's hash covers the previous record's hash and
its own canonical content; :func:`verify_chain` recomputes the chain and names the first record
that does not match (edited, deleted before it, or inserted).

Linking at commit.  :func:`record` only *buffers* the record's values in the session
(``session.info``), tagged with the transaction it was made in; it takes no lock and sends no
statement.  Just before the outermost transaction commits (the session's ``before_commit``),
:func:`_link_pending` flushes the caller's changes, then, in one short critical section, takes
the chain's lock (``pg_advisory_xact_lock`` on PostgreSQL; SQLite's writers are already serial,
every writing transaction begins IMMEDIATE), reads the chain's last hash, links the records in
the order they were made and INSERTs them in one statement.  The lock is released by the COMMIT
that follows, so it is held for the commit, not for the work of the request: a step that records
first and then lays out a Word document with LibreOffice no longer makes every other audited
write in the province wait.  Ids are allocated under the lock, so id order is chain order (what
:func:`verify_chain` walks).  ``created_at`` stays the time of the action, so two concurrent
transactions' records may be in id order and not in time order.

Savepoints: a record made inside a SAVEPOINT that is rolled back vanishes with it, as its INSERT
did (``after_soft_rollback``); the end of the outermost transaction (rollback, close) drops what
is left.  A commit that finds records it did not write is a programming error and is loud
(:class:`UnwrittenAuditRecords`): an audit record silently lost is the worst outcome.
"""

from __future__ import annotations

import hashlib
import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import Connection, event, insert, select, text
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value

from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.extensions import db, new_row, run_plain

if TYPE_CHECKING:
    from webapp.core.models import Org, User

log = logging.getLogger(__name__)

GENESIS = "0" * 64
#: Advisory lock key that serialises appends to the chain on PostgreSQL (taken at commit).
_CHAIN_LOCK_KEY = 0x41554449  # "AUDI"
_LOCK_CHAIN = text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=_CHAIN_LOCK_KEY)

#: Client address of the current request, set by the web layer (domain code never sees Flask).
client_addr_var: ContextVar[str | None] = ContextVar("client_addr", default=None)

#: Key in ``session.info`` of the records made and not yet written (:class:`_Pending`).
_PENDING = "audit_pending"
#: Key in ``session.info`` of how many records the session has made, committed or not.
_MADE = "audit_made"


class UnwrittenAuditRecords(RuntimeError):
    """A programming error: a transaction committed while audit records were still pending
    (its commit bypassed the ``before_commit`` hook, e.g. a root transaction committed with a
    SAVEPOINT still open).  The records would be lost; the error says so."""


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON so that what is stored is exactly what was hashed."""
    if value is None:
        return None
    return json.loads(json.dumps(value, ensure_ascii=False, default=str, sort_keys=True))


#: The fields a record's hash covers (with the previous record's hash).
_HASHED = (
    "actor_id",
    "actor_name",
    "org_code",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "message",
    "client_addr",
)


def _content(values: dict[str, Any]) -> str:
    """The canonical JSON a record's hash covers (after the previous hash), given its column
    values: ``created_at`` in UTC with microseconds (``2025-05-01T03:00:00.000000+00:00``) and
    the :data:`_HASHED` fields, keys sorted, no spaces, non-ASCII as is.  docs/audit.md
    (校验导出文件) spells it out for auditors; the exports carry it verbatim."""
    created = values["created_at"].astimezone(clock.UTC).isoformat(timespec="microseconds")
    payload = {"created_at": created, **{name: values[name] for name in _HASHED}}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _hash(prev_hash: str, values: dict[str, Any]) -> str:
    """The hash of a record given as its column values: SHA-256 of the UTF-8 bytes of the
    previous hash (64 hex digits) followed by the record's canonical content."""
    return hashlib.sha256((prev_hash + _content(values)).encode("utf-8")).hexdigest()


def _values(rec: Any) -> dict[str, Any]:
    return {"created_at": rec.created_at, **{n: getattr(rec, n) for n in _HASHED}}


def hashed_content(rec: Any) -> str:
    """The exact text that, prefixed by ``rec.prev_hash``, gives ``rec.hash`` (the exports'
    哈希内容（JSON） column)."""
    return _content(_values(rec))


def compute_hash(prev_hash: str, rec: Any) -> str:
    return _hash(prev_hash, _values(rec))


#: The chain's last hash and the records' INSERT, built once: plain statements on the table, so
#: neither flushes the session's pending objects nor makes an ORM object to flush.
_TABLE = AuditRecord.__table__
_LAST_HASH = select(_TABLE.c.hash).order_by(_TABLE.c.id.desc()).limit(1)
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
#: Rows per multi-row INSERT of one transaction's records (13 parameters a row: well under
#: SQLite's and PostgreSQL's limits on parameters per statement).
_ROWS_PER_INSERT = 500


@dataclass
class _Pending:
    """A record made and not yet written: its values and the transaction it was made in."""

    owner: SessionTransaction
    values: dict[str, Any]
    #: What :func:`record` returned; its id and hashes are set when it is written.
    record: AuditRecord


def record(
    action: str,
    *,
    actor: User | None = None,
    actor_name: str | None = None,
    org: Org | str | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    before: Any = None,
    after: Any = None,
    message: str | None = None,
) -> AuditRecord:
    """Add one record to the chain in the current transaction: written and linked when the
    transaction commits, gone if it (or the SAVEPOINT it was made in) rolls back.

    Returns the record as a transient object (in no session): its ``id``, ``prev_hash`` and
    ``hash`` are None until the commit writes it, then set."""
    session = db.session()
    owner = session.get_nested_transaction() or session.get_transaction() or session.begin()
    org_code = org if isinstance(org, str) or org is None else org.code
    if org_code is None and actor is not None:
        org_code = actor.org.code
    values = {
        "created_at": clock.now(),
        "actor_id": actor.id if actor is not None else None,
        "actor_name": actor.username if actor is not None else (actor_name or "system"),
        "org_code": org_code,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "before": _jsonable(before),
        "after": _jsonable(after),
        "message": message,
        "client_addr": client_addr_var.get(),
    }
    rec = new_row(AuditRecord, **values)
    session.info.setdefault(_PENDING, []).append(_Pending(owner, values, rec))
    session.info[_MADE] = session.info.get(_MADE, 0) + 1
    return rec


def record_on(
    action: str, obj: Any, actor: User | None, *, org: Org | str | None = None, **details: Any
) -> AuditRecord:
    """The record of ``action`` on the row ``obj``: its table names the object type, its ``id``
    the object; filed on ``org``, or else on the row's own unit (``obj.org``; a row of no unit,
    such as a province-wide score sheet, is filed on none).  ``details`` are :func:`record`'s
    ``before``, ``after``, ``message``."""
    return record(
        action,
        actor=actor,
        org=getattr(obj, "org", None) if org is None else org,
        object_type=obj.__tablename__,
        object_id=obj.id,
        **details,
    )


def records_made() -> int:
    """How many records this session has made so far (a counter that only grows, across its
    commits and rollbacks): the web edge compares it before and after a request acts, to tell
    a request that changed something (it made a record) from one that only read."""
    return int(db.session.info.get(_MADE, 0))


def pending_count() -> int:
    """Records made in the session's transaction and not yet written (for tests and checks)."""
    return len(db.session.info.get(_PENDING) or ())


def write_pending() -> None:
    """Write and link the records made so far, now instead of at commit.

    For the rare reader of the trail inside the transaction that wrote it.  It takes the chain's
    lock, which is then held until this transaction ends: call it only just before committing.
    """
    _link_pending(db.session())


def _link_pending(session: Session) -> None:
    """Flush the caller's changes, then write the pending records (the critical section)."""
    pending: list[_Pending] | None = session.info.get(_PENDING)
    if not pending:
        return
    # The caller's changes are written before the lock is taken (and before their records).
    session.flush()
    _write_linked(session.connection(), session.get_bind().dialect.name, pending)
    pending.clear()


def _write_linked(conn: Connection, dialect: str, items: list[_Pending]) -> None:
    """Lock the chain, link ``items`` in order after its last hash and INSERT them: three
    statements on PostgreSQL, two on SQLite, however many records."""
    if dialect == "postgresql":
        run_plain(conn, _LOCK_CHAIN)
    prev = run_plain(conn, _LAST_HASH).scalar_one_or_none() or GENESIS
    rows = []
    for item in items:
        values = item.values
        values["prev_hash"] = prev
        values["hash"] = prev = _hash(prev, values)
        rows.append(values)
    if len(rows) == 1:
        ids = [run_plain(conn, _INSERT, rows[0]).first()[0]]
    else:
        # One multi-row VALUES statement (an executemany with ordered RETURNING is row by row on
        # SQLite); RETURNING's order is not promised, the hash (unique) names each row's id.
        id_of: dict[str, int] = {}
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            statement = insert(_TABLE).values(chunk).returning(_TABLE.c.id, _TABLE.c.hash)
            id_of.update((row.hash, row.id) for row in conn.execute(statement))
        ids = [id_of[values["hash"]] for values in rows]
        # The chain is walked in id order: the database numbered the rows in VALUES order (both
        # do); were it ever not so, fail the commit rather than write a broken chain.
        if ids != sorted(ids):
            raise RuntimeError(f"audit records numbered out of chain order: {ids}")
    for item, id_ in zip(items, ids, strict=True):
        rec = item.record
        set_committed_value(rec, "id", id_)
        set_committed_value(rec, "prev_hash", item.values["prev_hash"])
        set_committed_value(rec, "hash", item.values["hash"])


def _before_commit(session: Session) -> None:
    # Fired for a SAVEPOINT's commit too: only the outermost commit writes (session.commit()
    # commits the open SAVEPOINTs first, so the root's hook sees none open).
    if session.info.get(_PENDING) and session.get_nested_transaction() is None:
        _link_pending(session)


def _after_commit(session: Session) -> None:
    """The outermost transaction committed with records it did not write (its commit bypassed
    ``before_commit``'s write: a root committed with a SAVEPOINT still open).  Loud: they are
    written at once in a transaction of their own (after the change, not with it), the error is
    logged, and under test it is raised."""
    pending = session.info.get(_PENDING)
    if not pending or session.get_nested_transaction() is not None:
        return
    items = list(pending)
    pending.clear()
    actions = [item.values["action"] for item in items]
    log.error("audit records left unwritten by a commit, written after it: %s", actions)
    bind = session.get_bind()
    with bind.engine.begin() as conn:
        _write_linked(conn, bind.dialect.name, items)
    if has_app_context() and current_app.testing:
        raise UnwrittenAuditRecords(f"audit records not written by their commit: {actions}")


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    """A rolled-back SAVEPOINT takes its records (and those of SAVEPOINTs inside it) along."""
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if previous.parent is None:
        pending.clear()
        return
    kept = []
    for item in pending:
        owner: SessionTransaction | None = item.owner
        while owner is not None and owner is not previous:
            owner = owner.parent
        if owner is None:
            kept.append(item)
    pending[:] = kept


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction is over (committed, rolled back or closed): nothing stays
    # pending for the next one.  A commit has written them all or raised in _after_commit.
    if transaction.parent is None and session.info.get(_PENDING):
        session.info[_PENDING].clear()


for _name, _hook in (
    ("before_commit", _before_commit),
    ("after_commit", _after_commit),
    ("after_soft_rollback", _after_soft_rollback),
    ("after_transaction_end", _after_transaction_end),
):
    if not event.contains(Session, _name, _hook):
        event.listen(Session, _name, _hook)


@dataclass
class ChainReport:
    ok: bool
    records: int
    first_broken: int | None
    #: Why the first broken record is broken, in words (None when the chain holds).
    reason: str | None = None
    #: Records were deleted and nothing present is broken: the ids the database handed out go
    #: beyond the last record present (or, on SQLite, skip some).  ``first_broken`` is then the
    #: first missing id, not a record.
    deleted: bool = False


#: The reasons :func:`verify_chain` gives: the record's content no longer gives its hash (it was
#: edited), or it does not link to the record before it (one was deleted, inserted or moved).
EDITED = "内容与其哈希不符：该记录被改动过"
UNLINKED = "与前一条记录的哈希不衔接：其前有记录被删除、插入或调换"
#: The first record present is not the chain's first (its previous hash is not the genesis).
NOT_GENESIS = "不是审计链的第一条记录（其上一条哈希不是全零）：其前的记录被删除，或它是插入的"


def id_high_water() -> int:
    """The highest audit record id the database has ever handed out (0: none yet).

    SQLite: ``sqlite_sequence`` (the table is AUTOINCREMENT; a rolled-back insert takes its
    number back, so every id up to it was committed).  PostgreSQL: the id sequence's
    ``last_value`` (an upper bound: a failed commit uses a number up too, and recovery after a
    crash may skip up to 32).  Deleting records
    does not lower either; only someone resetting the counter as well does, and an anchor kept
    outside catches that (docs/audit.md).
    """
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        row = conn.execute(
            text(
                "SELECT last_value FROM pg_sequences WHERE schemaname = "
                "current_schema() AND sequencename = "
                "split_part(pg_get_serial_sequence('audit_record', 'id'), '.', 2)"
            )
        ).first()
        # NULL until the sequence first hands out an id (a fresh database).
        return int(row.last_value) if row is not None and row.last_value is not None else 0
    found = conn.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
    ).first()
    if found is None:
        return 0
    seq = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'audit_record'"))
    return int(seq.scalar_one_or_none() or 0)


def _ids(first: int, last: int) -> str:
    return f"id={first}" if first == last else f"id={first} 至 {last}"


def _deleted_at_end(count: int, last_id: int, dialect: str) -> ChainReport | None:
    """Records handed an id after the last one present (or any, when none is) are gone."""
    written = id_high_water()
    if written <= last_id:
        return None
    maybe = (
        "（PostgreSQL 上提交失败或数据库崩溃后恢复也会空占编号；若是如此，"
        "下一次写入审计记录后此项不再报告）"
        if dialect == "postgresql"
        else ""
    )
    if count == 0:
        reason = (
            f"审计记录被删除：数据库已为审计记录分配编号至 id={written}，"
            f"应从 id=1 开始，现存 0 条记录{maybe}"
        )
    else:
        reason = (
            f"审计记录被删除：数据库已为审计记录分配编号至 id={written}，现存 {count} 条记录，"
            f"最后一条为 id={last_id}，其后 {_ids(last_id + 1, written)} 的记录不存在{maybe}"
        )
    return ChainReport(False, count, last_id + 1, reason, deleted=True)


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the whole chain in id order; report the first record whose link or hash is wrong
    (or, on SQLite, the first id missing), then whether records were deleted after the last one
    present (:func:`id_high_water`)."""
    prev = GENESIS
    count = 0
    last_id = 0
    dialect = db.session.get_bind().dialect.name
    while True:
        table = AuditRecord.__table__
        rows = db.session.execute(
            select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return _deleted_at_end(count, last_id, dialect) or ChainReport(
                ok=True, records=count, first_broken=None
            )
        for rec in rows:
            count += 1
            if compute_hash(rec.prev_hash, rec) != rec.hash:
                return ChainReport(False, count, rec.id, EDITED)
            if rec.prev_hash != prev:
                return ChainReport(False, count, rec.id, NOT_GENESIS if count == 1 else UNLINKED)
            if rec.id != last_id + 1 and dialect == "sqlite":
                # SQLite never skips an id: a gap is a deletion that left the links whole (the
                # records after it were written, or rehashed, after the cut).
                reason = f"审计记录被删除：{_ids(last_id + 1, rec.id - 1)} 的记录不存在"
                return ChainReport(False, count - 1, last_id + 1, reason, deleted=True)
            prev = rec.hash
            last_id = rec.id
