"""The two-tier demo end to end through the HTTP API."""

from __future__ import annotations

from tests.engine.conftest import bpmn_bytes
from webapp.core.operations import get_org
from webapp.engine import deploy_bpmn, start_instance
from webapp.extensions import db


def _start(actor=None) -> int:
    deploy_bpmn(None, None, bpmn_bytes("demo_two_tier"))
    instance = start_instance(actor, "demo_two_tier", get_org("410102"), "demo:410102:1")
    db.session.commit()
    return instance.id


def _todo(client, headers) -> list[dict]:
    response = client.get("/api/v1/tasks?view=todo", headers=headers)
    assert response.status_code == 200
    return response.get_json()["items"]


def test_two_tier_demo_end_to_end_through_the_api(client, api_token):
    clerk = api_token("clerk", "410102")
    reviewer = api_token("reviewer", "410102")
    city = api_token("reviewer", "410100")
    other = api_token("clerk", "410103")
    instance_id = _start()

    [task] = _todo(client, clerk)
    assert {
        k: task[k]
        for k in (
            "name",
            "instance_id",
            "process_key",
            "business_key",
            "org_code",
            "role",
            "form_key",
            "state",
            "assignee",
        )
    } == {
        "name": "填报",
        "instance_id": instance_id,
        "process_key": "demo_two_tier",
        "business_key": "demo:410102:1",
        "org_code": "410102",
        "role": "clerk",
        "form_key": "demo.submission",
        "state": "ready",
        "assignee": None,
    }
    assert "due_at" in task and _todo(client, other) == []
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=clerk).get_json()
    assert detail["outcomes"] == [{"value": "submit", "label": "提交审核"}]
    assert detail["form_schema"]["required"] == ["title"]
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=other).status_code == 404

    bad = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        headers=clerk,
        json={"outcome": "submit", "data": {"amount": "x"}},
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"title", "amount"}
    assert (
        client.post(
            f"/api/v1/tasks/{task['id']}/complete",
            headers=other,
            json={"outcome": "submit", "data": {"title": "t"}},
        ).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/tasks/{task['id']}/claim", headers=clerk).get_json()["assignee"]
        == "clerk_410102"
    )
    ok = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        headers=clerk,
        json={"outcome": "submit", "data": {"title": "一季度"}},
    )
    assert ok.status_code == 200 and ok.get_json()["state"] == "completed"
    again = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        headers=clerk,
        json={"outcome": "submit", "data": {"title": "一季度"}},
    )
    # The same user again (another tab): told it was their own action, not "someone else's".
    assert again.status_code == 409
    assert (
        again.get_json()["message"] == "您已办理过该步骤（可能在另一窗口），无需重复办理，请刷新。"
    )

    [review] = _todo(client, reviewer)
    no_comment = client.post(
        f"/api/v1/tasks/{review['id']}/complete", headers=reviewer, json={"outcome": "return"}
    )
    assert no_comment.status_code == 422 and "comment" in no_comment.get_json()["errors"]
    assert (
        client.post(
            f"/api/v1/tasks/{review['id']}/complete",
            headers=reviewer,
            json={"outcome": "return", "comment": "请补充说明"},
        ).status_code
        == 200
    )
    [redo] = _todo(client, clerk)
    assert redo["name"] == "填报"
    client.post(
        f"/api/v1/tasks/{redo['id']}/complete",
        headers=clerk,
        json={"outcome": "submit", "data": {"title": "一季度（改）"}},
    )
    [review] = _todo(client, reviewer)
    client.post(
        f"/api/v1/tasks/{review['id']}/complete",
        headers=reviewer,
        json={"outcome": "approve", "comment": "同意"},
    )

    [accept] = _todo(client, city)
    assert accept["org_code"] == "410102" and accept["role"] == "reviewer"
    assert (
        client.post(
            f"/api/v1/tasks/{accept['id']}/complete", headers=reviewer, json={"outcome": "accept"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/tasks/{accept['id']}/complete",
            headers=city,
            json={"outcome": "accept", "comment": "接收"},
        ).status_code
        == 200
    )

    body = client.get(f"/api/v1/instances/{instance_id}", headers=city).get_json()
    assert (
        body["state"] == "completed"
        and body["business_status"] == "accepted"
        and body["current_tasks"] == []
    )
    completes = [h for h in body["history"] if h["action"] == "complete"]
    assert [(h["outcome"], h["comment"]) for h in completes] == [
        ("submit", None),
        ("return", "请补充说明"),
        ("submit", None),
        ("approve", "同意"),
        ("accept", "接收"),
    ]
    assert completes[1]["outcome_label"] == "退回"
    assert client.get(f"/api/v1/instances/{instance_id}", headers=other).status_code == 404
    done = client.get("/api/v1/tasks?view=done", headers=clerk).get_json()["items"]
    assert len(done) == 2


def test_withdraw_transfer_remind_cc_through_the_api(client, api_token, make_user):
    clerk = api_token("clerk", "410102")
    reviewer = api_token("reviewer", "410102")
    colleague = make_user("reviewer", "410102", username="reviewer_b")
    city_user = make_user("reviewer", "410100", username="city_b")
    _start()
    [task] = _todo(client, clerk)
    client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        headers=clerk,
        json={"outcome": "submit", "data": {"title": "t"}},
    )
    back = client.post(f"/api/v1/tasks/{task['id']}/withdraw", headers=clerk)
    assert back.status_code == 200 and back.get_json()["name"] == "填报"
    client.post(
        f"/api/v1/tasks/{back.get_json()['id']}/complete",
        headers=clerk,
        json={"outcome": "submit", "data": {"title": "t"}},
    )
    [review] = _todo(client, reviewer)
    assert (
        client.post(
            f"/api/v1/tasks/{review['id']}/remind", headers=clerk, json={"message": "请尽快"}
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/tasks/{review['id']}/cc", headers=clerk, json={"user_id": city_user.id}
        ).status_code
        == 200
    )
    moved = client.post(
        f"/api/v1/tasks/{review['id']}/transfer", headers=reviewer, json={"user_id": colleague.id}
    )
    assert moved.status_code == 200 and moved.get_json()["assignee"] == "reviewer_b"
    assert _todo(client, reviewer) == []
    assert (
        client.post(f"/api/v1/tasks/{review['id']}/transfer", headers=reviewer, json={}).status_code
        == 422
    )


def test_api_needs_login_and_is_documented(client):
    assert client.get("/api/v1/tasks").status_code == 401
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/tasks",
        "/api/v1/tasks/{task_id}",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/tasks/{task_id}/withdraw",
        "/api/v1/tasks/{task_id}/transfer",
        "/api/v1/tasks/{task_id}/remind",
        "/api/v1/tasks/{task_id}/cc",
        "/api/v1/tasks/{task_id}/claim",
        "/api/v1/tasks/{task_id}/unclaim",
        "/api/v1/instances/{instance_id}",
    ):
        assert path in spec["paths"], path
