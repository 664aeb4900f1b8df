"""Importing a ledger from Excel rows in two steps, so the write lock is held for a moment.

:func:`stage_import` parses, validates and matches every row against the ledger *as a reader*
(on SQLite a DEFERRED transaction: other units keep saving meanwhile) and returns what is to be
written.  :func:`apply_import` then writes it in one short transaction: it checks under the
write lock that the rows it matched are still as staged, inserts the new rows with one Core
``INSERT`` executemany, updates the changed ones with one ``UPDATE`` executemany by primary key,
and writes the import's audit record.  All or nothing: any bad row refuses the whole file before
anything is written, and a failure while writing rolls the whole transaction back.

The caller ends the reading transaction between the two steps (``webapp.extensions.begin_write``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Table, UniqueConstraint, bindparam, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from webapp.core import audit, clock
from webapp.core.errors import Conflict, InvalidInput
from webapp.core.models import Org, User
from webapp.core.permissions import require
from webapp.extensions import db
from webapp.ledger.fields import ORG_LABEL, Kind, display, validate_record
from webapp.ledger.models import FAST_REPORT_LEVELS, accident_level

#: Keys looked up per query when matching rows against the ledger.
LOOKUP_CHUNK = 400
#: Rows between two progress reports.
PROGRESS_EVERY = 2000

#: ``progress(phase, done, total)``: phases "validate" and "write".
Progress = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The counts and warnings, as the API answers them and the audit record keeps them."""
        return asdict(self)


@dataclass
class Batch:
    """One compiled statement and its rows as the driver's parameters: one executemany."""

    sql: str
    params: list[Any]
    #: Rows the statement must change (an UPDATE guarded by what staging saw), else None.
    expect: int | None = None


@dataclass(kw_only=True)
class StagedImport(ImportResult):
    """What an import will write, ready to be executed: the counts and warnings its result
    will report (:class:`ImportResult`'s), the keys and changes it audits, its statements."""

    kind: Kind
    org_id: int
    rows: int
    created_keys: list[str] = field(default_factory=list)
    changes: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    #: Keys staged as new: checked again under the write lock.
    new_keys: list[tuple[Any, ...]] = field(default_factory=list)
    batches: list[Batch] = field(default_factory=list)


def _table(kind: Kind) -> Table:
    return kind.model.__table__  # type: ignore[no-any-return]


