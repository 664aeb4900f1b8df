"""Indexes that make the auditor's searches fast on hundreds of thousands of records.

The audit table itself (:class:`webapp.core.models.AuditRecord`) belongs to the core; the audit
feature only adds indexes for its query patterns (attached to the core table at import, so
Alembic sees them).  Every list is ordered by ``id`` descending and paginated by keyset.
"""

from __future__ import annotations

from sqlalchemy import Index

from webapp.core.models import AuditRecord

_table = AuditRecord.__table__

#: Exact actor filter (the username at the time).
ix_actor_name = Index("ix_audit_record_actor_name", _table.c.actor_name)
#: Action prefix filter ("report." → every report action) then newest first.  On PostgreSQL the
#: pattern operator class lets ``LIKE 'prefix%'`` use the index whatever the database collation.
ix_action_id = Index(
    "ix_audit_record_action_id",
    _table.c.action,
    _table.c.id,
    postgresql_ops={"action": "varchar_pattern_ops"},
)
#: The timeline of one object, in chain order.
ix_object = Index(
    "ix_audit_record_object_type_object_id",
    _table.c.object_type,
    _table.c.object_id,
    _table.c.id,
)
