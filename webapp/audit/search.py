"""Searching the audit trail: one filter for the pages, the API and the exports.

Lists are newest first and paginated by keyset on ``id`` (``before``/``after`` cursors), so the
100th page costs what the first does; totals are counted up to a cap.  Filters on indexed
columns (time, actor, org, action prefix, object) narrow first; the free text is a substring
match on message, actor and object and therefore the one scan, bounded by the other filters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true

from webapp.core import audit, clock
from webapp.core.models import AuditRecord, Org
from webapp.core.operations import get_org, get_row
from webapp.extensions import db

#: Totals above this are shown as "more than" (counting stays bounded on a large trail).
COUNT_CAP = 10_000
#: Keys of ``after`` that link a record to the business object whose timeline it belongs to,
#: as ``"<object_type>:<object_id>"`` (see docs/audit.md).
SUBJECT_KEYS = ("subject", "business_key")
#: A timeline shows at most this many records.
TIMELINE_MAX = 2_000


@dataclass(frozen=True)
class AuditFilter:
    """What the auditor asked for; every field optional."""

    #: First and last day, inclusive, in the users' time zone (Asia/Shanghai).
    date_from: date | None = None
    date_to: date | None = None
    #: Username at the time of the action (exact).
    actor: str | None = None
    #: Org code; with ``subtree`` every unit below it too.
    org: str | None = None
    subtree: bool = True
    #: Action code prefix: "report." (a family) or "auth.login" (one code and its longer kin).
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    #: Substring of the message, the actor's name or the object id.
    q: str | None = None

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> AuditFilter:
        known = {k: data.get(k) for k in cls.__dataclass_fields__ if k in data}
        for key, value in list(known.items()):
            if isinstance(value, str):
                known[key] = value.strip() or None
        if known.get("subtree") is None:
            known.pop("subtree", None)
        return cls(**known)

    def as_args(self) -> dict[str, str]:
        """Query-string form (for links to the next page and to the exports)."""
        out: dict[str, str] = {}
        for key, value in asdict(self).items():
            if value is None or value == "":
                continue
            if key == "subtree":
                if value is False and self.org:
                    out[key] = "0"
                continue
            out[key] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def describe(self) -> dict[str, str]:
        """The filter as stored in the audit record of an export."""
        return self.as_args()

    def conditions(self) -> list[ColumnElement[bool]]:
        t = AuditRecord
        cond: list[ColumnElement[bool]] = []
        if self.date_from:
            cond.append(t.created_at >= local_day_start(self.date_from))
        if self.date_to:
            cond.append(t.created_at < local_day_start(self.date_to + timedelta(days=1)))
        if self.actor:
            cond.append(t.actor_name == self.actor)
        if self.org:
            if self.subtree:
                org = get_org(self.org)
                codes = select(Org.code).where(Org.path.startswith(org.path, autoescape=True))
                cond.append(t.org_code.in_(codes.scalar_subquery()))
            else:
                cond.append(t.org_code == self.org)
        if self.action:
            cond.append(t.action.startswith(self.action, autoescape=True))
        if self.object_type:
            cond.append(t.object_type == self.object_type)
        if self.object_id:
            cond.append(t.object_id == self.object_id)
        if self.q:
            like = f"%{_escape_like(self.q)}%"
            cond.append(
                or_(
                    t.message.ilike(like, escape="\\"),
                    t.actor_name.ilike(like, escape="\\"),
                    t.object_id.ilike(like, escape="\\"),
                )
            )
        return cond

    def select(self) -> Select[tuple[AuditRecord]]:
        return select(AuditRecord).where(and_(true(), *self.conditions()))


def local_day_start(day: date) -> datetime:
    """Midnight of ``day`` in the users' time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=clock.LOCAL_TZ)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class Page:
    items: list[AuditRecord]
    #: Cursor for older records (``before=``), None on the last page.
    next: int | None
    #: Cursor for newer records (``after=``), None on the first page.
    prev: int | None