def key_of(kind: Kind, values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(values[k] for k in kind.key)


def key_text(kind: Kind, key: tuple[Any, ...]) -> str:
    return " / ".join(display(kind.field(k), v) for k, v in zip(kind.key, key, strict=True))


def derive(kind: Kind, values: dict[str, Any]) -> list[str]:
    """Computed columns; returns extra warnings."""
    if kind.name != "accidents":
        return []
    level = accident_level(values["deaths"], values["serious_injuries"], values["loss_10k_yuan"])
    values["level"] = level.value
    if level in FAST_REPORT_LEVELS:
        return [f"{level.value}事故：须在2小时内逐级上报（第十七条）"]
    return []


def _problem(row: int, column: str | None, reason: str) -> dict[str, Any]:
    return {"row": row, "column": column, "reason": reason}


def rows_by_key(
    kind: Kind, keys: list[tuple[Any, ...]], *, only_keys: bool = False
) -> dict[tuple[Any, ...], Any]:
    """The ledger rows (Core rows: every column, or the key columns) holding ``keys``."""
    table = _table(kind)
    cols = [table.c[k] for k in kind.key]
    found: dict[tuple[Any, ...], Any] = {}
    for i in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[i : i + LOOKUP_CHUNK]
        if len(cols) == 1:
            cond = cols[0].in_([k[0] for k in chunk])
        else:
            cond = tuple_(*cols).in_(chunk)
        stmt = select(*cols) if only_keys else select(table)
        for row in db.session.execute(stmt.where(cond)):
            found[tuple(row._mapping[k] for k in kind.key)] = row
    return found


def stage_import(
    actor: User,
    kind: Kind,
    org: Org,
    rows: list[tuple[int, dict[str, Any]]],
    progress: Progress | None = None,
) -> StagedImport:
    """Parse, validate and match ``rows`` (sheet row number, {header: raw cell}); write nothing.

    Any bad row raises InvalidInput whose ``details`` lists every bad row and column with a
    Chinese reason.  Rows are matched by the kind's key (监督注册号 for projects): new → created,
    different → updated, same → unchanged; a key registered by a unit outside ``org``'s subtree
    is refused.
    """
    require(actor, "ledger.edit", org)
    problems: list[dict[str, Any]] = []
    parsed: list[tuple[int, dict[str, Any], int, list[str]]] = []
    subtree = db.session.execute(
        select(Org.id, Org.code).where(Org.path.like(org.path + "%"))
    ).all()
    org_ids = {code: oid for oid, code in subtree}
    seen: dict[tuple[Any, ...], int] = {}
    total = len(rows)
    for done, (number, cells) in enumerate(rows, start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress("validate", done, total)
        raw = {f.name: cells.get(f.label) for f in kind.fields}
        values, errors, warnings = validate_record(kind, raw)
        for label, reason in errors.items():
            problems.append(_problem(number, label, reason))
        code = cells.get(ORG_LABEL)
        target = org.id
        if code not in (None, ""):
            code = str(int(code)) if isinstance(code, float) else str(code).strip()
            if code not in org_ids:
                problems.append(
                    _problem(number, ORG_LABEL, f"监督机构代码 {code} 不存在或不在本单位辖区内")
                )
            else:
                target = org_ids[code]
        if errors:
            continue
        key = key_of(kind, values)
        if key in seen:
            problems.append(
                _problem(number, kind.field(kind.key[0]).label, f"与第 {seen[key]} 行重复")
            )
            continue
        seen[key] = number
        parsed.append((number, values, target, warnings + derive(kind, values)))
    if progress is not None:
        progress("validate", total, total)
    existing = rows_by_key(kind, list(seen))
    inside = set(org_ids.values())
    outsiders = {r.org_id for r in existing.values() if r.org_id not in inside}
    names = dict(db.session.execute(select(Org.id, Org.name).where(Org.id.in_(outsiders))).all())
    for number, values, _target, _w in parsed:
        current = existing.get(key_of(kind, values))
        if current is not None and current.org_id in outsiders:
            problems.append(
                _problem(
                    number,
                    kind.field(kind.key[0]).label,
                    f"已由其他单位（{names.get(current.org_id, '')}）登记，不能导入",
                )
            )
        elif current is not None and current._mapping.get("managed"):
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
    staged = _plan(kind, org, parsed, existing)
    _prepare(staged, actor, *_split(kind, parsed, existing))
    return staged


def _changed(kind: Kind, was: Any, values: dict[str, Any], target: int) -> list[str]:
    """Columns whose value differs from the row as read (fields, derived columns, org)."""
    cols = [name for name, v in values.items() if was[name] != v]
    return cols + (["org_id"] if was["org_id"] != target else [])


def _plan(
    kind: Kind,
    org: Org,
    parsed: list[tuple[int, dict[str, Any], int, list[str]]],
    existing: dict[tuple[Any, ...], Any],
) -> StagedImport:
    """Counts, warnings and the audit's account of what changes (diffs as displayed)."""
    staged = StagedImport(kind=kind, org_id=org.id, rows=len(parsed))
    field_names = {f.name for f in kind.fields}
    codes: dict[int, str] = {}
    for number, values, target, warnings in parsed:
        key = key_of(kind, values)
        current = existing.get(key)
        if warnings:
            staged.warnings.append({"row": number, "warnings": warnings})
        if current is None:
            staged.created += 1
            staged.created_keys.append(key_text(kind, key))
            staged.new_keys.append(key)
            continue
        was = current._mapping
        changed = _changed(kind, was, values, target)
        if not changed:
            staged.unchanged += 1
            continue
        diff = {
            name: [display(kind.field(name), was[name]), display(kind.field(name), values[name])]
            for name in changed
            if name in field_names
        }
        if "org_id" in changed:
            if not codes:
                codes = dict(db.session.execute(select(Org.id, Org.code)).all())
            diff["org"] = [codes[was["org_id"]], codes[target]]
        staged.updated += 1
        staged.changes[key_text(kind, key)] = diff
    return staged


def _split(
    kind: Kind,
    parsed: list[tuple[int, dict[str, Any], int, list[str]]],
    existing: dict[tuple[Any, ...], Any],
) -> tuple[list[dict[str, Any]], dict[tuple[str, ...], list[dict[str, Any]]]]:
    """New rows' values, and changed rows' values grouped by the columns that change (an UPDATE
    sets only those: unchanged indexed columns cost no index maintenance)."""
    creates: list[dict[str, Any]] = []
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for _number, values, target, _warnings in parsed:
        current = existing.get(key_of(kind, values))
        if current is None:
            creates.append({**values, "org_id": target})
            continue
        was = current._mapping
        changed = _changed(kind, was, values, target)
        if changed:
            row = {name: values[name] for name in changed if name != "org_id"}
            row |= {"org_id": target, "row_id": was["id"], "seen_org_id": was["org_id"]}
            row["seen_updated_at"] = was["updated_at"]
            updates.setdefault(tuple(changed), []).append(row)
    return creates, updates


def _prepare(
    staged: StagedImport,
    actor: User,
    creates: list[dict[str, Any]],
    updates: dict[tuple[str, ...], list[dict[str, Any]]],
) -> None:
    """Compile the statements and convert every row to driver parameters, before the lock."""
    table = _table(staged.kind)
    now = clock.now()
    stamp = {"updated_by_id": actor.id, "updated_at": now}
    if creates:
        born = {**stamp, "created_by_id": actor.id, "created_at": now}
        defaults = _defaults(table, set(creates[0]) | set(born))
        rows = [{**defaults, **r, **born} for r in creates]
        staged.batches.append(_batch(insert(table), list(rows[0]), rows))
    guarded = update(table).where(
        table.c.id == bindparam("row_id"),
        table.c.org_id == bindparam("seen_org_id"),
        table.c.updated_at.is_not_distinct_from(bindparam("seen_updated_at")),
    )
    for changed, group in updates.items():
        rows = [{**r, **stamp} for r in group]
        columns = [*changed, *stamp]  # org_id only when the row moves: it is in four indexes
        staged.batches.append(_batch(guarded, columns, rows, expect=len(rows)))


def _defaults(table: Table, given: set[str]) -> dict[str, Any]:
    """The Python-side defaults of the columns an import does not fill (e.g. an accident's
    ``managed``): the rows are written without SQLAlchemy's per-row default handling."""
    found: dict[str, Any] = {}
    for column in table.columns:
        if column.key in given or column.primary_key or column.computed is not None:
            continue  # a generated column (the database keeps it) is never written
        default = column.default
        if default is None:
            found[column.key] = None
        elif getattr(default, "is_scalar", False):
            found[column.key] = default.arg
        else:
            found[column.key] = default.arg(None) if default.is_callable else None
    return found


def _batch(stmt: Any, columns: list[str], rows: list[dict[str, Any]], **kw: Any) -> Batch:
    dialect = db.session.get_bind().dialect
    compiled = stmt.compile(dialect=dialect, column_keys=columns)
    convert = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect)
        for name, bind in compiled.binds.items()
    }
    names = list(compiled.positiontup or []) if compiled.positional else list(compiled.binds)

    def value(name: str, row: dict[str, Any]) -> Any:
        fn = convert[name]
        return fn(row[name]) if fn is not None else row[name]

    if compiled.positional:
        params: list[Any] = [tuple(value(n, row) for n in names) for row in rows]
    else:
        params = [{n: value(n, row) for n in names} for row in rows]
    return Batch(compiled.string, params, **kw)


