from __future__ import annotations

import os
import stat

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp import create_app
from webapp.config import TestingConfig
from webapp.extensions import db


def test_secret_key_is_generated_into_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HQR_INSTANCE_PATH", str(tmp_path))

    class NoSecret(TestingConfig):
        SECRET_KEY = None
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'x.sqlite3'}"

    first = create_app(NoSecret)
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    second = create_app(NoSecret)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_configuration_from_prefixed_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HQR_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HQR_MAX_UPLOAD_MB", "3")
    import importlib

    import webapp.config as config_module

    reloaded = importlib.reload(config_module)
    try:
        assert reloaded.Config.MAX_CONTENT_LENGTH == 3 * 1024 * 1024
    finally:
        monkeypatch.delenv("HQR_MAX_UPLOAD_MB")
        importlib.reload(config_module)


def test_migrations_match_the_models():
    """Types and server defaults included: a default the migrations give a column must be in
    its model too (a plain insert reads it back; the next autogenerate would otherwise drop it)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_oversize_request_gets_chinese_413(client, app):
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/login", data=body, content_type="application/octet-stream")
    assert response.status_code == 413
    assert "超过大小限制" in response.get_data(as_text=True)


def test_unknown_page_gets_chinese_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "不存在" in response.get_data(as_text=True)


def test_unexpected_error_shows_incident_id_not_trace(app, client, caplog, monkeypatch):
    def boom():
        raise RuntimeError("secret internal detail")

    monkeypatch.setitem(app.view_functions, "ops.healthz", boom)
    response = client.get("/healthz")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "事件编号" in text and "secret internal detail" not in text
    assert "secret internal detail" in caplog.text


def test_sections_require_login_and_permission(client, logged_in):
    assert client.get("/section/ledger").status_code == 302
    clerk = logged_in("clerk", "410102")
    assert clerk.get("/section/ledger").status_code == 200
    assert clerk.get("/section/audit").status_code == 403


def test_user_text_cannot_forge_log_lines(caplog):
    import logging

    forged = "x\n2026-01-01 INFO admin logged in\u2028"
    logging.getLogger("webapp.anything").warning("login failed for %s", forged)
    message = caplog.records[-1].getMessage()
    assert "\n" not in message and "\u2028" not in message
    assert message == "login failed for x\\n2026-01-01 INFO admin logged in\\u2028"


def test_ids_past_the_database_integer_range_are_404_not_500(logged_in, api_token, client):
    headers = api_token("clerk", "410102")
    huge = 2**31
    assert client.get(f"/api/v1/tasks/{huge}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/reports/{huge * 10**9}", headers=headers).status_code == 404
    assert client.get("/api/v1/tasks/2147483647", headers=headers).status_code == 404
