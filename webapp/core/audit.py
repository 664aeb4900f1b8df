"""The audit trail: append-only, hash-chained, linked when the caller's transaction commits.

Every state change calls :func:`record` before the transaction commits, so the change and its
record commit together or not at all.  Each record's hash covers the previous record's hash and
its own canonical content; :func:`verify_chain` recomputes the chain and names the first record
that does not match (edited, deleted before it, or inserted).

Linking at commit.  :func:`record` only *buffers* the record's values in the session
(``session.info``), tagged with the transaction it was made in; it takes no lock and sends no
statement.  Just before the outermost transaction commits (the session's ``before_commit``),
:func:`_link_pending` flushes the caller's changes, then, in one short critical section, reads
the chain's head (``audit_head``: last id, last hash, count), locking it (``SELECT … FOR UPDATE``
on PostgreSQL; SQLite's writers are already serial, every writing transaction begins
IMMEDIATE), links the records in the order they were made, numbers them on from the head's id
and INSERTs them in one statement: two statements on either database.  A trigger on the table
moves the head on in the same transaction (no statement from here), so a rollback or a failed
commit leaves head and records as they were, and ids have no gaps.  The lock is released by the
COMMIT that follows, so it is held for the commit, not for the work of the request: a step that
records first and then lays out a Word document with LibreOffice no longer makes every other
audited write in the province wait.  Id order is chain order (what :func:`verify_chain` walks).
``created_at`` stays the time of the action, so two concurrent transactions' records may be in
id order and not in time order.

Savepoints: a record made inside a SAVEPOINT that is rolled back vanishes with it, as its INSERT
did (``after_soft_rollback``); the end of the outermost transaction (rollback, close) drops what
is left.  A commit that finds records it did not write is a programming error and is loud
(:class:`UnwrittenAuditRecords`): an audit record silently lost is the worst outcome.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app, has_app_context
from sqlalchemy import Connection, event, insert, select
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value

from webapp.core import clock
from webapp.core.models import AuditHead, AuditRecord
from webapp.extensions import db, new_row, run_plain

if TYPE_CHECKING:
    from webapp.core.models import Org, User

log = logging.getLogger(__name__)

GENESIS = "0" * 64

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


class MissingAuditHead(RuntimeError):
    """The chain's head row (``audit_head``) is gone: someone deleted it below the product.
    No record can be linked without it, so the commit fails (loud, as a lost record would not
    be); verify reports it too.  docs/audit.md says how to put it back."""


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


#: The chain's head and the records' INSERT, built once: plain statements on the tables, so
#: neither flushes the session's pending objects nor makes an ORM object to flush.  On
#: PostgreSQL the head's row lock is the chain's lock (held until the transaction ends).
_TABLE = AuditRecord.__table__
_HEAD_TABLE = AuditHead.__table__
_HEAD = select(_HEAD_TABLE.c.last_id, _HEAD_TABLE.c.last_hash).where(_HEAD_TABLE.c.id == 1)
_HEAD_LOCKED = _HEAD.with_for_update()
_INSERT = insert(_TABLE)
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


def afters(object_type: str, object_id: Any, actions: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The ``after`` snapshots of an object's committed records of ``actions``, newest first:
    what a step kept in its record for later checks to read (a generated draft's figures and
    sentences), where nobody can edit it."""
    rows = db.session.execute(
        select(AuditRecord.after)
        .where(
            AuditRecord.action.in_(list(actions)),
            AuditRecord.object_type == object_type,
            AuditRecord.object_id == str(object_id),
        )
        .order_by(AuditRecord.id.desc())
    ).scalars()
    return (after or {} for after in rows)


def stale_sentences(written: Iterable[str], current: Iterable[str], text: str) -> list[str]:
    """The sentences of an earlier generated draft (``written``) that today's draft
    (``current``) would not write, and that still stand word for word in ``text``: the draft
    is deterministic, so such a sentence states what the figures no longer say, and it is the
    draft's, not the writer's (a sentence rewritten is theirs)."""
    now = set(current)
    return [w for w in written if w.strip("，。；\n ") and w not in now and w in text]


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
    """Lock and read the chain's head, link ``items`` in order after it, number them on from
    its id and INSERT them: two statements, however many records (the head moves on by the
    table's trigger, in this transaction)."""
    head = run_plain(conn, _HEAD_LOCKED if dialect == "postgresql" else _HEAD).first()
    if head is None:
        raise MissingAuditHead("audit_head has no row: the audit chain cannot be extended")
    prev, next_id = head.last_hash, head.last_id + 1
    rows = []
    for item in items:
        values = item.values
        values["id"] = next_id
        values["prev_hash"] = prev
        values["hash"] = prev = _hash(prev, values)
        next_id += 1
        rows.append(values)
    if len(rows) == 1:
        run_plain(conn, _INSERT, rows[0])
    else:
        # One multi-row VALUES statement per chunk (an executemany is row by row on SQLite).
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            conn.execute(insert(_TABLE).values(rows[start : start + _ROWS_PER_INSERT]))
    for item in items:
        rec, values = item.record, item.values
        set_committed_value(rec, "id", values["id"])
        set_committed_value(rec, "prev_hash", values["prev_hash"])
        set_committed_value(rec, "hash", values["hash"])


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
    #: Records were deleted and nothing present is broken: the chain's head (``audit_head``)
    #: goes beyond the last record present, or ids skip.  ``first_broken`` is then the first
    #: missing id, not a record.
    deleted: bool = False


