"""Domain verbs of the ledgers: read within one's subtree, create, update, delete, import.

Every operation takes the acting user, checks ``ledger.view``/``ledger.edit`` against the
record's org, raises a Chinese :class:`DomainError`, writes an audit record with before/after,
and flushes but never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select

from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput, NotFound
from webapp.core.models import Org, User
from webapp.core.operations import get_org
from webapp.core.permissions import require, require_visible
from webapp.extensions import db
from webapp.ledger.fields import KINDS, Kind, display, validate_record
from webapp.ledger.importing import (
    ImportResult,
    apply_import,
    derive,
    key_of,
    key_text,
    stage_import,
)
from webapp.ledger.models import AccidentLevel


def get_kind(name: str) -> Kind:
    kind = KINDS.get(name)
    if kind is None:
        raise NotFound("台账类型不存在。")
    return kind


def in_subtree(model: Any, org: Org) -> Select[Any]:
    """``select(model)`` limited to rows supervised by ``org`` or any unit below it."""
    return select(model).join(Org, model.org_id == Org.id).where(Org.path.like(org.path + "%"))


def scoped_query(user: User, kind: Kind, org: Org) -> Select[Any]:
    require(user, "ledger.view", org)
    return in_subtree(kind.model, org)


def get_record(user: User, kind: Kind, record_id: int, *, action: str = "ledger.view") -> Any:
    """The record, if ``user`` may do ``action`` on it: a record they may not even see
    (ledger.view) answers as a missing one, one they see but may not change is a 403."""
    record = db.session.get(kind.model, record_id)
    missing = f"{kind.label}不存在。"
    if record is None:
        raise NotFound(missing)
    require_visible(user, "ledger.view", record.org, missing)
    require(user, action, record.org)
    return record


def snapshot(kind: Kind, record: Any) -> dict[str, Any]:
    data = {f.name: display(f, getattr(record, f.name)) for f in kind.fields}
    data["org"] = record.org.code if record.org else None
    return data


@dataclass
class Saved:
    record: Any
    warnings: list[str] = field(default_factory=list)
    created: bool = False


def _check_or_raise(kind: Kind, raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    values, errors, warnings = validate_record(kind, raw)
    if errors:
        raise InvalidInput("；".join(errors.values()), details=errors)
    return values, warnings + derive(kind, values)


def _find_by_key(kind: Kind, key: tuple[Any, ...]) -> Any:
    cols = [getattr(kind.model, k) for k in kind.key]
    stmt = select(kind.model).where(*[c == v for c, v in zip(cols, key, strict=True)])
    return db.session.execute(stmt).scalars().first()


def save_record(
    actor: User, kind: Kind, org: Org, raw: dict[str, Any], record: Any = None
) -> Saved:
    """Create (``record`` None) or update one ledger row from raw values keyed by field name."""
    require(actor, "ledger.edit", org)
    if record is not None:
        require(actor, "ledger.edit", record.org)
        _refuse_managed(record)
    values, warnings = _check_or_raise(kind, raw)
    other = _find_by_key(kind, key_of(kind, values))
    if other is not None and other is not record:
        raise Conflict(f"{kind.label}“{key_text(kind, key_of(kind, values))}”已存在。")
    if record is not None and record.org_id == org.id and _same(record, values):
        # Saved unchanged: leave the row as it was (no new editor or time, nothing to audit).
        return Saved(record, warnings, False)
    now = clock.now()
    before = snapshot(kind, record) if record is not None else None
    created = record is None
    if created:
        record = kind.model(created_by_id=actor.id, created_at=now)
        db.session.add(record)
    for name, value in values.items():
        setattr(record, name, value)
    record.org = org
    record.updated_by_id = actor.id
    record.updated_at = now
    db.session.flush()
    after = snapshot(kind, record)
    if before != after:
        audit.record(
            f"ledger.{kind.name}.{'create' if created else 'update'}",
            actor=actor,
            org=org,
            object_type=kind.model.__tablename__,
            object_id=record.id,
            before=before,
            after=after,
            message="；".join(warnings) or None,
        )
    return Saved(record, warnings, created)


def _same(record: Any, values: dict[str, Any]) -> bool:
    return all(getattr(record, name) == value for name, value in values.items())


def _refuse_managed(record: Any) -> None:
    if getattr(record, "managed", False):
        raise Conflict(
            "该事故由事故报告管理，只能通过续报或调查结论修改，不能在台账中直接修改或删除。"
        )


def delete_record(actor: User, kind: Kind, record: Any) -> None:
    require(actor, "ledger.edit", record.org)
    _refuse_managed(record)
    before = snapshot(kind, record)
    audit.record(
        f"ledger.{kind.name}.delete",
        actor=actor,
        org=record.org,
        object_type=kind.model.__tablename__,
        object_id=record.id,
        before=before,
    )
    db.session.delete(record)
    db.session.flush()


# Import ---------------------------------------------------------------------------------------
def import_records(
    actor: User, kind: Kind, org: Org, rows: list[tuple[int, dict[str, Any]]]
) -> ImportResult:
    """Stage and apply an import in the current transaction (CLI, tests).

    The web and API imports stage as readers and apply in a separate short writing
    transaction (:mod:`webapp.ledger.importing`); this is the same in one step.
    """
    return apply_import(actor, org, stage_import(actor, kind, org, rows))


def accident_levels() -> list[str]:
    return [lvl.value for lvl in AccidentLevel]


def resolve_org(actor: User, code: str | None) -> Org:
    """The org named by ``code`` (default: the actor's own)."""
    return actor.org if not code else get_org(code)
