"""/api/v1/workflows and /api/v1/instances/<id>/migrate: upload, validate, roll back, migrate."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from tests.workflow_admin.bpmn_edits import quarterly, with_leader_step, without_step
from webapp.core.models import AuditRecord
from webapp.engine.definitions import content_hash
from webapp.engine.models import ProcessDefinition, ProcessInstance
from webapp.engine.queries import current_tasks
from webapp.extensions import db


def multipart(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body built by hand: werkzeug's test builder leaks its spooled temporary file
    for bodies over 500 KB (a ResourceWarning, which this suite treats as an error)."""
    boundary = "hqr-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"'
            "\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _upload(client, headers, content: bytes, key: str = "quarterly_report", name="q.bpmn"):
    body, content_type = multipart("file", name, content)
    return client.post(
        f"/api/v1/workflows/{key}/versions",
        data=io.BytesIO(body),
        headers=headers,
        content_type=content_type,
    )


def _versions() -> int:
    return db.session.query(ProcessDefinition).count()


def _audit(action: str) -> list[AuditRecord]:
    db.session.expire_all()
    return list(
        db.session.execute(select(AuditRecord).where(AuditRecord.action == action)).scalars()
    )


def test_list_and_download_show_every_version_with_running_counts(client, api_token, report):
    report()
    headers = api_token("admin", "410000")
    assert _upload(client, headers, with_leader_step()).status_code == 201
    body = client.get("/api/v1/workflows", headers=headers).get_json()
    q = next(d for d in body["items"] if d["key"] == "quarterly_report")
    assert q["latest_version"] == 2
    assert [v["version"] for v in q["versions"]] == [2, 1]
    assert q["versions"][0]["deployed_by"] == "admin_410000"
    assert q["versions"][1]["deployed_by"] is None
    assert [v["running_instances"] for v in q["versions"]] == [0, 1]
    assert q["versions"][1]["content_hash"] == content_hash(quarterly())
    xml = client.get("/api/v1/workflows/quarterly_report/versions/1.bpmn", headers=headers)
    assert xml.status_code == 200 and xml.data == quarterly()
    missing = client.get("/api/v1/workflows/quarterly_report/versions/9.bpmn", headers=headers)
    assert missing.status_code == 404


def test_upload_deploys_a_new_version_and_audits_both_hashes(client, api_token, deployed):
    deployed()
    r = _upload(client, api_token("admin", "410000"), with_leader_step())
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["version"] == 2
    record = _audit("workflow.deploy")[-1]
    assert record.before == {"version": 1, "hash": content_hash(quarterly())}
    assert record.after["hash"] == content_hash(with_leader_step())
    assert record.actor_name == "admin_410000"


def test_an_unchanged_file_is_not_a_new_version(client, api_token, deployed):
    deployed()
    r = _upload(client, api_token("admin", "410000"), quarterly())
    assert r.status_code == 409
    assert "相同" in r.get_json()["message"]
    assert _versions() == 1


def test_every_problem_comes_back_with_its_element_id_and_nothing_is_stored(
    client, api_token, deployed
):
    deployed()
    bad = (
        quarterly()
        .replace("本单位审核人 reviewer@self".encode(), "本单位审核人 boss@self".encode())
        .replace('value="approve:同意上报,return:退回"'.encode(), b'value=""')
        .replace(
            b'value="generic.approval" />\n          <spiffworkflow:property name="outcomes" '
            b'value="accept',
            b'value="no.such.form" />\n          <spiffworkflow:property name="outcomes" '
            b'value="accept',
        )
        .replace(b"outcome == &quot;return&quot;", b"__import__('os')", 1)
    )
    r = _upload(client, api_token("admin", "410000"), bad)
    assert r.status_code == 422
    errors = {(e["element_id"], e["message"]) for e in r.get_json()["errors"]}
    by_id = {}
    for element_id, message in errors:
        by_id.setdefault(element_id, []).append(message)
    assert any("boss" in m for m in by_id["Lane_reviewer"])
    assert any("no.such.form" in m and "未注册" in m for m in by_id["accept"])
    assert any("办理结果" in m for m in by_id["review"])
    assert any("沙箱" in m for m in by_id["gw_review"])
    assert _versions() == 1


