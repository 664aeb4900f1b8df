"""/healthz: database, migrations at head, a fresh timer-worker heartbeat (issue 19)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from webapp import create_app
from webapp.config import TestingConfig
from webapp.core import clock
from webapp.extensions import db
from webapp.ops.heartbeat import beat

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=clock.UTC)


def _health(client):
    response = client.get("/healthz")
    return response.status_code, response.get_json()


def test_healthy_with_a_fresh_heartbeat_and_no_login(client):
    clock.set_now(T0)
    beat("host-a:1")
    db.session.commit()
    status, body = _health(client)
    assert status == 200
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"},
    }
    assert "version" not in str(body).lower()


def test_no_worker_ever_is_unhealthy(client):
    status, body = _health(client)
    assert status == 503
    assert body["status"] == "unhealthy" and body["checks"]["worker"] == "missing"


def test_a_stale_heartbeat_is_unhealthy_a_fresh_one_heals(client, app):
    clock.set_now(T0)
    beat("host-a:1")
    db.session.commit()
    limit = app.config["WORKER_HEARTBEAT_SECONDS"]
    clock.set_now(T0 + timedelta(seconds=limit + 1))
    status, body = _health(client)
    assert (status, body["checks"]["worker"]) == (503, "stale")
    beat("host-b:2")  # a second worker anywhere keeps the system healthy
    db.session.commit()
    assert _health(client)[0] == 200


def test_migrations_behind_the_head_are_unhealthy(client):
    clock.set_now(T0)
    beat("host-a:1")
    db.session.commit()
    (current,) = db.session.execute(text("SELECT version_num FROM alembic_version")).one()
    db.session.execute(text("UPDATE alembic_version SET version_num = '6305a621f9cd'"))
    db.session.commit()
    try:
        status, body = _health(client)
        assert (status, body["checks"]["migrations"]) == (503, "outdated")
        assert "6305a621f9cd" not in str(body) and current not in str(body)
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
        db.session.commit()
    assert _health(client)[0] == 200


def test_an_unreachable_database_is_unhealthy(tmp_path):
    class Unreachable(TestingConfig):
        # A port nothing listens on (PostgreSQL) / a directory that does not exist (SQLite).
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}"

    other = create_app(Unreachable)
    with other.app_context():
        status, body = _health(other.test_client())
        db.session.remove()
        db.engine.dispose()
    assert status == 503
    assert body == {
        "status": "unhealthy",
        "checks": {"database": "unreachable", "migrations": "unknown", "worker": "unknown"},
    }


def test_healthz_takes_no_session_and_sets_no_cookie(client):
    response = client.get("/healthz")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_a_database_never_migrated_is_unhealthy(client):
    clock.set_now(T0)
    beat("host-a:1")
    db.session.commit()
    db.session.execute(text("ALTER TABLE alembic_version RENAME TO alembic_version_away"))
    db.session.commit()
    try:
        status, body = _health(client)
        assert (status, body["checks"]["migrations"]) == (503, "outdated")
    finally:
        db.session.execute(text("ALTER TABLE alembic_version_away RENAME TO alembic_version"))
        db.session.commit()
    assert _health(client)[0] == 200
