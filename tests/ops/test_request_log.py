"""One JSON log line per request with its request id (issue 19)."""

from __future__ import annotations

import json
import logging

import pytest

from webapp.ops.request_log import JsonFormatter


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="webapp.request")

    def _lines():
        records = [r for r in caplog.records if r.name == "webapp.request"]
        return [json.loads(JsonFormatter().format(r)) for r in records]

    return _lines


def test_the_client_request_id_is_kept_logged_and_returned(client, api_token, lines):
    headers = {**api_token("clerk", "410102"), "X-Request-ID": "lb-7f3a.42"}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "lb-7f3a.42"
    line = lines()[-1]
    me = response.get_json()
    assert {k: line[k] for k in ("method", "path", "status", "request_id", "user_id")} == {
        "method": "GET",
        "path": "/api/v1/me",
        "status": 200,
        "request_id": "lb-7f3a.42",
        "user_id": me["id"],
    }
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["logger"] == "webapp.request"


def test_an_id_is_generated_when_missing_or_unfit(client, lines):
    first = client.get("/login")
    second = client.get("/login", headers={"X-Request-ID": "bad id; forged"})
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert len(set(ids)) == 2 and all(len(i) == 32 for i in ids)
    logged = lines()[-2:]
    assert [line["request_id"] for line in logged] == ids
    assert [line["user_id"] for line in logged] == [None, None]


def test_an_error_is_logged_with_the_status_sent(client, api_token, lines):
    headers = api_token("clerk", "410102")
    response = client.get("/api/v1/instances/999999", headers=headers)
    assert response.status_code == 404
    assert lines()[-1]["status"] == 404 and lines()[-1]["path"] == "/api/v1/instances/999999"


def test_the_query_string_is_not_logged(client, lines):
    client.get("/login?token=secret-value")
    assert "secret-value" not in json.dumps(lines()[-1])


def test_an_id_longer_than_128_characters_is_replaced(client):
    response = client.get("/login", headers={"X-Request-ID": "a" * 129})
    assert response.headers["X-Request-ID"] != "a" * 129


def test_records_logged_during_a_request_carry_its_id(app, client, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="webapp")
    captured: list[dict] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:  # formatted in the request
            captured.append(json.loads(JsonFormatter().format(record)))

    def boom():
        raise RuntimeError("secret internal detail")

    handler = Keep(level=logging.INFO)
    logging.getLogger("webapp").addHandler(handler)
    monkeypatch.setitem(app.view_functions, "ops.healthz", boom)
    try:
        response = client.get("/healthz", headers={"X-Request-ID": "req-1"})
    finally:
        logging.getLogger("webapp").removeHandler(handler)
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "req-1"
    [incident] = [c for c in captured if "incident" in c["message"]]
    assert incident["request_id"] == "req-1" and "RuntimeError" in incident["exception"]
    assert captured[-1]["status"] == 500 and captured[-1]["request_id"] == "req-1"


def test_production_mode_writes_one_json_line_per_request(tmp_path):
    """``HQR_LOG_FORMAT=json``, as make run-prod sets it, in a process of its own."""
    import os
    import subprocess
    import sys

    from tests.reliability.server import ROOT

    script = (
        "from webapp import create_app\n"
        "app = create_app()\n"
        "app.test_client().get('/login', headers={'X-Request-ID': 'prod-1'})\n"
    )
    env = {
        **os.environ,
        "HQR_LOG_FORMAT": "json",
        "HQR_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "HQR_INSTANCE_PATH": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    [request_line] = [line for line in lines if line["logger"] == "webapp.request"]
    assert {k: request_line[k] for k in ("method", "path", "status", "request_id")} == {
        "method": "GET",
        "path": "/login",
        "status": 200,
        "request_id": "prod-1",
    }
    assert "user_id" in request_line and "duration_ms" in request_line


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(tmp_path):
    from flask import request

    from webapp import create_app
    from webapp.config import TestingConfig

    class BehindOneProxy(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        PROXY_HOPS = 1

    other = create_app(BehindOneProxy)
    seen = []
    other.before_request(lambda: seen.append(request.remote_addr))
    with other.app_context():
        other.test_client().get(
            "/login",
            headers={"X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
        from webapp.extensions import db

        db.engine.dispose()
    assert seen == ["203.0.113.9"]
