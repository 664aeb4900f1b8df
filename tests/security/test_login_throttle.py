"""Login throttling across server processes: Redis storage shares the counts, memory does not.

Two real servers (waitress, child processes) against the tests' database.  Password guesses
spread over both still reach the limit when they share Redis (``HQR_REDIS_URL``); with the
default memory storage each process counts alone, which is why production sets Redis.  Every
attempt, the refused ones included, is audited and logged without the password.

Redis: ``HQR_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``, a database of its own
that the test empties); when nothing answers there, a private ``redis-server`` is started.
"""

from __future__ import annotations

import contextlib
import json
import os
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

from tests.conftest import TEST_PASSWORD
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


def test_limits_hold_across_processes_with_redis_and_attempts_are_logged(app, make_user, tmp_path):
    make_user("clerk", "410102")
    db.session.commit()
    limit = app.config["LOGIN_MAX_FAILURES"]
    url_db = app.config["SQLALCHEMY_DATABASE_URI"]
    logs = [tmp_path / f"server{i}.log" for i in range(4)]
    with redis_url(tmp_path) as url:
        store = redis.Redis.from_url(url)
        store.flushdb()
        try:
            shared = [{"HQR_REDIS_URL": url, "HQR_TEST_SERVE_LOG": str(log)} for log in logs[:2]]
            alone = [{"HQR_REDIS_URL": "", "HQR_TEST_SERVE_LOG": str(log)} for log in logs[2:]]
            with serving_many(url_db, shared + alone) as servers:
                with_redis = _guess_across(servers[:2], limit)
                store.flushdb()
                with_memory = _guess_across(servers[2:], limit)
        finally:
            store.flushdb()
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
    # Never the password: not in the audit trail, not in the servers' logs.
    trail = json.dumps(
        [[r.action, r.actor_name, r.message, r.before, r.after] for r in records],
        ensure_ascii=False,
        default=str,
    )
    assert SECRET_GUESS not in trail and TEST_PASSWORD not in trail
    logged = "".join(log.read_text() for log in logs)
    assert "login throttled for user 'clerk_410102'" in logged
    assert SECRET_GUESS not in logged and TEST_PASSWORD not in logged
