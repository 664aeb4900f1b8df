"""Login throttling: per account from every address, a much higher bound per address, one
count for the login form and the API, and across server processes with Redis.

The limits (``webapp/auth/throttle.py``): ``LOGIN_MAX_FAILURES`` failures of one account lock
that account wherever the next attempt comes from; ``LOGIN_MAX_FAILURES_PER_ADDRESS`` (much
higher) failures from one address refuse that address.  The old single limit of 5 per address
locked a whole county office (or a province behind one proxy) out after one clerk mistyped: the
tests that asserted it now assert the opposite.  Addresses are set in the WSGI environ of the
test client (no traffic leaves the process).

Across processes: two real servers (waitress, child processes) against the tests' database.
Password guesses spread over both still reach the limit when they share Redis
(``HQR_REDIS_URL``); with the default memory storage each process counts alone, which is why
production sets Redis.  Every attempt, the refused ones included, is audited and logged without
the password.

Redis: ``HQR_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``); the servers write under a
key prefix of their own (``HQR_RATELIMIT_KEY_PREFIX``) and the test deletes only those keys, so
a Redis shared with other runs is left alone.  When nothing answers there, a private
``redis-server`` is started.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, csrf_token, login
from tests.reliability.server import serving_many
from webapp.core.models import AuditRecord
from webapp.extensions import db

SECRET_GUESS = "Wrong#Guess-7731"


def _reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@contextlib.contextmanager
def redis_url(tmp_path: Path) -> Iterator[str]:
    url = os.environ.get("HQR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if _reachable(url):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        msg = f"no Redis at {url} and no redis-server to start: apt-get install redis-server"
        pytest.fail(msg)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}/15"
        deadline = time.monotonic() + 10
        while not _reachable(url):
            assert time.monotonic() < deadline, "the private redis-server did not start"
            time.sleep(0.05)
        yield url
    finally:
        process.kill()
        process.wait(10)


def _token(base: str, password: str) -> int:
    request = urllib.request.Request(
        base + "/api/v1/auth/tokens",
        data=json.dumps({"username": "clerk_410102", "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        err.read()
        return err.code


def _guess_across(servers: list, limit: int) -> list[int]:
    """``limit`` wrong passwords spread over the servers, then the right one on each."""
    statuses = [_token(servers[i % len(servers)].base, SECRET_GUESS) for i in range(limit)]
    return statuses + [_token(s.base, TEST_PASSWORD) for s in servers]


def _delete_prefixed(store: redis.Redis, prefix: str) -> None:
    for key in store.scan_iter(match=f"*{prefix}*"):
        store.delete(key)


def test_limits_hold_across_processes_with_redis_and_attempts_are_logged(app, make_user, tmp_path):
    make_user("clerk", "410102")
    db.session.commit()
    limit = app.config["LOGIN_MAX_FAILURES"]
    url_db = app.config["SQLALCHEMY_DATABASE_URI"]
    logs = [tmp_path / f"server{i}.log" for i in range(4)]
    prefix = f"hqr-test-{secrets.token_hex(6)}"
    with redis_url(tmp_path) as url:
        store = redis.Redis.from_url(url)
        try:
            shared = [
                {
                    "HQR_REDIS_URL": url,
                    "HQR_RATELIMIT_KEY_PREFIX": prefix,
                    "HQR_TEST_SERVE_LOG": str(log),
                }
                for log in logs[:2]
            ]
            alone = [{"HQR_REDIS_URL": "", "HQR_TEST_SERVE_LOG": str(log)} for log in logs[2:]]
            with serving_many(url_db, shared + alone) as servers:
                with_redis = _guess_across(servers[:2], limit)
                assert any(store.scan_iter(match=f"*{prefix}*")), "no count reached Redis"
                with_memory = _guess_across(servers[2:], limit)
        finally:
            _delete_prefixed(store, prefix)
    # Shared counts: after `limit` failures over both processes, both refuse even the right
    # password.  Memory: each process saw only half the failures and lets the guesser in.
    assert with_redis == [401] * limit + [429, 429]
    assert with_memory == [401] * limit + [201, 201]

    db.session.commit()
    records = db.session.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars().all()
    actions = [r.action for r in records]
    assert actions.count("auth.login_failed") == 2 * limit
    assert actions.count("auth.login_throttled") == 2
    throttled = [r for r in records if r.action == "auth.login_throttled"]
    assert all(r.actor_name == "clerk_410102" and r.client_addr == "127.0.0.1" for r in throttled)
    assert all(r.after == {"limit": "account"} for r in throttled)
    # Never the password: not in the audit trail, not in the servers' logs.
    trail = json.dumps(
        [[r.action, r.actor_name, r.message, r.before, r.after] for r in records],
        ensure_ascii=False,
        default=str,
    )
    assert SECRET_GUESS not in trail and TEST_PASSWORD not in trail
    logged = "".join(log.read_text() for log in logs)
    assert "login throttled (account limit) for user 'clerk_410102'" in logged
    assert SECRET_GUESS not in logged and TEST_PASSWORD not in logged


# In process: one server, addresses set in the test client's WSGI environ -------------------
OFFICE = "127.0.0.2"  # a county office: many clerks behind one address
ELSEWHERE = "127.0.0.3"


def _client_at(app, addr: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    return client


def _api_login(client, username: str, password: str) -> int:
    response = client.post("/api/v1/auth/tokens", json={"username": username, "password": password})
    return response.status_code


def _throttled_records() -> list[AuditRecord]:
    db.session.commit()
    return list(
        db.session.execute(
            select(AuditRecord).where(AuditRecord.action == "auth.login_throttled")
        ).scalars()
    )


def test_a_colleague_at_the_same_address_still_logs_in(app, make_user):
    """One clerk mistypes until locked; the colleague at the same office address logs in."""
    make_user("clerk", "410102")
    make_user("reviewer", "410102")
    office = _client_at(app, OFFICE)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(office, "clerk_410102", SECRET_GUESS).status_code == 401
    assert login(_client_at(app, OFFICE), "reviewer_410102").status_code == 302
    assert _api_login(_client_at(app, OFFICE), "reviewer_410102", TEST_PASSWORD) == 201
    # The locked account itself stays locked, its right password included.
    refused = login(_client_at(app, OFFICE), "clerk_410102")
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "该账号" in page and "锁定" in page and "频繁" in page


def test_a_locked_account_is_refused_from_every_address(app, make_user):
    make_user("clerk", "410102")
    guesser = _client_at(app, OFFICE)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(guesser, "clerk_410102", SECRET_GUESS).status_code == 401
    assert login(_client_at(app, ELSEWHERE), "clerk_410102").status_code == 429
    assert _api_login(_client_at(app, ELSEWHERE), "clerk_410102", TEST_PASSWORD) == 429
    # Case and spaces do not make another account of the same one.
    assert login(_client_at(app, ELSEWHERE), "  CLERK_410102 ").status_code == 429
    records = _throttled_records()
    assert len(records) == 3
    assert {r.client_addr for r in records} == {ELSEWHERE}
    assert all(r.after == {"limit": "account"} and "锁定" in r.message for r in records)


def test_the_form_and_the_api_share_one_count(app, make_user):
    """3 failures on the form and 2 on the API are the 5 of the limit, not 3 of 5 + 2 of 5."""
    make_user("clerk", "410102")
    limit = app.config["LOGIN_MAX_FAILURES"]
    client = _client_at(app, OFFICE)
    form_tries = limit // 2 + 1
    for _ in range(form_tries):
        assert login(client, "clerk_410102", SECRET_GUESS).status_code == 401
    for _ in range(limit - form_tries):
        assert _api_login(client, "clerk_410102", SECRET_GUESS) == 401
    assert _api_login(client, "clerk_410102", TEST_PASSWORD) == 429
    assert login(client, "clerk_410102").status_code == 429
    response = client.post(
        "/api/v1/auth/tokens", json={"username": "clerk_410102", "password": TEST_PASSWORD}
    )
    assert response.status_code == 429 and "该账号" in response.get_json()["message"]


def test_the_address_bound_stops_a_sprayer_but_not_other_addresses(app, make_user, monkeypatch):
    """Many accounts tried once each from one address: the (much higher) address bound ends it,
    even for an account that never failed; the same account elsewhere is not affected."""
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 12)
    assert app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] > app.config["LOGIN_MAX_FAILURES"]
    make_user("clerk", "410102")
    sprayer = _client_at(app, OFFICE)
    for i in range(12):
        name = f"user{i:02d}"
        status = (
            login(sprayer, name, SECRET_GUESS).status_code
            if i % 2
            else _api_login(sprayer, name, SECRET_GUESS)
        )
        assert status == 401, (i, status)
    refused = login(_client_at(app, OFFICE), "clerk_410102")
    assert refused.status_code == 429 and "网络地址" in refused.get_data(as_text=True)
    assert login(_client_at(app, ELSEWHERE), "clerk_410102").status_code == 302
    (record,) = _throttled_records()
    assert record.after == {"limit": "address"} and record.client_addr == OFFICE


def test_the_default_address_bound_is_far_above_the_account_limit(app):
    assert app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] >= 20 * app.config["LOGIN_MAX_FAILURES"]


def test_successful_logins_never_count(app, make_user):
    make_user("clerk", "410102")
    client = _client_at(app, OFFICE)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] * 2):
        assert _api_login(client, "clerk_410102", TEST_PASSWORD) == 201
    assert login(client, "clerk_410102").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert _throttled_records() == []