def apply_import(
    actor: User, org: Org, staged: StagedImport, progress: Progress | None = None
) -> ImportResult:
    """Write a staged import in the current (writing) transaction; flush, never commit.

    Refused with Conflict when a key staged as new now exists, or a row to update changed since
    it was staged: the clerk imports again and sees the ledger as it is now.
    """
    require(actor, "ledger.edit", org)
    kind = staged.kind
    if progress is not None:
        progress("write", 0, staged.rows)
    conn = db.session.connection()  # begins the writing transaction (BEGIN IMMEDIATE on SQLite)
    if not _key_is_unique(kind):  # else the database refuses a duplicate (IntegrityError below)
        taken = rows_by_key(kind, staged.new_keys, only_keys=True)
        if taken:
            raise _moved(kind, len(taken), next(iter(taken)))
    try:
        for batch in staged.batches:
            result = conn.exec_driver_sql(batch.sql, batch.params)
            if batch.expect is not None and result.rowcount != batch.expect:
                raise _moved(kind, batch.expect - result.rowcount, None)
    except IntegrityError as exc:  # a key inserted by someone else since the check above
        raise _moved(kind, 1, None) from exc
    result = ImportResult(
        created=staged.created,
        updated=staged.updated,
        unchanged=staged.unchanged,
        warnings=staged.warnings,
    )
    audit.record(
        f"ledger.{kind.name}.import",
        actor=actor,
        org=org,
        object_type=kind.model.__tablename__,
        after={
            "counts": result.as_dict() | {"warnings": len(result.warnings)},
            "created": staged.created_keys,
            "updated": staged.changes,
        },
        message=f"导入{kind.label}：新增 {result.created}，更新 {result.updated}，"
        f"未变 {result.unchanged}",
    )
    if progress is not None:
        progress("write", staged.rows, staged.rows)
    return result


def _key_is_unique(kind: Kind) -> bool:
    """Does the database itself refuse a second row with the same key?"""
    table = _table(kind)
    key = set(kind.key)
    if len(key) == 1 and table.c[kind.key[0]].unique:
        return True
    uniques = [set(i.columns.keys()) for i in table.indexes if i.unique]
    uniques += [set(c.columns.keys()) for c in table.constraints if isinstance(c, UniqueConstraint)]
    return key in uniques


def _moved(kind: Kind, count: int, key: tuple[Any, ...] | None) -> Conflict:
    example = f"（如“{key_text(kind, key)}”）" if key is not None else ""
    return Conflict(
        f"导入期间有 {count} 条相同的记录被他人新增或修改{example}，未导入任何数据，请重新导入。"
    )
