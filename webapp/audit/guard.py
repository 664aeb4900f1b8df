"""Retention: the product never changes or deletes an audit record, on any database.

PostgreSQL refuses UPDATE and DELETE on the table with a trigger; this guard refuses them one
level up, in the ORM, so that a mistaken ``session.delete(record)`` or
bulk ``delete()`` of the audit table fails at once on SQLite too, in tests and in production.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from webapp.core.models import AuditRecord
from webapp.extensions import AuditTrailIsAppendOnly

__all__ = ["AuditTrailIsAppendOnly", "install"]


def _refuse_changes(session: Session, _flush_context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditRecord):
            raise AuditTrailIsAppendOnly(f"audit record {obj.id} cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditRecord) and session.is_modified(obj):
            raise AuditTrailIsAppendOnly(f"audit record {obj.id} cannot be changed")


def _refuse_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    if any(m.class_ is AuditRecord for m in state.all_mappers):
        raise AuditTrailIsAppendOnly("audit records cannot be updated or deleted")


def install() -> None:
    """Listen on every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", _refuse_changes):
        event.listen(Session, "before_flush", _refuse_changes)
    if not event.contains(Session, "do_orm_execute", _refuse_bulk):
        event.listen(Session, "do_orm_execute", _refuse_bulk)
