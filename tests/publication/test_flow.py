"""The half-year flow through the HTTP API: draft → review → leader approval (or return) →
published; withdrawal only after the minimum online period and with the leader's approval."""

from __future__ import annotations

from typing import Any

import pytest

from tests.publication.conftest import Api, at, fill_draft
from webapp.core import clock
from webapp.engine import run_timers
from webapp.extensions import db
from webapp.publication.models import Publication

pytestmark = pytest.mark.usefixtures("workflows", "h2_data")
KEY = "publication:410100:2026H2"


def task(user: Api, name: str, key: str = KEY) -> dict[str, Any]:
    items = user.get("/api/v1/tasks?view=todo")["items"]
    found = [t for t in items if t["business_key"] == key and t["name"] == name]
    assert len(found) == 1, (user.username, name, [(t["business_key"], t["name"]) for t in items])
    return found[0]


def no_task(user: Api, key: str = KEY) -> None:
    items = user.get("/api/v1/tasks?view=todo")["items"]
    assert not [t for t in items if t["business_key"] == key], items


def open_h2(api) -> int:
    clock.set_now(at("2027-01-05"))
    admin = api("admin", "410000")
    result = admin.send("POST", "/api/v1/publications/open", {"period": "2026H2"})
    assert result["opened"] == db.session.query(Publication).count() > 60
    clerk = api("clerk", "410100")
    items = clerk.get("/api/v1/publications?org=410100&period=2026H2")["items"]
    assert len(items) == 1 and items[0]["state"] == "drafting"
    return items[0]["id"]


def draft_and_review(api, pub_id: int) -> None:
    clerk, reviewer = api("clerk", "410100"), api("reviewer", "410100")
    fill_draft(clerk, pub_id)
    assert clerk.get(f"/api/v1/publications/{pub_id}")["problems"] == []
    clerk.complete(task(clerk, "拟稿公开报告"), "submit")
    assert reviewer.get(f"/api/v1/publications/{pub_id}")["state"] == "in_review"
    reviewer.complete(task(reviewer, "本级审核"), "approve", "数据核对无误。")


def test_the_generated_draft_comes_from_accepted_figures_and_needs_the_clerk(api):
    pub_id = open_h2(api)
    clerk = api("clerk", "410100")
    detail = clerk.get(f"/api/v1/publications/{pub_id}")
    overview = detail["sections"]["overview"]
    # The half year's figures (Q3 + Q4 accepted): 8 supervised, 4 filed of 3 completed.
    assert "共监督工程8项、面积9.92万㎡" in overview
    assert "办理质量备案4项" in overview and "质量备案率（项）133.33%" in overview
    assert "工程质量指数为57.50" in overview
    assert detail["sections"]["trends"].startswith("与2026年上半年相比：")
    assert any("【请填写】" in p for p in detail["problems"])
    # Submitting with the markers left is refused by the form's domain check.
    clerk.complete(task(clerk, "拟稿公开报告"), "submit", status=422)
    # A unit whose quarters were not accepted cannot submit either.
    kaifeng = api("clerk", "410200")
    kf = kaifeng.get("/api/v1/publications?org=410200&period=2026H2")["items"][0]
    problems = kaifeng.get(f"/api/v1/publications/{kf['id']}")["problems"]
    assert any("2026Q3、2026Q4 季度报告尚未被上级接收" in p for p in problems)


def test_approval_publishes_with_the_date(api, client):
    pub_id = open_h2(api)
    draft_and_review(api, pub_id)
    leader = api("leader", "410100")
    assert leader.get(f"/api/v1/publications/{pub_id}")["state"] == "awaiting_approval"
    assert client.get(f"/api/v1/public/reports/{pub_id}").status_code == 404
    leader.complete(task(leader, "主要领导审批公开"), "approve", "同意公开。")
    detail = leader.get(f"/api/v1/publications/{pub_id}")
    assert detail["state"] == "published"
    assert detail["publication_date"] == "2027-01-05" and detail["online_until"] == "2027-02-05"
    public = client.get(f"/api/v1/public/reports/{pub_id}")
    assert public.status_code == 200
    assert public.get_json()["index"]["value"] == "57.50"
    no_task(api("clerk", "410100"))


