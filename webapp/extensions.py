"""Flask extensions, created unbound and initialised in ``create_app``."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event, insert
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction, make_transient, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.base import Executable

T = TypeVar("T")

# Deterministic constraint names so that Alembic migrations are stable on SQLite and PostgreSQL.
naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=naming_convention))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


#: True while the current unit of work intends to write (unsafe HTTP method, CLI command, job).
#: On SQLite its transactions then start with BEGIN IMMEDIATE; reads stay DEFERRED.
write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


#: Called by :func:`begin_write` once the writer's transaction may begin (the web edge claims
#: a request's one-time submission key there for a ``@reads_first`` view).
on_begin_write: list[Callable[[], None]] = []


def begin_write() -> None:
    """End the unit of work's reading transaction; its next statement begins a writer's one.

    For work that reads long and writes briefly (an import validating 60,000 rows): it runs as a
    reader, then calls this, so SQLite's write lock (BEGIN IMMEDIATE) is held only while it
    writes.  Nothing is written before this point; ORM objects reload on their next access.
    """
    db.session.rollback()
    write_intent.set(True)
    for hook in on_begin_write:
        hook()


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite safe for concurrent writers.

    pysqlite opens transactions lazily and as DEFERRED, so two writers both read, then one
    fails with "database is locked" when it upgrades to a write lock.  We take control of BEGIN:
    a unit of work that will write starts with BEGIN IMMEDIATE (it waits for the write lock up
    front, under the busy timeout, instead of failing later); WAL keeps readers unblocked.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # let us emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # Durable commits: in WAL mode NORMAL may lose the last commits on a power cut, and a
        # lost approval is a public error.  FULL is SQLite's default; said here so it stays.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


class AuditTrailIsAppendOnly(RuntimeError):
    """A programming error: something tried to change or delete an audit record (raised by
    :mod:`webapp.audit.guard`'s ORM hooks and by :func:`execute_plain`)."""


def execute_plain(statement: Executable, parameters: Any = None) -> Any:
    """Run a Core statement (on a ``Table`` or ``text``, never on a mapped class) on the
    session's connection, inside its transaction and SAVEPOINTs: :func:`run_plain` on the
    session's connection.

    Neither flushes pending objects (``session.execute`` does not either for a Core
    statement).  The one ``do_orm_execute`` hook, the audit trail's append-only guard
    (:mod:`webapp.audit.guard`), is repeated here: an UPDATE or DELETE of ``audit_record`` is
    refused (its INSERT is how the chain is written).
    """
    if (statement.is_update or statement.is_delete) and statement.table.name == "audit_record":
        raise AuditTrailIsAppendOnly("audit records cannot be updated or deleted")
    return run_plain(db.session().connection(), statement, parameters)


def run_plain(conn: Connection, statement: Executable, parameters: Any = None) -> Any:
    """Run a prebuilt Core statement on ``conn``'s DBAPI cursor, compiled once per dialect and
    set of parameter names.

    What ``Connection.execute`` does for such a statement, minus its per-execution machinery
    (the compiled cache's key, an execution context, parameter and result set-up: 50–90 Python
    calls a statement, most of a short statement's CPU on the completion path).  Kept: the
    dialect's bind processors (a datetime is stored exactly as SQLAlchemy stores it, JSON as
    its JSON type serializes it), the result columns' processors, the ``before_cursor_execute``
    and ``after_cursor_execute`` listeners (the tests count statements with them) and the
    DBAPI errors as SQLAlchemy's (an ``IntegrityError`` is ``sqlalchemy.exc.IntegrityError``).
    A list of parameter dicts is an executemany.  A statement SQLAlchemy has to rewrite per
    execution (an expanding ``IN`` list) goes through ``conn.execute``.  The answer is a
    :class:`PlainResult` (or, for that fallback, SQLAlchemy's result, which has the same
    methods)."""
    many = isinstance(parameters, list)
    first = (parameters[0] if parameters else {}) if many else (parameters or {})
    dialect = conn.dialect
    key = (id(statement), dialect.name, frozenset(first), many)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _MAX_PLANS:  # statements built per call (not prebuilt): start over
            _PLANS.clear()
        plan = _PLANS[key] = _plain_plan(statement, dialect, first, many)
    if plan.fallback:
        return conn.execute(statement, parameters)
    if many and plan.row is not None:
        raise sa_exc.ArgumentError("run_plain: an executemany cannot return rows")
    args = [plan.bind(p) for p in parameters] if many else plan.bind(first)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    dispatch = conn.dispatch
    if dispatch.before_cursor_execute:
        for listener in dispatch.before_cursor_execute:
            listener(conn, cursor, plan.sql, args, None, many)
    try:
        if many:
            cursor.executemany(plan.sql, args)
        else:
            cursor.execute(plan.sql, args)
    except dialect.loaded_dbapi.Error as exc:
        cursor.close()
        raise sa_exc.DBAPIError.instance(
            plan.sql, args, exc, dialect.loaded_dbapi.Error, dialect=dialect
        ) from exc
    if dispatch.after_cursor_execute:
        for listener in dispatch.after_cursor_execute:
            listener(conn, cursor, plan.sql, args, None, many)
    return PlainResult(cursor, plan)


#: (statement's id, dialect, parameter names, executemany) -> its plan; the statement is held
#: by the plan.
_PLANS: dict[tuple[int, str, frozenset[str], bool], _PlainPlan] = {}
_MAX_PLANS = 500


@dataclass(frozen=True)
class _PlainPlan:
    statement: Any
    fallback: bool
    sql: str = ""
    #: positional parameter names in order (qmark / format styles); None for named styles
    names: tuple[str, ...] | None = None
    #: values of the statement's own bound literals
    defaults: tuple[tuple[str, Any], ...] = ()
    #: (parameter name, the dialect's bind processor)
    processors: tuple[tuple[str, Callable[[Any], Any]], ...] = ()
    #: a row class for the result columns, and their processors (index, processor)
    row: Any = None
    results: tuple[tuple[int, Callable[[Any], Any]], ...] = ()
    #: RETURNING: the rows are fetched at once (SQLite applies the statement as it steps)
    returning: bool = False

    def bind(self, given: dict[str, Any]) -> Any:
        values = dict(self.defaults) if self.defaults else {}
        values.update(given)
        for name, process in self.processors:
            if name in values:
                values[name] = process(values[name])
        if self.names is None:
            return values
        try:
            return tuple([values[name] for name in self.names])
        except KeyError as exc:
            raise sa_exc.ArgumentError(f"no value for bind parameter {exc}") from None


def _plain_plan(statement: Any, dialect: Any, given: dict[str, Any], many: bool) -> _PlainPlan:
    from collections import namedtuple

    # for an executemany, without the primary key's implicit RETURNING (PostgreSQL's dialect
    # adds it to a single-row INSERT, and psycopg's executemany returns no rows)
    compiled = statement.compile(dialect=dialect, column_keys=sorted(given), for_executemany=many)
    if (
        compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.escaped_bind_names
        or compiled.has_out_parameters
    ):
        return _PlainPlan(statement, fallback=True)
    defaults = tuple(
        (name, bind.effective_value)
        for bind, name in compiled.bind_names.items()
        if not bind.required and name not in given
    )
    processors = tuple((compiled._bind_processors or {}).items())  # noqa: SLF001
    names = tuple(compiled.positiontup) if compiled.positional else None
    row = None
    results: list[tuple[int, Callable[[Any], Any]]] = []
    columns = compiled._result_columns  # noqa: SLF001
    if columns:
        row = namedtuple("PlainRow", [c[0] for c in columns], rename=True)  # type: ignore[misc]  # noqa: PYI024
        for index, column in enumerate(columns):
            process = column[3]._cached_result_processor(dialect, None)  # noqa: SLF001
            if process is not None:
                results.append((index, process))
    returning = bool(getattr(compiled, "effective_returning", None)) or bool(
        getattr(compiled, "returning", None)
    )
    return _PlainPlan(
        statement,
        fallback=False,
        sql=compiled.string,
        names=names,
        defaults=defaults,
        processors=processors,
        row=row,
        results=tuple(results),
        returning=returning,
    )


class PlainResult:
    """The few methods of SQLAlchemy's result the plain statements' callers use."""

    __slots__ = ("_cursor", "_plan", "_rows", "rowcount", "lastrowid")

    def __init__(self, cursor: Any, plan: _PlainPlan) -> None:
        self._cursor = cursor
        self._plan = plan
        self._rows: list[Any] | None = None
        self.lastrowid = getattr(cursor, "lastrowid", None)
        if plan.row is None:
            self.rowcount = cursor.rowcount
            cursor.close()
        elif plan.returning:
            self._fetch()
            self.rowcount = cursor.rowcount
        else:
            self.rowcount = -1

    def _fetch(self) -> list[Any]:
        if self._rows is None:
            raw = self._cursor.fetchall()
            self._cursor.close()
            plan = self._plan
            if plan.results:
                processed = []
                for values in raw:
                    values = list(values)
                    for index, process in plan.results:
                        values[index] = process(values[index])
                    processed.append(values)
                raw = processed
            self._rows = [plan.row._make(values) for values in raw]
        return self._rows

    def all(self) -> list[Any]:
        return list(self._fetch())

    def first(self) -> Any:
        rows = self._fetch()
        return rows[0] if rows else None

    def scalar_one_or_none(self) -> Any:
        rows = self._fetch()
        if len(rows) > 1:
            raise sa_exc.MultipleResultsFound("more than one row where one or none was expected")
        return rows[0][0] if rows else None

    def scalars(self) -> PlainResult:
        scalars = PlainResult.__new__(PlainResult)
        scalars._cursor = None
        scalars._plan = self._plan
        scalars._rows = [row[0] for row in self._fetch()]
        scalars.rowcount = self.rowcount
        scalars.lastrowid = self.lastrowid
        return scalars


class PlainInsertError(TypeError):
    """:func:`insert_row` was asked for what one plain INSERT cannot write (a programming
    error of its caller, never the user's input)."""


def set_loaded(obj: Any, values: dict[str, Any]) -> None:
    """Column values just written by a plain statement, set on ``obj`` as loaded (no history,
    nothing for a flush to write): ``set_committed_value`` for each, at once (four Python
    calls a column fewer).  Columns only, never a relationship."""
    state = instance_state(obj)
    obj.__dict__.update(values)
    state._commit(obj.__dict__, list(values))  # noqa: SLF001


def new_row(cls: type[T], **values: Any) -> T:
    """A new (transient) ORM object of ``cls`` holding ``values``, for :func:`insert_row`:
    what ``cls(**values)`` makes, without an attribute event per column (about 70 Python calls
    for a task row).  Only columns: a relationship is set by its foreign-key column."""
    unknown = values.keys() - _insert_plan(cls).keys
    if unknown:
        raise PlainInsertError(f"new_row({cls.__name__}): not columns: {sorted(unknown)}")
    obj = cls.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    obj.__dict__.update(values)
    return obj  # type: ignore[no-any-return]


def insert_row(obj: Any) -> Any:
    """Write a new ORM object with one plain INSERT and put it in the session as a loaded row.

    What the session's flush would do for this one object, without the unit of work (about a
    third of the CPU for a row on the completion path): the columns set on the object, and
    the Python defaults of the others, are inserted at once; nullable columns with neither are
    NULL (as the ORM leaves them).  Columns the database fills in (a ``server_default``, a SQL
    expression default) are read back in the same statement (RETURNING; only tables that have
    such columns pay for it).  The object must have no primary key yet and refer only to rows
    already written.  Returns ``obj``.

    Refused before any SQL runs (:class:`PlainInsertError`): a relationship set without its
    foreign-key column (``row.org = org`` instead of ``row.org_id = org.id``: a flush would
    copy the key across, a plain INSERT would write NULL), a collection holding rows (they
    would never be written), a NOT NULL column with no value and no default.

    If the transaction or SAVEPOINT the row was written in rolls back, the session forgets the
    object (it becomes transient again), as it does for a row its flush wrote; without that it
    would stay in the session as a row that does not exist.
    """
    plan = _insert_plan(type(obj))
    state = obj.__dict__
    for key, local in plan.relationships:
        value = state.get(key)
        if value is None:
            continue
        if local is None:
            if value:  # an empty collection is what reading the attribute leaves behind
                raise PlainInsertError(
                    f"insert_row({plan.name}): {key!r} holds rows a plain INSERT cannot write"
                )
            continue
        missing = [c for c in local if state.get(c) is None]
        if missing:
            raise PlainInsertError(
                f"insert_row({plan.name}): relationship {key!r} is set but its column "
                f"{', '.join(map(repr, missing))} is not: set the column (the related "
                "row's id) instead"
            )
    values: dict[str, Any] = {}
    unset = []
    for key, kind, arg, not_null in plan.columns:
        if key in state:
            if state[key] is None and not_null:
                if kind is _GENERATED:
                    continue  # an id left None: the database assigns it
                raise PlainInsertError(f"insert_row({plan.name}): NOT NULL column {key!r} is None")
            values[key] = state[key]
        elif kind is _SCALAR:
            values[key] = arg
        elif kind is _CALLABLE:
            values[key] = arg({})
        elif kind is _NULL:
            unset.append(key)
        elif kind is _REQUIRED:
            raise PlainInsertError(
                f"insert_row({plan.name}): NOT NULL column {key!r} has no value and no default"
            )
    session = db.session()
    returned = execute_plain(plan.statement, values).first()
    for index, key in enumerate(plan.primary_key):
        values[key] = returned[index]
    for index, (key, _column) in enumerate(plan.fetched, start=len(plan.primary_key)):
        if key not in values:  # a value given is the one written
            values[key] = returned[index]
    for key in unset:
        values[key] = None
    # the values as loaded ones: what set_committed_value does column by column, at once
    state.update(values)
    instance_state(obj)._commit_all(state)  # noqa: SLF001
    make_transient_to_detached(obj)
    session.add(obj)
    _remember_insert(session, obj)
    return obj


# How insert_row fills a column it was not given.
_SCALAR, _CALLABLE, _NULL, _REQUIRED, _GENERATED = "scalar", "callable", "null", "required", "gen"


@dataclass(frozen=True)
class _InsertPlan:
    """What insert_row needs to know of a mapped class, worked out once per class."""

    name: str
    statement: Any
    #: (key, how it is filled when not given, the default's argument, NOT NULL)
    columns: tuple[tuple[str, str, Any, bool], ...]
    primary_key: tuple[str, ...]
    #: (key, column) the database fills in and the INSERT returns
    fetched: tuple[tuple[str, Any], ...]
    #: (relationship key, its local foreign-key column keys; None for one it cannot write)
    relationships: tuple[tuple[str, tuple[str, ...] | None], ...]
    #: the column keys
    keys: frozenset[str]


@functools.cache
def _insert_plan(cls: type) -> _InsertPlan:
    from sqlalchemy import inspect
    from sqlalchemy.orm import MANYTOONE

    mapper = inspect(cls)
    if mapper.inherits is not None or mapper.polymorphic_on is not None:
        raise PlainInsertError(f"insert_row({cls.__name__}): one table per class only")
    table = mapper.local_table
    auto = table.autoincrement_column
    columns = []
    fetched = []
    for column in table.columns:
        default = column.default
        if column is auto or (column.primary_key and column.server_default is not None):
            kind, arg = _GENERATED, None
        elif column.server_default is not None or (
            default is not None and (default.is_clause_element or default.is_sequence)
        ):
            kind, arg = _GENERATED, None
            fetched.append((column.key, column))
        elif default is not None and default.is_scalar:
            kind, arg = _SCALAR, default.arg
        elif default is not None and default.is_callable:
            kind, arg = _CALLABLE, default.arg
        elif column.nullable:
            kind, arg = _NULL, None
        else:
            kind, arg = _REQUIRED, None
        columns.append((column.key, kind, arg, not column.nullable))
    relationships = []
    for rel in mapper.relationships:
        if rel.viewonly:
            continue
        if rel.direction is MANYTOONE:
            local = tuple(mapper.get_property_by_column(c).key for c in rel.local_columns)
            relationships.append((rel.key, local))
        else:
            relationships.append((rel.key, None))
    # the primary key, then the columns the database fills in, returned by the INSERT itself
    statement = insert(table).returning(
        *table.primary_key.columns, *(column for _, column in fetched)
    )
    return _InsertPlan(
        name=cls.__name__,
        statement=statement,
        columns=tuple(columns),
        primary_key=tuple(c.key for c in table.primary_key.columns),
        fetched=tuple(fetched),
        relationships=tuple(relationships),
        keys=frozenset(c[0] for c in columns),
    )


#: session.info key: (the root transaction, [(weak reference to a row, the innermost
#: transaction it was written in)]) of the rows insert_row wrote.
_INSERTED = "webapp.extensions.insert_row"


def _remember_insert(session: Session, obj: Any) -> None:
    root = session.get_transaction()
    rows = session.info.get(_INSERTED)
    if rows is None or rows[0] is not root:
        rows = session.info[_INSERTED] = (root, [])
    rows[1].append((weakref.ref(obj), session.get_nested_transaction() or root))


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_rows(session: Session, previous_transaction: SessionTransaction) -> None:
    """The rows insert_row wrote in ``previous_transaction`` (or in a SAVEPOINT inside it, since
    released) are gone: out of the session, transient again, as a flush's new rows would be."""
    rows = session.info.get(_INSERTED)
    if not rows or not rows[1]:
        return
    kept = []
    for ref, written_in in rows[1]:
        obj = ref()
        if obj is None:
            continue
        transaction: SessionTransaction | None = written_in
        while transaction is not None and transaction is not previous_transaction:
            transaction = transaction.parent
        if transaction is None:
            kept.append((ref, written_in))
        elif obj in session:
            session.expunge(obj)
            make_transient(obj)
    rows[1][:] = kept
