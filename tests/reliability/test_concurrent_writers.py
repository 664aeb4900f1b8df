"""Concurrent writers: no "database is locked" failures, no lost update, an unforked audit chain.

SQLite: write transactions start with BEGIN IMMEDIATE (WAL, busy timeout), so writers queue
instead of failing when they upgrade a read lock.  That holds only if the request's write intent
is known before its first statement, the one that authenticates it included (a bearer token's
lookup, a session's user loader): a transaction that read first begins DEFERRED and its write
fails at once when another writer committed in between.  PostgreSQL: the audit chain is linked at
commit under the chain head's row lock (``audit_head`` FOR UPDATE), so two transactions never
link to the same previous record (and the lock is not held over a request's work:
tests/audit/test_chain_at_commit.py).

The HTTP writers run against a real server process (waitress) with bearer tokens and with
browser sessions, on whichever database the run uses (SQLite file or ``TEST_DATABASE_URL``).
"""

from __future__ import annotations

import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from http.cookiejar import CookieJar

import pytest
from flask import has_request_context, request
from sqlalchemy import event, func, select

from tests.browser.conftest import live_server  # noqa: F401 - fixture
from tests.conftest import TEST_PASSWORD, csrf_token, login
from tests.reliability.http import AUTHS, HttpUser
from tests.reliability.server import serving
from webapp.core import audit
from webapp.core.models import AuditRecord, User
from webapp.core.operations import create_user
from webapp.extensions import db, write_intent
from webapp.ledger.models import Project

WRITERS = 20


def _run_writers(app, n: int, body: Callable[[int], None]) -> list[BaseException]:
    """Run ``body(i)`` for i in range(n), each in its own thread, app context and write
    transaction; return what the threads raised (their sessions rolled back and removed)."""
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        with app.app_context():
            write_intent.set(True)
            try:
                body(i)
            except BaseException as exc:  # noqa: BLE001 - collected and returned
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_twenty_concurrent_writers_in_process(app):
    barrier = threading.Barrier(WRITERS)

    def writer(i: int) -> None:
        barrier.wait()
        create_user(
            None,
            username=f"writer_{i:02d}",
            full_name=f"并发{i}",
            org_code="410102",
            roles=["clerk"],
            password="Writer#2026x",
        )
        db.session.commit()

    assert _run_writers(app, WRITERS, writer) == []
    db.session.commit()
    assert db.session.execute(select(func.count(User.id))).scalar_one() == WRITERS
    report = audit.verify_chain()
    assert report.ok and report.records == WRITERS


def test_writers_that_record_and_then_work_do_not_wait_for_each_other(app):
    """Each writer records two things, then waits until every writer has recorded (the long work
    of a request); only then do they commit.  With the lock taken at the first record, the first
    writer's lock (PostgreSQL) would keep the others from ever reaching the barrier."""
    writers = 6
    barrier = threading.Barrier(writers, timeout=60)

    def writer(i: int) -> None:
        audit.record("test.first", actor_name=f"w{i}", object_type="w", object_id=i)
        with db.session.begin_nested():
            audit.record("test.second", actor_name=f"w{i}", object_type="w", object_id=i)
        barrier.wait()
        db.session.commit()

    assert _run_writers(app, writers, writer) == []
    db.session.commit()
    rows = db.session.execute(
        select(AuditRecord.object_id, AuditRecord.action).order_by(AuditRecord.id)
    ).all()
    assert len(rows) == 2 * writers
    # A transaction's records are adjacent in the chain and in the order they were made.
    for first, second in zip(rows[::2], rows[1::2], strict=True):
        assert (first.action, second.action) == ("test.first", "test.second")
        assert first.object_id == second.object_id
    report = audit.verify_chain()
    assert report.ok and report.records == 2 * writers


def _login_over_http(base: str, username: str, results: list[int]) -> None:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode(
        {"username": username, "password": TEST_PASSWORD, "csrf_token": token}
    ).encode()
    response = opener.open(base + "/login", data=data)
    results.append(response.status)


