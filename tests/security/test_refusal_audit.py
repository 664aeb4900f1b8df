"""Refused forged requests and refused hostile uploads leave an audit record, kept although
the request itself is rolled back (as permission.denied is)."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, csrf_token
from tests.ledger.helpers import project_row, workbook
from webapp.core.models import AuditRecord
from webapp.extensions import db
from webapp.ledger.models import Project


def _records(action: str) -> list[AuditRecord]:
    db.session.expire_all()
    return list(
        db.session.execute(select(AuditRecord).where(AuditRecord.action == action)).scalars()
    )


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<x/>")
        archive.writestr("xl/workbook.xml", b"\0" * (210 * 1024 * 1024))
    return out.getvalue()


def test_a_request_without_csrf_token_is_refused_and_audited(client, logged_in):
    anonymous = client.post("/login", data={"username": "clerk_410102", "password": "x"})
    assert anonymous.status_code == 400
    (first,) = _records("security.csrf_refused")
    assert first.actor_name == "anonymous" and first.object_id == "auth.login"
    assert first.message == "POST /login" and first.client_addr == "127.0.0.1"
    web = logged_in("clerk", "410102")
    forged = web.post("/ledger/projects/new", data={"registration_no": "CSRF-1", "name": "伪造"})
    assert forged.status_code == 400 and "CSRF" in forged.get_data(as_text=True)
    second = _records("security.csrf_refused")[-1]
    assert second.actor_name == "clerk_410102" and second.object_id == "ledger.new"
    assert second.after["reason"] == "The CSRF token is missing."
    assert db.session.execute(select(Project)).first() is None


def test_refused_uploads_are_audited_on_pages_and_api(client, logged_in, api_token):
    headers = api_token("clerk", "410102", "api_clerk")
    bomb = _bomb()
    api = client.post(
        "/api/v1/ledger/projects/import?org=410102",
        data={"file": (io.BytesIO(bomb), "炸弹.xlsx")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert api.status_code == 422 and "压缩炸弹" in api.get_json()["message"]
    (by_api,) = _records("security.upload_refused")
    assert by_api.actor_name == "api_clerk" and by_api.after["files"] == ["炸弹.xlsx"]
    assert by_api.object_id == "api_ledger.import_file"
    web = logged_in("clerk", "410102")
    form = {"csrf_token": csrf_token(web, "/ledger/projects/import"), "org_code": "410102"}
    form["file"] = (io.BytesIO(b"MZ\x90\x00 not a workbook"), "工程.xlsx")
    page = web.post("/ledger/projects/import", data=form, content_type="multipart/form-data")
    assert page.status_code == 422 and "不是有效的 Excel 文件" in page.get_data(as_text=True)
    by_page = _records("security.upload_refused")[-1]
    assert by_page.actor_name == "clerk_410102" and by_page.object_id == "ledger.import_page"
    # a file that is fine but has a bad row is the clerk's mistake, not an attack: no record
    form = {"csrf_token": csrf_token(web, "/ledger/projects/import"), "org_code": "410102"}
    form["file"] = (io.BytesIO(workbook([project_row(结构类型="木结构")])), "工程.xlsx")
    assert web.post("/ledger/projects/import", data=form).status_code == 422
    assert len(_records("security.upload_refused")) == 2


def test_a_bpmn_with_a_doctype_is_refused_and_audited(client, api_token):
    headers = api_token("admin", "410000")
    xml = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    response = client.post(
        "/api/v1/workflows/demo_two_tier/versions",
        data={"file": (io.BytesIO(xml), "evil.bpmn")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "DOCTYPE" in response.get_json()["message"]
    (record,) = _records("security.upload_refused")
    assert record.actor_name == "admin_410000" and "DOCTYPE" in record.after["reason"]


def test_an_oversize_request_is_audited(client, app):
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/login", data=body, content_type="application/octet-stream")
    assert response.status_code == 413
    (record,) = _records("security.upload_refused")
    assert record.actor_name == "anonymous" and "请求超过" in record.after["reason"]


def test_a_wrong_password_is_not_a_csrf_refusal(client, make_user):
    make_user("clerk", "410102")
    token = csrf_token(client)
    client.post(
        "/login", data={"username": "clerk_410102", "password": "wrong", "csrf_token": token}
    )
    assert _records("security.csrf_refused") == []
    login = client.post(
        "/login",
        data={"username": "clerk_410102", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert login.status_code == 302
