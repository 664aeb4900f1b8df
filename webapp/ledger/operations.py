"""Domain verbs of the ledgers: read within one's subtree, create, update, delete, import.

Every operation takes the acting user, checks ``ledger.view``/``ledger.edit`` against the
record's org, raises a Chinese :class:`DomainError`, writes an audit record with before/after,
and flushes but never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select, tuple_

from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput, NotFound
from webapp.core.models import Org, User
from webapp.core.operations import get_org
from webapp.core.permissions import require
from webapp.extensions import db
from webapp.ledger.fields import KINDS, ORG_LABEL, Kind, display, validate_record
from webapp.ledger.models import FAST_REPORT_LEVELS, AccidentLevel, accident_level

#: Rows looked up per query when matching an import against the ledger.
LOOKUP_CHUNK = 400


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
    record = db.session.get(kind.model, record_id)
    if record is None:
        raise NotFound(f"{kind.label}不存在。")
    require(user, action, record.org)
    return record


def snapshot(kind: Kind, record: Any) -> dict[str, Any]:
    data = {f.name: display(f, getattr(record, f.name)) for f in kind.fields}
    data["org"] = record.org.code if record.org else None
    return data


def key_of(kind: Kind, values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(values[k] for k in kind.key)


def _key_text(kind: Kind, key: tuple[Any, ...]) -> str:
    return " / ".join(display(kind.field(k), v) for k, v in zip(kind.key, key, strict=True))


def _derive(kind: Kind, values: dict[str, Any]) -> list[str]:
    """Computed columns; returns extra warnings."""
    if kind.name != "accidents":
        return []
    level = accident_level(values["deaths"], values["serious_injuries"], values["loss_10k_yuan"])
    values["level"] = level.value
    if level in FAST_REPORT_LEVELS:
        return [f"{level.value}事故：须在2小时内逐级上报（第十七条）"]
    return []


@dataclass
class Saved:
    record: Any
    warnings: list[str] = field(default_factory=list)
    created: bool = False


def _check_or_raise(kind: Kind, raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    values, errors, warnings = validate_record(kind, raw)
    if errors:
        raise InvalidInput("；".join(errors.values()), details=errors)
    return values, warnings + _derive(kind, values)


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
        raise Conflict(f"{kind.label}“{_key_text(kind, key_of(kind, values))}”已存在。")
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
@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "warnings": self.warnings,
        }


def _problem(row: int, column: str | None, reason: str) -> dict[str, Any]:
    return {"row": row, "column": column, "reason": reason}


def import_records(
    actor: User, kind: Kind, org: Org, rows: list[tuple[int, dict[str, Any]]]
) -> ImportResult:
    """Import rows (sheet row number, {header label: raw cell}) into ``org``'s subtree.

    All or nothing: any bad row raises InvalidInput whose ``details`` lists every bad row and
    column with a Chinese reason, and nothing is written.  Rows are matched to the ledger by the
    kind's key (监督注册号 for projects): new → created, different → updated, same → unchanged.
    """
    require(actor, "ledger.edit", org)
    problems: list[dict[str, Any]] = []
    parsed: list[tuple[int, dict[str, Any], Org, list[str]]] = []
    orgs = {
        o.code: o
        for o in db.session.execute(select(Org).where(Org.path.like(org.path + "%"))).scalars()
    }
    seen: dict[tuple[Any, ...], int] = {}
    for number, cells in rows:
        raw = {f.name: cells.get(f.label) for f in kind.fields}
        values, errors, warnings = validate_record(kind, raw)
        for label, reason in errors.items():
            problems.append(_problem(number, label, reason))
        code = cells.get(ORG_LABEL)
        target = org
        if code not in (None, ""):
            code = str(int(code)) if isinstance(code, float) else str(code).strip()
            if code not in orgs:
                problems.append(
                    _problem(number, ORG_LABEL, f"监督机构代码 {code} 不存在或不在本单位辖区内")
                )
            else:
                target = orgs[code]
        if errors:
            continue
        key = key_of(kind, values)
        if key in seen:
            problems.append(
                _problem(number, kind.field(kind.key[0]).label, f"与第 {seen[key]} 行重复")
            )
            continue
        seen[key] = number
        warnings = warnings + _derive(kind, values)
        parsed.append((number, values, target, warnings))
    existing = _existing_by_key(kind, list(seen))
    for number, values, _target, _w in parsed:
        current = existing.get(key_of(kind, values))
        if current is not None and not current.org.is_in_subtree_of(org):
            problems.append(
                _problem(
                    number,
                    kind.field(kind.key[0]).label,
                    f"已由其他单位（{current.org.name}）登记，不能导入",
                )
            )
        elif current is not None and getattr(current, "managed", False):
            problems.append(
                _problem(
                    number,
                    kind.field(kind.key[0]).label,
                    "该事故由事故报告管理，只能通过续报修改，不能导入覆盖",
                )
            )
    if problems:
        problems.sort(key=lambda p: (p["row"], p["column"] or ""))
        raise InvalidInput(
            f"导入失败：{len({p['row'] for p in problems})} 行有误，未导入任何数据。",
            details=problems,
        )
    return _apply_import(actor, kind, org, parsed, existing)


def _existing_by_key(kind: Kind, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], Any]:
    cols = [getattr(kind.model, k) for k in kind.key]
    found: dict[tuple[Any, ...], Any] = {}
    for i in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[i : i + LOOKUP_CHUNK]
        if len(cols) == 1:
            cond = cols[0].in_([k[0] for k in chunk])
        else:
            cond = tuple_(*cols).in_(chunk)
        for rec in db.session.execute(select(kind.model).where(cond)).scalars():
            found[tuple(getattr(rec, k) for k in kind.key)] = rec
    return found


def _apply_import(
    actor: User,
    kind: Kind,
    org: Org,
    parsed: list[tuple[int, dict[str, Any], Org, list[str]]],
    existing: dict[tuple[Any, ...], Any],
) -> ImportResult:
    result = ImportResult()
    now = clock.now()
    created_keys: list[str] = []
    changes: dict[str, dict[str, list[str]]] = {}
    for number, values, target, warnings in parsed:
        key = key_of(kind, values)
        record = existing.get(key)
        if warnings:
            result.warnings.append({"row": number, "warnings": warnings})
        if record is None:
            record = kind.model(
                created_by_id=actor.id, created_at=now, updated_by_id=actor.id, updated_at=now
            )
            for name, value in values.items():
                setattr(record, name, value)
            record.org_id = target.id
            db.session.add(record)
            result.created += 1
            created_keys.append(_key_text(kind, key))
            continue
        diff = {
            name: [display(kind.field(name), getattr(record, name)), display(kind.field(name), v)]
            for name, v in values.items()
            if name in {f.name for f in kind.fields} and getattr(record, name) != v
        }
        if record.org_id != target.id:
            diff["org"] = [record.org.code, target.code]
        if not diff:
            result.unchanged += 1
            continue
        for name, value in values.items():
            setattr(record, name, value)
        record.org_id = target.id
        record.updated_by_id = actor.id
        record.updated_at = now
        result.updated += 1
        changes[_key_text(kind, key)] = diff
    db.session.flush()
    audit.record(
        f"ledger.{kind.name}.import",
        actor=actor,
        org=org,
        object_type=kind.model.__tablename__,
        after={
            "counts": result.as_dict() | {"warnings": len(result.warnings)},
            "created": created_keys,
            "updated": changes,
        },
        message=f"导入{kind.label}：新增 {result.created}，更新 {result.updated}，"
        f"未变 {result.unchanged}",
    )
    return result


def accident_levels() -> list[str]:
    return [lvl.value for lvl in AccidentLevel]


def resolve_org(actor: User, code: str | None) -> Org:
    """The org named by ``code`` (default: the actor's own)."""
    return actor.org if not code else get_org(code)
