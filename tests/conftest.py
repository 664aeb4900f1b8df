"""Shared fixtures.

The database is real: an SQLite file per run by default, PostgreSQL when ``TEST_DATABASE_URL``
is set.  The schema is built once per run by the Alembic migrations (so they are tested too);
organisations are loaded once; every other table is emptied after each test.  A state that
takes long to build (a campaign ranked through its processes) is built once per process and
copied back for the next test asking for it (tests/snapshots.py).

Hypothesis runs derandomized by default (profile ``ci``): the same examples on every run and
machine, no example database, so a failure in CI is a failure on a laptop.  ``make fuzz``
selects the ``random`` profile (``HYPOTHESIS_PROFILE=random``) with more examples for fresh
randomness; each input it finds to fail becomes an explicit ``@example`` or regression case.
Both take their number of examples from ``HQR_FUZZ_EXAMPLES`` (default 25).

The suite runs in parallel with pytest-xdist (``make test`` uses one worker per core): each
worker is its own process with its own SQLite file, and on PostgreSQL its own database
(``<TEST_DATABASE_URL's database>_gw0``, ``_gw1``…, created on first use), so workers never
empty each other's tables.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from webapp import create_app
from webapp.config import TestingConfig
from webapp.core import clock
from webapp.core.models import Org, User
from webapp.extensions import db, limiter, write_intent

#: Examples per Hypothesis test (per API operation for the fuzz test); ``make fuzz`` raises it.
FUZZ_EXAMPLES = int(os.environ.get("HQR_FUZZ_EXAMPLES", "25"))
settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, max_examples=FUZZ_EXAMPLES
)
settings.register_profile(
    "random", database=None, deadline=None, max_examples=FUZZ_EXAMPLES, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TEST_PASSWORD = "Test@pass1"
_TEST_HASH = generate_password_hash(TEST_PASSWORD, method="pbkdf2:sha256:1000")
#: Tables kept between tests (reference data loaded once per run).
KEEP_TABLES = {"org", "alembic_version", "audit_head"}
#: The audit chain's head (one row, kept) set back to an empty chain with the emptied trail.
_RESET_AUDIT_HEAD = (
    "UPDATE audit_head SET last_id = 0, last_hash = '" + "0" * 64 + "', records = 0, "
    "gapless_after = 0"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark ``db_agnostic`` the tests tests/pg_scope.py lists (the PostgreSQL leg skips them)."""
    from tests.pg_scope import is_agnostic

    tests = Path(__file__).resolve().parent
    for item in items:
        if is_agnostic(item.path.resolve().relative_to(tests).as_posix()):
            item.add_marker(pytest.mark.db_agnostic)


