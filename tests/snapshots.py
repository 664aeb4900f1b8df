"""Database states that take long to build, built once per test process and copied back after.

Some setups drive a process through many steps (a year-end campaign ranked: its three BPMN
processes, every unit's self-assessment, the scoring) and many tests start from the same one.
:func:`built` runs such a build the first time, keeps a copy of what it wrote, and for every
later test that asks for the same state restores that copy instead of building again:

* SQLite: the rows of every table the build filled, read raw and inserted back (same ids, same
  rowid order);
* PostgreSQL: a copy of each filled table in a schema of its own (``hqr_snapshot_<n>``, dropped
  at the start of the next run), inserted back with ``INSERT … SELECT`` (same ids, same physical
  order), and every sequence set back where the build left it.

A test then starts from exactly the rows a fresh build would have written, ids included, and
the teardown empties them as it empties any test's (tests/conftest.py).  Only a build from an
empty database is kept or restored: when a test wrote rows before asking, :func:`built` runs
the build itself and keeps nothing.  The key names the state; the frozen clock (or, unfrozen,
the local day) is part of it.  What a build leaves outside the database (a signed-in client)
is not kept: builds write rows and return the ids the test needs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from webapp.core import clock
from webapp.extensions import db

SCHEMA_PREFIX = "hqr_snapshot_"


@dataclass
class Snapshot:
    #: What the build returned (handed out as a copy).
    data: dict[str, Any]
    #: The tables the build filled, parents first.
    tables: list[str]
    #: SQLite: each table's rows, raw.
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    #: PostgreSQL: the schema holding the copies and the statement setting the sequences back.
    schema: str = ""
    sequences: str = ""


_SNAPSHOTS: dict[Hashable, Snapshot] = {}
#: How often each key was built and restored (the isolation tests look).
stats: dict[Hashable, list[int]] = {}


def built(key: Hashable, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The database state ``build`` makes from an empty database, and what it returns.

    The first call for ``key`` (and clock) runs ``build`` and keeps a copy of the rows; later
    calls, each from an empty database, restore the copy.  Returns a copy of ``build``'s data.
    """
    from tests.conftest import data_tables

    full_key = (key, _clock_key())
    counts = stats.setdefault(full_key, [0, 0])
    db.session.commit()
    connection = db.session.connection()
    if _filled(connection, data_tables()):
        counts[0] += 1
        return build()
    snapshot = _SNAPSHOTS.get(full_key)
    if snapshot is None:
        counts[0] += 1
        data = build()
        db.session.commit()
        snapshot = _take(db.session.connection(), data, len(_SNAPSHOTS))
        db.session.commit()
        _SNAPSHOTS[full_key] = snapshot
    else:
        counts[1] += 1
        _restore(connection, snapshot)
        db.session.commit()
    return copy.deepcopy(snapshot.data)


def _clock_key() -> str:
    """The frozen instant, or (clock running) today: a build is kept for the day only."""
    frozen = clock._override is not None
    return clock.now().isoformat() if frozen else f"day {clock.today_local()}"


def _filled(connection: Any, tables: list[str]) -> list[str]:
    """The tables of ``tables`` holding rows, in the same order (one query)."""
    probe = " UNION ALL ".join(
        f'SELECT {i} WHERE EXISTS (SELECT 1 FROM "{name}")' for i, name in enumerate(tables)
    )
    found = set(connection.execute(text(probe)).scalars().all())
    return [name for i, name in enumerate(tables) if i in found]


def _columns(name: str) -> str:
    """The table's columns a row is written with, quoted: not the ones the database computes
    (stored generated columns refuse a value on either database)."""
    from webapp.extensions import db

    table = db.metadata.tables[name]
    return ", ".join(f'"{c.name}"' for c in table.columns if c.computed is None)


def _take(connection: Any, data: dict[str, Any], number: int) -> Snapshot:
    from tests.conftest import data_tables, sequence_names

    tables = list(reversed(_filled(connection, data_tables())))  # parents first
    snapshot = Snapshot(copy.deepcopy(data), tables)
    if connection.dialect.name != "postgresql":
        for name in tables:
            rows = connection.exec_driver_sql(f'SELECT {_columns(name)} FROM "{name}"')
            snapshot.rows[name] = [tuple(row) for row in rows]
        return snapshot
    snapshot.schema = f"{SCHEMA_PREFIX}{number}"
    connection.execute(text(f'DROP SCHEMA IF EXISTS "{snapshot.schema}" CASCADE'))
    connection.execute(text(f'CREATE SCHEMA "{snapshot.schema}"'))
    for name in tables:
        connection.execute(
            text(
                f'CREATE TABLE "{snapshot.schema}"."{name}" AS '
                f'SELECT {_columns(name)} FROM "{name}"'
            )
        )
    names = sequence_names(connection)
    if names:
        states = connection.execute(
            text(
                " UNION ALL ".join(
                    f"SELECT '{name}', last_value, is_called FROM \"{name}\"" for name in names
                )
            )
        ).all()
        calls = [f"setval('\"{name}\"', {value}, {called})" for name, value, called in states]
        snapshot.sequences = "SELECT " + ", ".join(calls)
    return snapshot


def _restore(connection: Any, snapshot: Snapshot) -> None:
    if connection.dialect.name != "postgresql":
        for name in snapshot.tables:
            rows = snapshot.rows[name]
            marks = ", ".join("?" * len(rows[0]))
            connection.exec_driver_sql(
                f'INSERT INTO "{name}" ({_columns(name)}) VALUES ({marks})', rows
            )
        return
    for name in snapshot.tables:
        columns = _columns(name)
        connection.execute(
            text(
                f'INSERT INTO "{name}" ({columns}) '
                f'SELECT {columns} FROM "{snapshot.schema}"."{name}"'
            )
        )
    if snapshot.sequences:
        connection.execute(text(snapshot.sequences))


def drop_postgres_schemas(connection: Any) -> None:
    """Drop the copies a previous run left (the run's start; their ids mean nothing now)."""
    names = connection.execute(
        text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :prefix"),
        {"prefix": SCHEMA_PREFIX + "%"},
    )
    for (name,) in names.all():
        connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
