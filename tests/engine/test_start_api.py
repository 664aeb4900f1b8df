"""POST /api/v1/instances: start a deployed process with a registered start form (issue 19)."""

from __future__ import annotations

import pytest

from tests.engine.conftest import bpmn_bytes
from webapp.core.models import AuditRecord
from webapp.engine import deploy_bpmn, register_start_admission
from webapp.engine.models import ProcessInstance
from webapp.engine.registry import START_ADMISSIONS, START_FORMS
from webapp.extensions import db


def _body(**overrides):
    body = {
        "process_key": "demo_two_tier",
        "org_code": "410102",
        "business_key": "demo:410102:api",
        "data": {"purpose": "接口发起"},
    }
    body.update(overrides)
    return body


@pytest.fixture
def deployed():
    deploy_bpmn(None, None, bpmn_bytes("demo_two_tier"))
    db.session.commit()


def test_a_clerk_starts_the_demo_for_their_unit(client, api_token, deployed):
    clerk = api_token("clerk", "410102")
    response = client.post("/api/v1/instances", json=_body(), headers=clerk)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["process_key"], body["org_code"], body["business_key"], body["state"]) == (
        "demo_two_tier",
        "410102",
        "demo:410102:api",
        "running",
    )
    assert [t["name"] for t in body["current_tasks"]] == ["填报"]
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, body["id"])
    assert instance.subject["purpose"] == "接口发起"
    [record] = db.session.query(AuditRecord).filter_by(action="workflow.start").all()
    assert record.object_id == str(instance.id) and record.actor_name == "clerk_410102"
    # The same business key again: 409, nothing started.
    again = client.post("/api/v1/instances", json=_body(), headers=clerk)
    assert again.status_code == 409 and "已存在" in again.get_json()["message"]
    assert db.session.query(ProcessInstance).count() == 1


@pytest.mark.parametrize(
    ("overrides", "status", "text"),
    [
        ({"process_key": "nonexistent"}, 422, "没有登记启动表单"),
        ({"process_key": "report_schedule"}, 403, "不能通过接口发起"),
        ({"data": {"purpose": "x" * 201}}, 422, "启动数据有误"),
        ({"data": {"amount": 3}}, 422, "启动数据有误"),
        ({"data": ["not", "an", "object"]}, 422, "提交的数据有误"),
        ({"business_key": ""}, 422, "提交的数据有误"),
        ({"org_code": "999999"}, 404, "不存在"),
        ({"org_code": "410103"}, 403, "不能为该单位发起流程"),
    ],
)
def test_bad_starts_are_refused_in_chinese(client, api_token, deployed, overrides, status, text):
    clerk = api_token("clerk", "410102")
    response = client.post("/api/v1/instances", json=_body(**overrides), headers=clerk)
    assert response.status_code == status, response.get_json()
    assert text in response.get_json()["message"]
    assert db.session.query(ProcessInstance).count() == 0


def test_a_missing_field_is_named(client, api_token, deployed):
    clerk = api_token("clerk", "410102")
    body = _body()
    del body["business_key"]
    response = client.post("/api/v1/instances", json=body, headers=clerk)
    assert response.status_code == 422
    assert "请填写业务编号" in str(response.get_json()["errors"])


def test_an_undeployed_process_is_404(client, api_token):
    clerk = api_token("clerk", "410102")
    response = client.post("/api/v1/instances", json=_body(), headers=clerk)
    assert response.status_code == 404 and "尚未部署" in response.get_json()["message"]


def test_the_business_object_check_of_the_process_is_asked(client, api_token, deployed):
    """A feature's admission sees the validated data and refuses what the user may not touch."""
    from webapp.core.errors import PermissionDenied

    seen = []

    def admit(user, org, data):
        seen.append((user.username, org.code, dict(data)))
        if data.get("purpose") == "他人的对象":
            raise PermissionDenied("您无权为该业务对象发起流程。")

    saved = (START_FORMS["demo_two_tier"], START_ADMISSIONS["demo_two_tier"])
    register_start_admission("demo_two_tier", admit)
    try:
        clerk = api_token("clerk", "410102")
        refused = client.post(
            "/api/v1/instances", json=_body(data={"purpose": "他人的对象"}), headers=clerk
        )
        assert refused.status_code == 403 and "业务对象" in refused.get_json()["message"]
        ok = client.post("/api/v1/instances", json=_body(), headers=clerk)
        assert ok.status_code == 201
    finally:
        START_FORMS["demo_two_tier"], START_ADMISSIONS["demo_two_tier"] = saved
    assert seen == [
        ("clerk_410102", "410102", {"purpose": "他人的对象"}),
        ("clerk_410102", "410102", {"purpose": "接口发起"}),
    ]
    assert db.session.query(ProcessInstance).count() == 1


def test_an_auditor_may_not_start(client, api_token, deployed):
    auditor = api_token("auditor", "410000")
    response = client.post("/api/v1/instances", json=_body(org_code="410000"), headers=auditor)
    assert response.status_code == 403


def test_admission_needs_a_start_form():
    with pytest.raises(ValueError):
        register_start_admission("no_such_process", lambda u, o, d: None)
    assert "no_such_process" not in START_ADMISSIONS


def test_the_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/instances"]["post"]
    assert "201" in operation["responses"] and "422" in operation["responses"]
    assert operation["requestBody"]
