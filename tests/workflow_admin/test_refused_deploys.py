"""A refused deploy or rollback is kept in the audit trail: who tried to change which process,
with which file (hash, size) and why it was refused.  Before, only a hostile file sent through
the upload form was recorded; a diagram the validation refused, an unchanged one or a DOCTYPE
sent from the editor left no trace for the auditor, and nothing was stored either way."""

from __future__ import annotations

import hashlib
import io

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.workflow_admin.bpmn_edits import quarterly, with_leader_step
from webapp.core.models import AuditRecord
from webapp.engine.models import ProcessDefinition
from webapp.extensions import db

BASE = "/admin/workflows"
BAD = quarterly().replace(b"reviewer@parent", b"chief@parent")


def _records(action: str) -> list[AuditRecord]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
        ).scalars()
    )


def _versions() -> list[int]:
    return sorted(v for (v,) in db.session.query(ProcessDefinition.version).all())


def test_the_editor_keeps_a_record_of_each_refused_deploy(logged_in, deployed):
    deployed()
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"{BASE}/quarterly_report/edit")

    def deploy(xml: bytes):
        return client.post(
            f"{BASE}/quarterly_report/deploy",
            json={"xml": xml.decode()},
            headers={"X-CSRFToken": token, "Accept": "application/json"},
        )

    r = deploy(BAD)
    assert r.status_code == 422 and "角色 chief 不存在" in r.get_json()["message"]
    [invalid] = _records("workflow.deploy_refused")
    assert invalid.actor_name == "admin_410000"
    assert invalid.after["key"] == "quarterly_report"
    assert invalid.after["hash"] == hashlib.sha256(BAD).hexdigest()
    assert invalid.after["bytes"] == len(BAD)
    assert any("角色 chief 不存在" in p for p in invalid.after["problems"])

    r = deploy(quarterly())  # the same as version 1
    assert r.status_code == 409 and "相同" in r.get_json()["message"]
    unchanged = _records("workflow.deploy_refused")[-1]
    assert "未生成新版本" in unchanged.after["reason"]

    r = deploy(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    assert r.status_code == 422
    [hostile] = _records("security.upload_refused")
    assert "DOCTYPE" in hostile.after["reason"]
    assert _versions() == [1]  # nothing stored by any of them


def test_the_upload_form_and_the_api_record_refused_deploys_and_rollbacks(
    logged_in, deployed, api_token
):
    deployed()
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"{BASE}/")
    r = client.post(
        f"{BASE}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(BAD), "q.bpmn")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert len(_records("workflow.deploy_refused")) == 1

    headers = api_token("admin", "410000", username="api_admin")
    r = client.post(
        "/api/v1/workflows/quarterly_report/versions",
        data={"file": (io.BytesIO(BAD), "q.bpmn")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    api_refusal = _records("workflow.deploy_refused")[-1]
    assert api_refusal.actor_name == "api_admin" and api_refusal.after["key"] == "quarterly_report"

    deployed(with_leader_step())
    deployed(quarterly())  # version 3 has version 1's content: rolling back to 1 changes nothing
    r = client.post(
        "/api/v1/workflows/quarterly_report/rollback", json={"version": 1}, headers=headers
    )
    assert r.status_code == 409
    rollback = _records("workflow.deploy_refused")[-1]
    assert rollback.after["from_version"] == 1 and "相同" in rollback.after["reason"]
    token = csrf_token(client, f"{BASE}/quarterly_report")
    r = client.post(f"{BASE}/quarterly_report/rollback", data={"csrf_token": token, "version": "1"})
    assert r.status_code == 302
    assert _records("workflow.deploy_refused")[-1].actor_name == "admin_410000"
    assert len(_records("workflow.deploy_refused")) == 4
    assert _versions() == [1, 2, 3]