def test_twenty_concurrent_logins_over_http(live_server, make_user):  # noqa: F811
    for i in range(WRITERS):
        make_user("clerk", "410102", username=f"login_{i:02d}")
    results: list[int] = []
    threads = [
        threading.Thread(target=_login_over_http, args=(live_server, f"login_{i:02d}", results))
        for i in range(WRITERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == [200] * WRITERS  # redirected to the home page, no 500
    db.session.commit()
    logins = db.session.execute(
        select(func.count(AuditRecord.id)).where(AuditRecord.action == "auth.login")
    ).scalar_one()
    assert logins == WRITERS
    assert (
        db.session.execute(
            select(func.count(User.id)).where(User.last_login_at.is_not(None))
        ).scalar_one()
        == WRITERS
    )
    assert audit.verify_chain().ok


@pytest.fixture
def begins() -> Iterator[list[tuple[str, str, bool]]]:
    """Every transaction begun while serving a request: (method, path, write intent at BEGIN).

    The intent at BEGIN is what SQLite's BEGIN IMMEDIATE follows (``configure_sqlite``); the
    spy reads the same value on PostgreSQL, so the order is checked on both databases."""
    seen: list[tuple[str, str, bool]] = []

    def spy(_conn: object) -> None:
        if has_request_context():
            seen.append((request.method, request.path, write_intent.get()))

    engine = db.engine
    event.listen(engine, "begin", spy)
    yield seen
    event.remove(engine, "begin", spy)


def _project(no: str) -> dict[str, object]:
    return {
        "registration_no": no,
        "name": f"工程{no}",
        "structure_type": "框架",
        "area_m2": 1000,
        "cost_10k_yuan": 300,
        "registered_on": "2026-07-01",
        "is_public": True,
    }


def test_a_writing_request_begins_as_a_writer_before_it_authenticates(
    app, client, make_user, api_token, begins
):
    """Deterministic: the first BEGIN of every unsafe request already carries the write intent
    (the bearer token's lookup, the session's user loader, the login form's user query), and a
    read after a write in the same worker starts as a reader again."""
    headers = api_token("clerk", "410102")
    assert (
        client.post("/api/v1/ledger/projects", json=_project("T-1"), headers=headers).status_code
        == 201
    )
    assert client.get("/api/v1/ledger/projects", headers=headers).status_code == 200
    browser = app.test_client()
    make_user("clerk", "410103")
    assert login(browser, "clerk_410103").status_code == 302
    token = csrf_token(browser, "/")
    created = browser.post(
        "/api/v1/ledger/projects", json=_project("S-1"), headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201, created.get_json()
    assert browser.get("/api/v1/ledger/projects").status_code == 200

    writes = [b for b in begins if b[0] not in {"GET", "HEAD", "OPTIONS"}]
    reads = [b for b in begins if b[0] == "GET"]
    paths = {path for _method, path, _intent in writes}
    assert {"/api/v1/auth/tokens", "/login", "/api/v1/ledger/projects"} <= paths
    assert writes and all(intent for _m, _p, intent in writes), writes
    assert reads and not any(intent for _m, _p, intent in reads), reads


def _write_over_http(user: HttpUser, n: int, barrier: threading.Barrier, out: list[int]) -> None:
    barrier.wait()
    for k in range(n):
        status, _body = user.send(
            "POST", "/api/v1/ledger/projects", _project(f"{user.username}-{k}")
        )
        out.append(status)
        out.append(user.send("GET", "/api/v1/ledger/projects")[0])


@pytest.mark.parametrize("auth", AUTHS)
def test_twenty_concurrent_api_writers_over_http(app, make_user, auth):
    """20 API clients (bearer tokens, or browser sessions with the CSRF header) each create
    three ledger projects at once against waitress: every write lands, no 5xx."""
    per_client = 3
    for i in range(WRITERS):
        make_user("clerk", "410102", username=f"api_{i:02d}")
    with serving(app.config["SQLALCHEMY_DATABASE_URI"], HQR_TEST_SERVE_THREADS="8") as server:
        users = [
            HttpUser(server.base, f"api_{i:02d}", auth).login(TEST_PASSWORD) for i in range(WRITERS)
        ]
        barrier = threading.Barrier(WRITERS)
        statuses: list[int] = []
        threads = [
            threading.Thread(target=_write_over_http, args=(u, per_client, barrier, statuses))
            for u in users
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    assert sorted(set(statuses)) == [200, 201], sorted(statuses)
    assert statuses.count(201) == WRITERS * per_client
    db.session.commit()  # end the test's read transaction: see what the server committed
    created = db.session.execute(select(func.count(Project.id))).scalar_one()
    assert created == WRITERS * per_client
    assert audit.verify_chain().ok
