"""Concurrent writers: no "database is locked" failures, no lost update, an unforked audit chain.

SQLite: write transactions start with BEGIN IMMEDIATE (WAL, busy timeout), so writers queue
instead of failing when they upgrade a read lock.  PostgreSQL: appends to the audit chain take
an advisory lock, so two transactions never link to the same previous record.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from sqlalchemy import func, select

from tests.browser.conftest import live_server  # noqa: F401 - fixture
from tests.conftest import TEST_PASSWORD
from webapp.core import audit
from webapp.core.models import AuditRecord, User
from webapp.core.operations import create_user
from webapp.extensions import db, write_intent

WRITERS = 20


def test_twenty_concurrent_writers_in_process(app):
    errors: list[BaseException] = []
    barrier = threading.Barrier(WRITERS)

    def writer(i: int) -> None:
        with app.app_context():
            write_intent.set(True)
            try:
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
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    db.session.commit()
    assert db.session.execute(select(func.count(User.id))).scalar_one() == WRITERS
    report = audit.verify_chain()
    assert report.ok and report.records == WRITERS


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