def test_a_user_task_outside_any_lane_and_a_bad_timer_are_refused(client, api_token):
    content = (
        quarterly()
        .replace(b"<bpmn:flowNodeRef>review</bpmn:flowNodeRef>", b"")
        .replace(
            b'<bpmn:endEvent id="end" name="',
            b'<bpmn:boundaryEvent id="late" attachedToRef="accept" cancelActivity="false">'
            b'<bpmn:timerEventDefinition><bpmn:timeDuration>"three days"</bpmn:timeDuration>'
            b'</bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="end" name="',
        )
    )
    r = _upload(client, api_token("admin", "410000"), content)
    assert r.status_code == 422
    by_id: dict[str, list[str]] = {}
    for e in r.get_json()["errors"]:
        by_id.setdefault(e["element_id"], []).append(e["message"])
    assert any("不在任何泳道" in m for m in by_id["review"])
    assert any("ISO 8601" in m for m in by_id["late"])
    assert any("没有连出的顺序流" in m for m in by_id["late"])  # and it leads nowhere
    assert _versions() == 0


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;'
            b"</bpmn:definitions>",
            "DOCTYPE",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
            b"&lol2;</bpmn:definitions>",
            "DOCTYPE",
        ),
        (b"<x>" + b" " * (2 * 1024 * 1024 + 10) + b"</x>", "过大"),
        (b"not xml at all", "XML"),
    ],
    ids=["external-entity", "entity-bomb", "oversize", "garbage"],
)
def test_hostile_files_are_refused_before_parsing_and_nothing_is_stored(
    client, api_token, payload, needle
):
    r = _upload(client, api_token("admin", "410000"), payload)
    assert r.status_code == 422
    assert needle in r.get_json()["message"]
    assert _versions() == 0
    assert not _audit("workflow.deploy")


def test_non_admins_get_403_everywhere(client, api_token, report):
    instance = report()
    for role, code in (("clerk", "410102"), ("reviewer", "410000"), ("auditor", "410000")):
        headers = api_token(role, code)
        assert client.get("/api/v1/workflows", headers=headers).status_code == 403
        assert _upload(client, headers, with_leader_step()).status_code == 403
        r = client.post(
            "/api/v1/workflows/quarterly_report/rollback", json={"version": 1}, headers=headers
        )
        assert r.status_code == 403
        r = client.post(f"/api/v1/instances/{instance.id}/migrate", headers=headers)
        assert r.status_code == 403
    assert _versions() == 1


def test_rollback_deploys_the_old_content_as_the_newest_version(client, api_token, deployed):
    deployed()
    headers = api_token("admin", "410000")
    assert _upload(client, headers, with_leader_step()).status_code == 201
    r = client.post(
        "/api/v1/workflows/quarterly_report/rollback", json={"version": 1}, headers=headers
    )
    assert r.status_code == 201
    assert r.get_json()["version"] == 3
    assert r.get_json()["content_hash"] == content_hash(quarterly())
    record = _audit("workflow.rollback")[-1]
    assert record.before == {"version": 2, "hash": content_hash(with_leader_step())}
    assert record.after["from_version"] == 1 and record.after["version"] == 3
    again = client.post(
        "/api/v1/workflows/quarterly_report/rollback", json={"version": 1}, headers=headers
    )
    assert again.status_code == 409
    bad = client.post(
        "/api/v1/workflows/quarterly_report/rollback", json={"version": 7}, headers=headers
    )
    assert bad.status_code == 404
    assert _versions() == 3


def test_compare_lists_added_removed_and_changed_elements(client, api_token, deployed):
    deployed()
    headers = api_token("admin", "410000")
    _upload(client, headers, with_leader_step())
    body = client.get(
        "/api/v1/workflows/quarterly_report/compare?old=1&new=2", headers=headers
    ).get_json()
    assert {c["element_id"] for c in body["added"]} == {"leader_review", "Lane_leader", "f_leader"}
    assert body["removed"] == []
    changed = {c["element_id"]: c["fields"] for c in body["changed"]}
    assert "f_review" in changed and "终点" in changed["f_review"]
    back = client.get(
        "/api/v1/workflows/quarterly_report/compare?old=2&new=1", headers=headers
    ).get_json()
    assert {c["element_id"] for c in back["removed"]} == {
        "leader_review",
        "Lane_leader",
        "f_leader",
    }


def test_migrate_moves_an_instance_whose_task_exists_and_audits_it(client, api_token, report):
    instance = report()
    headers = api_token("admin", "410000")
    _upload(client, headers, with_leader_step())
    r = client.post(f"/api/v1/instances/{instance.id}/migrate", headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["version"] == 2
    db.session.expire_all()
    moved = db.session.get(ProcessInstance, instance.id)
    assert moved.definition.version == 2
    assert [t.element_id for t in current_tasks(moved)] == ["prepare"]
    record = _audit("workflow.migrate")[-1]
    assert record.before == {"version": 1, "hash": content_hash(quarterly())}
    assert record.after["hash"] == content_hash(with_leader_step())
    assert record.after["business_key"] == instance.business_key
    again = client.post(f"/api/v1/instances/{instance.id}/migrate", headers=headers)
    assert again.status_code == 409 and "已在第 2 版" in again.get_json()["message"]


def test_migrate_is_refused_with_the_reason_when_the_current_task_is_gone(
    client, api_token, report
):
    instance = report()
    headers = api_token("admin", "410000")
    _upload(client, headers, without_step("prepare"))
    r = client.post(f"/api/v1/instances/{instance.id}/migrate", headers=headers)
    assert r.status_code == 409
    body = r.get_json()
    assert "填报季度报告" in body["message"] and "不存在" in body["message"]
    assert body["errors"] == ["当前步骤“填报季度报告”在第 2 版中不存在"]
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance.id).definition.version == 1
    assert not _audit("workflow.migrate")