def pytest_configure(config: pytest.Config) -> None:
    """Point an xdist worker at its own PostgreSQL database (created when missing)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_DATABASE_URL")
    if worker and url:
        os.environ["TEST_DATABASE_URL"] = _worker_database(url, worker)


def _worker_database(url: str, worker: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from webapp import _normalise_db_url

    base = make_url(_normalise_db_url(url))
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if found.scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_postgres_schema(url: str) -> None:
    from sqlalchemy import create_engine

    from tests.snapshots import drop_postgres_schemas
    from webapp import _normalise_db_url

    engine = create_engine(_normalise_db_url(url))
    with engine.begin() as conn:
        drop_postgres_schemas(conn)
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose requests run as a separate process would: in a fresh context.

    Flask reuses an already pushed app context (and so ``g`` and the database session) for a
    request; our tests hold one, so each request runs in an empty ``contextvars.Context`` and
    gets its own.  The test's session is committed first (the request sees what the test
    wrote, and the test's next read starts a new transaction that sees what the request did).
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        from flask import has_app_context

        if has_app_context():
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    os.environ["HQR_INSTANCE_PATH"] = str(instance)
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres_schema(url)
    else:
        url = f"sqlite:///{instance / 'test.sqlite3'}"

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    application = create_app(Config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        from flask_migrate import upgrade

        upgrade()
        from webapp.core.demo import ORGS_CSV
        from webapp.core.operations import load_orgs_csv

        load_orgs_csv(ORGS_CSV)
        db.session.commit()
        _empty_tables()  # the org load's audit records: every test starts with an empty trail
    yield application
    with application.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture(autouse=True)
def _ctx(app: Flask) -> Iterator[None]:
    # A CLI command run by a test (cli.transaction) leaves write intent set in the test's own
    # context; every test starts as a reader, or its lazy loads would take SQLite's write lock.
    write_intent.set(False)
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        _empty_tables()
    clock.set_now(None)
    limiter.reset()


def _empty_tables() -> None:
    """Empty every table but the reference data and restart the ids; the audit chain's head
    (kept: its one row is made by the migration) goes back to an empty chain.

    On PostgreSQL only the tables holding rows are truncated (``TRUNCATE … RESTART IDENTITY`` of
    all forty cost 80-90 ms per test, two and a half minutes of a run), and every sequence is
    restarted, so each test starts as on a fresh database.  Not DELETE: it leaves dead rows
    whose space later inserts reuse, and a query without ORDER BY then returns rows out of
    their insertion order, differently from run to run.
    """
    tables = data_tables()
    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name != "postgresql":
            for name in tables:
                conn.exec_driver_sql(f'DELETE FROM "{name}"')
            # AUTOINCREMENT tables (audit_record) keep their highest id here: restart them too.
            conn.exec_driver_sql("DELETE FROM sqlite_sequence")
            conn.exec_driver_sql(_RESET_AUDIT_HEAD)
            return
        probe = " UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables
        )
        filled = conn.execute(text(probe)).scalars().all()
        if filled:
            names = ", ".join(f'"{name}"' for name in filled)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text(_restart_sequences_sql(conn)))
        conn.execute(text(_RESET_AUDIT_HEAD))


def data_tables() -> list[str]:
    """The tables a test may fill (all but :data:`KEEP_TABLES`), children first."""
    return [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]


_SEQUENCES: dict[str, list[str]] = {}


def sequence_names(conn: Any) -> list[str]:
    """The sequences of the tables a test may fill (PostgreSQL), looked up once per database."""
    key = str(conn.engine.url)
    if key not in _SEQUENCES:
        rows = conn.execute(
            text(
                "SELECT seq.relname FROM pg_class seq"
                " JOIN pg_depend dep ON dep.objid = seq.oid"
                " AND dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass"
                " JOIN pg_class tab ON tab.oid = dep.refobjid"
                " JOIN pg_namespace ns ON ns.oid = seq.relnamespace"
                " WHERE seq.relkind = 'S' AND ns.nspname = current_schema()"
                " AND NOT (tab.relname = ANY(:keep))"
                " ORDER BY seq.relname"
            ),
            {"keep": sorted(KEEP_TABLES)},
        )
        _SEQUENCES[key] = [name for (name,) in rows]
    return _SEQUENCES[key]


def _restart_sequences_sql(conn: Any) -> str:
    """One ``SELECT setval(…)`` restarting the sequence of every emptied table at 1 (a row
    inserted and deleted within a test leaves its table empty and its sequence advanced)."""
    calls = [f"setval('\"{name}\"', 1, false)" for name in sequence_names(conn)]
    return "SELECT " + (", ".join(calls) or "1")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def org() -> Callable[[str], Org]:
    from webapp.core.operations import get_org

    return get_org


@pytest.fixture
def make_user() -> Callable[..., User]:
    """Factory: ``make_user("clerk", "410102")`` → a committed user with TEST_PASSWORD."""
    from webapp.core.operations import create_user

    def _make(
        role: str | list[str],
        org_code: str,
        username: str | None = None,
        full_name: str | None = None,
    ) -> User:
        roles = [role] if isinstance(role, str) else role
        name = username or f"{roles[0]}_{org_code}"
        user = create_user(
            None,
            username=name,
            full_name=full_name or name,
            org_code=org_code,
            roles=roles,
            password="",
            password_hash=_TEST_HASH,
        )
        db.session.commit()
        return user

    return _make


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, username: str, password: str = TEST_PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


@pytest.fixture
def logged_in(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., FlaskClient]:
    """``logged_in("clerk", "410102")`` → the test client logged in as a fresh user."""

    def _login(role: str | list[str], org_code: str, username: str | None = None) -> FlaskClient:
        user = make_user(role, org_code, username)
        response = login(client, user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


@pytest.fixture
def api_token(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., dict[str, str]]:
    """``api_token("clerk", "410102")`` → Authorization headers for a fresh user."""

    def _token(role: str | list[str], org_code: str, username: str | None = None) -> dict[str, str]:
        user = make_user(role, org_code, username)
        response = client.post(
            "/api/v1/auth/tokens", json={"username": user.username, "password": TEST_PASSWORD}
        )
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return _token


ROOT = Path(__file__).resolve().parent.parent
