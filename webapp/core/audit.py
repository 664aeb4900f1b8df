"""The audit trail: append-only, hash-chained, written in the caller's transaction.

Every state change calls :func:`record` before the transaction commits, so the change and its
record commit together or not at all.  Each record's hash covers the previous record's hash and
its own canonical content; :func:`verify_chain` recomputes the chain and names the first record
that does not match (edited, deleted before it, or inserted).
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import make_transient_to_detached

from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.extensions import db

if TYPE_CHECKING:
    from webapp.core.models import Org, User

GENESIS = "0" * 64
#: Advisory lock key that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 0x41554449  # "AUDI"

#: Client address of the current request, set by the web layer (domain code never sees Flask).
client_addr_var: ContextVar[str | None] = ContextVar("client_addr", default=None)


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


def _hash(prev_hash: str, values: dict[str, Any]) -> str:
    """The hash of a record given as its column values."""
    created = values["created_at"].astimezone(clock.UTC).isoformat(timespec="microseconds")
    payload = {"created_at": created, **{name: values[name] for name in _HASHED}}
    content = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def compute_hash(prev_hash: str, rec: Any) -> str:
    return _hash(prev_hash, {"created_at": rec.created_at, **{n: getattr(rec, n) for n in _HASHED}})


def _lock_chain() -> None:
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    # SQLite: every transaction starts with BEGIN IMMEDIATE, so appends are already serial.


#: The chain's last hash and the record's INSERT, built once: plain statements on the table, so
#: neither flushes the session's pending objects nor makes an ORM object to flush.
_TABLE = AuditRecord.__table__
_LAST_HASH = select(_TABLE.c.hash).order_by(_TABLE.c.id.desc()).limit(1)
_INSERT = insert(_TABLE)


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
    """Append one record to the chain in the current transaction (written at once, never
    committed).  The record returned is in the session as a loaded row."""
    _lock_chain()
    # What the caller changed is written before its record, as before (nothing to do, and
    # cheap, when the session holds no pending change, as on the completion path).
    db.session.flush()
    last = db.session.execute(_LAST_HASH).scalar_one_or_none()
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
        "prev_hash": last or GENESIS,
    }
    values["hash"] = _hash(values["prev_hash"], values)
    result = db.session.execute(_INSERT, values)
    rec = AuditRecord(id=result.inserted_primary_key[0], **values)
    make_transient_to_detached(rec)  # the row is written: the session takes it as it is
    db.session.add(rec)
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


@dataclass
class ChainReport:
    ok: bool
    records: int
    first_broken: int | None


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the whole chain in id order; report the first record whose link or hash is wrong."""
    prev = GENESIS
    count = 0
    last_id = 0
    while True:
        table = AuditRecord.__table__
        rows = db.session.execute(
            select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(ok=True, records=count, first_broken=None)
        for rec in rows:
            count += 1
            if rec.prev_hash != prev or compute_hash(rec.prev_hash, rec) != rec.hash:
                return ChainReport(ok=False, records=count, first_broken=rec.id)
            prev = rec.hash
            last_id = rec.id
