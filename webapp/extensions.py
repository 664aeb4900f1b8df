"""Flask extensions, created unbound and initialised in ``create_app``."""

from __future__ import annotations

import functools
from contextvars import ContextVar
from typing import Any

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

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


def begin_write() -> None:
    """End the unit of work's reading transaction; its next statement begins a writer's one.

    For work that reads long and writes briefly (an import validating 60,000 rows): it runs as a
    reader, then calls this, so SQLite's write lock (BEGIN IMMEDIATE) is held only while it
    writes.  Nothing is written before this point; ORM objects reload on their next access.
    """
    db.session.rollback()
    write_intent.set(True)


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


def insert_row(obj: Any) -> Any:
    """Write a new ORM object with one plain INSERT and put it in the session as a loaded row.

    What the session's flush would do for this one object, without the unit of work (about a
    third of the CPU for a row on the completion path): the columns set on the object, and
    the Python defaults of the others, are inserted at once; columns with neither stay NULL
    (as the ORM leaves them).  The object must have no primary key yet and refer only to rows
    already written.  Returns ``obj``.
    """
    table = obj.__table__
    state = obj.__dict__
    values: dict[str, Any] = {}
    unset = []
    for column in table.columns:
        if column.key in state:
            values[column.key] = state[column.key]
        elif column.default is not None and column.default.is_scalar:
            values[column.key] = column.default.arg
        elif column.default is not None and column.default.is_callable:
            values[column.key] = column.default.arg({})
        elif not column.primary_key:
            unset.append(column.key)
    result = db.session.execute(_insert_statement(table), values)
    for column, key in zip(table.primary_key.columns, result.inserted_primary_key, strict=True):
        values[column.key] = key
    for key in unset:
        values[key] = None
    for key, value in values.items():
        set_committed_value(obj, key, value)
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj


@functools.cache
def _insert_statement(table: Any) -> Any:
    return insert(table)
