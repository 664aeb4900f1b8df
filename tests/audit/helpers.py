"""Writing synthetic audit records the way features do: through ``audit.record``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from webapp.core import audit, clock
from webapp.core.models import AuditRecord, Org, User
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


def misfiled(records: Iterable[AuditRecord]) -> list[str]:
    """Records about a user account or a unit that do not name it the way the namers, the
    object filter and the timeline read it (a unit by its code, a user by its id), or that are
    not filed under its unit: the auditor's 单位 filter would not find them (a failed login on
    a city's account, an export of a county's 附表 filed as 单位 #5)."""
    wrong = []
    for rec in records:
        if rec.object_type not in ("user", "org") or rec.object_id is None:
            continue
        if rec.object_type == "org":
            org = db.session.execute(select(Org).where(Org.code == rec.object_id)).scalar()
            if org is None:
                wrong.append(f"{rec.action} names 单位 {rec.object_id!r}, not a unit's code")
                continue
        else:
            user = db.session.get(User, int(rec.object_id))
            if user is None:
                continue
            org = db.session.get(Org, user.org_id)
        if rec.org_code != org.code:
            wrong.append(
                f"{rec.action} on {rec.object_type} {rec.object_id} filed under "
                f"{rec.org_code!r}, not {org.code!r}"
            )
    return wrong