def page(
    flt: AuditFilter, *, before: int | None = None, after: int | None = None, limit: int = 50
) -> Page:
    """One page, newest first.  ``before``: records older than that id; ``after``: newer."""
    stmt = flt.select()
    if after is not None:
        rows = list(
            db.session.execute(
                stmt.where(AuditRecord.id > after).order_by(AuditRecord.id.asc()).limit(limit + 1)
            ).scalars()
        )
        more_newer = len(rows) > limit
        items = list(reversed(rows[:limit]))
        return Page(
            items=items,
            next=items[-1].id if items else None,
            prev=items[0].id if items and more_newer else None,
        )
    if before is not None:
        stmt = stmt.where(AuditRecord.id < before)
    rows = list(db.session.execute(stmt.order_by(AuditRecord.id.desc()).limit(limit + 1)).scalars())
    items = rows[:limit]
    return Page(
        items=items,
        next=items[-1].id if len(rows) > limit else None,
        prev=items[0].id if items and before is not None else None,
    )


def count(flt: AuditFilter, cap: int = COUNT_CAP, *, upto: int | None = None) -> tuple[int, bool]:
    """(number of matching records up to ``cap``, whether there are more than ``cap``)."""
    cond = flt.conditions() + ([AuditRecord.id <= upto] if upto is not None else [])
    inner = select(AuditRecord.id).where(and_(true(), *cond)).limit(cap + 1).subquery()
    n = db.session.execute(select(func.count()).select_from(inner)).scalar_one()
    return min(n, cap), n > cap


def head() -> tuple[int, str]:
    """Id and hash of the newest record (0 and the genesis hash for an empty trail)."""
    row = db.session.execute(
        select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)
    ).first()
    return (row.id, row.hash) if row is not None else (0, audit.GENESIS)


def batch(
    flt: AuditFilter, *, after_id: int = 0, upto: int | None = None, limit: int = 2_000
) -> list[AuditRecord]:
    """The next ``limit`` matching records with ids above ``after_id`` (and up to ``upto``),
    oldest first: one step of a keyset walk."""
    bound = [AuditRecord.id <= upto] if upto is not None else []
    stmt = flt.select().where(AuditRecord.id > after_id, *bound)
    return list(db.session.execute(stmt.order_by(AuditRecord.id.asc()).limit(limit)).scalars())


def iter_records(
    flt: AuditFilter, *, upto: int | None = None, size: int = 2_000
) -> Iterator[AuditRecord]:
    """Every matching record up to id ``upto``, oldest first, in keyset batches (exports)."""
    last = 0
    while rows := batch(flt, after_id=last, upto=upto, limit=size):
        for rec in rows:
            yield rec
            db.session.expunge(rec)  # keep memory flat on a long export
        last = rows[-1].id


def get_record(record_id: int) -> AuditRecord:
    return get_row(AuditRecord, record_id, "审计记录不存在。")


def subject_key(object_type: str, object_id: str) -> str:
    return f"{object_type}:{object_id}"


def subject_of(rec: AuditRecord) -> str | None:
    """The business object a record declares it belongs to (``after.subject``), if any."""
    if isinstance(rec.after, dict):
        for key in SUBJECT_KEYS:
            value = rec.after.get(key)
            if isinstance(value, str) and ":" in value:
                return value
    return None


def timeline(object_type: str, object_id: str) -> tuple[list[AuditRecord], bool]:
    """Every record about one business object, oldest first, and whether it was cut short.

    A record belongs to the timeline of ``(object_type, object_id)`` when it is about that
    object, or when its ``after.subject`` (or ``after.business_key``) names it, e.g. the task
    completions and document generations of every process instance and every version of one
    report.  Records about the object that name another subject pull that subject in too, so
    the timeline of a report version shows the whole report.
    """
    t = AuditRecord
    key = subject_key(object_type, object_id)
    direct = and_(t.object_type == object_type, t.object_id == object_id)
    subjects = {key}
    # the first TIMELINE_MAX records about it, the same ones each time (ids are the order)
    first = select(t.after).where(direct).order_by(t.id).limit(TIMELINE_MAX)
    for after in db.session.execute(first).scalars():
        if isinstance(after, dict):
            subjects.update(
                v for k in SUBJECT_KEYS if isinstance(v := after.get(k), str) and ":" in v
            )
    linked: list[ColumnElement[bool]] = [direct]
    for subject in sorted(subjects):
        if subject != key:
            s_type, _, s_id = subject.partition(":")
            linked.append(and_(t.object_type == s_type, t.object_id == s_id))
        for k in SUBJECT_KEYS:
            linked.append(t.after[k].as_string() == subject)
    rows = list(
        db.session.execute(
            select(t).where(or_(*linked)).order_by(t.id.asc()).limit(TIMELINE_MAX + 1)
        ).scalars()
    )
    return rows[:TIMELINE_MAX], len(rows) > TIMELINE_MAX