#: The reasons :func:`verify_chain` gives: the record's content no longer gives its hash (it was
#: edited), or it does not link to the record before it (one was deleted, inserted or moved).
EDITED = "内容与其哈希不符：该记录被改动过"
UNLINKED = "与前一条记录的哈希不衔接：其前有记录被删除、插入或调换"
#: The first record present is not the chain's first (its previous hash is not the genesis).
NOT_GENESIS = "不是审计链的第一条记录（其上一条哈希不是全零）：其前的记录被删除，或它是插入的"


@dataclass(frozen=True)
class Head:
    """The chain's head as the database keeps it (``audit_head``)."""

    last_id: int
    last_hash: str
    records: int
    gapless_after: int


def read_head() -> Head | None:
    """The chain's head (None: its row is gone, which only tampering does)."""
    table = AuditHead.__table__
    row = db.session.execute(
        select(table.c.last_id, table.c.last_hash, table.c.records, table.c.gapless_after)
    ).first()
    return None if row is None else Head(*row)


def _ids(first: int, last: int) -> str:
    return f"id={first}" if first == last else f"id={first} 至 {last}"


def _against_head(
    head: Head | None, count: int, last_id: int, last_hash: str
) -> ChainReport | None:
    """The walk's end (``count`` records, the last ``last_id`` with ``last_hash``) against the
    head read before the walk: None when they agree, else what is wrong, in words."""
    if head is None:
        return ChainReport(
            False,
            count,
            None,
            "审计链头（audit_head）缺失：无法确认审计链末尾是否完整，链头行已在系统之外被删除",
            deleted=True,
        )
    if last_id < head.last_id:
        if count == 0:
            reason = (
                f"审计记录被删除：审计链头记载共 {head.records} 条记录、最后一条为 "
                f"id={head.last_id}，现存 0 条记录"
            )
            return ChainReport(False, 0, 1 if head.gapless_after == 0 else None, reason, True)
        reason = (
            f"审计记录被删除：审计链头记载共 {head.records} 条记录、最后一条为 id={head.last_id}，"
            f"现存 {count} 条记录，最后一条为 id={last_id}，"
            f"其后 {_ids(last_id + 1, head.last_id)} 的记录不存在"
        )
        return ChainReport(False, count, last_id + 1, reason, deleted=True)
    if last_hash != head.last_hash:
        reason = (
            f"审计链头与最后一条记录 id={last_id} 的哈希不符：该记录或其之前的记录被改写过，"
            "或链头被改动过"
        )
        return ChainReport(False, count, last_id, reason)
    if count != head.records:
        reason = (
            f"审计链头记载共 {head.records} 条记录，现存 {count} 条：记录被删除（其后的记录被重新"
            "计算哈希），或链头被改动过"
        )
        return ChainReport(False, count, None, reason, deleted=count < head.records)
    return None


def _beyond_head(head: Head) -> ChainReport | None:
    """A record after the head that the head does not cover: written below the product with
    the trigger off, or the head was set back.  (A record committed while verify walked moved
    the head on with it: read again, the head covers it.)"""
    table = AuditRecord.__table__
    after = db.session.execute(
        select(table.c.id).where(table.c.id > head.last_id).order_by(table.c.id).limit(1)
    ).scalar_one_or_none()
    if after is None:
        return None
    now = read_head()
    if now is not None and now.last_id >= after:
        return None
    reason = (
        f"审计链头之后还有记录 id={after}：链头记载最后一条为 id={head.last_id}，"
        "该记录不是经由系统写入的，或链头被改回过"
    )
    return ChainReport(False, head.records, after, reason)


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the chain up to its head in id order; report the first record whose hash or link
    is wrong, or the first id missing, then whether the last record present is the head's
    (records cut off the end, an emptied trail) and whether records lie beyond the head.

    The head is read first and the walk stops at its id: a record committed meanwhile is not
    walked (and moved the head on with it, in its own transaction)."""
    head = read_head()
    prev = GENESIS
    count = 0
    last_id = 0
    gapless_after = head.gapless_after if head is not None else 0
    table = AuditRecord.__table__
    while True:
        query = select(table).where(table.c.id > last_id)
        if head is not None:
            query = query.where(table.c.id <= head.last_id)
        rows = db.session.execute(query.order_by(table.c.id).limit(batch)).all()
        if not rows:
            break
        for rec in rows:
            count += 1
            if compute_hash(rec.prev_hash, rec) != rec.hash:
                return ChainReport(False, count, rec.id, EDITED)
            if rec.prev_hash != prev:
                return ChainReport(False, count, rec.id, NOT_GENESIS if count == 1 else UNLINKED)
            if rec.id != last_id + 1 and rec.id > gapless_after + 1:
                # Ids are handed out by the head without a gap: a gap is a deletion that left
                # the links whole (the records after it rehashed after the cut).
                gone = max(last_id, gapless_after) + 1
                reason = f"审计记录被删除：{_ids(gone, rec.id - 1)} 的记录不存在"
                return ChainReport(False, count - 1, gone, reason, deleted=True)
            prev = rec.hash
            last_id = rec.id
    wrong = _against_head(head, count, last_id, prev)
    if wrong is None and head is not None:
        wrong = _beyond_head(head)
    return wrong or ChainReport(ok=True, records=count, first_broken=None)
