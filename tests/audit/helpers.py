"""Writing synthetic audit records the way features do: through ``audit.record``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from webapp.core import audit, clock
from webapp.core.models import AuditRecord
from webapp.extensions import db


def write(action: str, when: datetime | None = None, **kw: Any) -> AuditRecord:
    """One committed record, written at ``when`` (the clock is restored afterwards), as the
    session loads it back (``audit.record`` returns it transient; the commit links it)."""
    if when is not None:
        clock.set_now(when)
    try:
        kw.setdefault("actor_name", "tester")
        rec = audit.record(action, **kw)
        db.session.commit()
    finally:
        if when is not None:
            clock.set_now(None)
    assert rec.id is not None  # the commit wrote and linked it
    return db.session.get(AuditRecord, rec.id)


def listed_ids(client: Any, query: str = "") -> list[int]:
    """Ids the API lists for a query string, following every page."""
    ids: list[int] = []
    cursor = None
    while True:
        url = f"/api/v1/audit?limit=200&{query}" + (f"&before={cursor}" if cursor else "")
        body = client.get(url).get_json()
        ids += [item["id"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            return ids