def test_return_by_the_leader_goes_back_to_the_clerk(api, client):
    pub_id = open_h2(api)
    draft_and_review(api, pub_id)
    clerk, leader = api("clerk", "410100"), api("leader", "410100")
    leader.complete(
        task(leader, "主要领导审批公开"), "return", status=422
    )  # an opinion is required
    leader.complete(task(leader, "主要领导审批公开"), "return", "措施部分请具体化。")
    detail = clerk.get(f"/api/v1/publications/{pub_id}")
    assert detail["state"] == "returned" and detail["editable"]
    assert client.get(f"/api/v1/public/reports/{pub_id}").status_code == 404
    clerk.send(
        "PUT",
        f"/api/v1/publications/{pub_id}/sections",
        {
            "sections": {"measures": "一是开展专项检查；二是约谈备案滞后企业。"},
            "base_versions": detail["versions"],
        },
    )
    clerk.complete(task(clerk, "拟稿公开报告"), "submit")
    api("reviewer", "410100").complete(task(api("reviewer", "410100"), "本级审核"), "approve")
    leader.complete(task(leader, "主要领导审批公开"), "approve")
    body = client.get(f"/api/v1/public/reports/{pub_id}").get_json()
    measures = next(s for s in body["sections"] if s["key"] == "measures")
    assert measures["text"] == "一是开展专项检查；二是约谈备案滞后企业。"


def test_segregation_the_drafter_cannot_review(api, client, make_user):
    pub_id = open_h2(api)
    make_user(["clerk", "reviewer"], "410100", username="both_410100")
    both = Api(client, "both_410100")
    fill_draft(both, pub_id)
    both.complete(task(both, "拟稿公开报告"), "submit")
    response = both.complete(task(both, "本级审核"), "approve", status=422)
    assert "职责分离" in response["message"]


def test_withdrawal_only_after_a_month_and_with_the_leader(api, client):
    pub_id = open_h2(api)
    draft_and_review(api, pub_id)
    clerk, leader = api("clerk", "410100"), api("leader", "410100")
    leader.complete(task(leader, "主要领导审批公开"), "approve")
    url = f"/api/v1/publications/{pub_id}/withdrawal"
    refused = clerk.send("POST", url, {"reason": "数据需更正"}, status=409)
    assert "不得少于1个月" in refused["message"]
    clock.set_now(at("2027-02-05", 23))  # the last day it must stay online
    run_timers()
    db.session.commit()
    clerk, leader = Api(client, clerk.username), Api(client, leader.username)  # fresh tokens
    clerk.send("POST", url, {"reason": "数据需更正"}, status=409)
    clock.set_now(at("2027-02-06", 9))
    run_timers()
    db.session.commit()
    assert client.get(f"/api/v1/public/reports/{pub_id}").status_code == 200
    detail = clerk.send("POST", url, {"reason": "季度数据更正，需重新发布"})
    assert detail["state"] == "withdrawal_requested"
    # Still public until the leader decides; a refusal keeps it online.
    assert client.get(f"/api/v1/public/reports/{pub_id}").status_code == 200
    leader.complete(task(leader, "主要领导审批撤回"), "reject", "暂不撤回。")
    assert clerk.get(f"/api/v1/publications/{pub_id}")["state"] == "published"
    clerk.send("POST", url, {"reason": "季度数据更正，需重新发布"})
    leader.complete(task(leader, "主要领导审批撤回"), "approve", "同意撤回。")
    detail = clerk.get(f"/api/v1/publications/{pub_id}")
    assert detail["state"] == "withdrawn"
    assert client.get(f"/api/v1/public/reports/{pub_id}").status_code == 404
    assert client.get(f"/public/reports/{pub_id}").status_code == 404
    # Archived for staff: the content and the archived file stay readable inside.
    assert detail["content"]["figures"]["index"]["value"] == "57.50"
    from webapp.core.models import AuditRecord

    actions = [a for (a,) in db.session.query(AuditRecord.action).order_by(AuditRecord.id)]
    for code in (
        "publication.publish",
        "publication.withdraw_request",
        "publication.withdraw_refused",
        "publication.withdraw",
    ):
        assert code in actions, code


def test_a_request_before_the_timer_fired_waits_for_it(api, client):
    """The worker may fire the one-month timer late: the request is kept and delivered."""
    pub_id = open_h2(api)
    draft_and_review(api, pub_id)
    api("leader", "410100").complete(task(api("leader", "410100"), "主要领导审批公开"), "approve")
    clock.set_now(at("2027-02-06", 9))
    clerk, leader = Api(client, "clerk_410100"), Api(client, "leader_410100")
    clerk.send("POST", f"/api/v1/publications/{pub_id}/withdrawal", {"reason": "需要更正数据"})
    no_task(leader)
    run_timers()
    db.session.commit()
    assert task(leader, "主要领导审批撤回")
