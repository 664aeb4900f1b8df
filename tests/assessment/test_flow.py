"""The whole 附件3 campaign through the engine, over HTTP: open → the units send their materials
(附件3 has no self-assessment; one return) →
sampling → parallel scoring by two assessors with a review → ranking → the leader returns once,
then approves → the notice is published."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.assessment import flow_helpers as step
from tests.conftest import csrf_token, login
from webapp.assessment import flow
from webapp.assessment.models import AssessmentCampaign, UnitAssessment
from webapp.core import clock
from webapp.core.models import AuditRecord, User
from webapp.engine.models import HumanTask, Notification, ProcessInstance
from webapp.extensions import db


def todo(client, headers, element=None):
    items = client.get("/api/v1/tasks?view=todo", headers=headers).get_json()["items"]
    return [t for t in items if element is None or t["element_id"] == element]


def send_materials(unit_id: int, username: str) -> None:
    """The unit's 工作汇报 and 年度工作计划和总结 (PDF), uploaded by its clerk."""
    clerk = db.session.execute(select(User).where(User.username == username)).scalar_one()
    step.send_materials(clerk, unit_id)
    db.session.commit()


def complete(client, headers, task_id, outcome, comment=None, data=None):
    body = {"outcome": outcome, "comment": comment, "data": data or {}}
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_whole_campaign_through_the_engine(client, sheets, workflows, api_token, ledger_stub):
    clock.set_now(datetime(2026, 1, 10, 2, tzinfo=UTC))
    admin = api_token("admin", "410000")
    opened = client.post(
        "/api/v1/assessment/campaigns", json={"kind": "fujian3", "year": 2025}, headers=admin
    )
    assert opened.status_code == 201, opened.get_json()
    cid = opened.get_json()["id"]
    detail = client.get(f"/api/v1/assessment/campaigns/{cid}", headers=admin).get_json()
    assert detail["instance_id"] and len(detail["units"]) == 28
    assert all(u["instance_id"] and u["task_id"] for u in detail["units"])
    units = {u["org_code"]: u["id"] for u in detail["units"]}
    assert [t["element_id"] for t in detail["tasks"]] == ["close_materials"]

    # 郑州市: the clerk sends the materials, the leader returns once, then approves (task API)
    clerk, boss = api_token("clerk", "410100"), api_token("leader", "410100")
    [fill] = todo(client, clerk, "materials")
    assert not todo(client, clerk, "fill")  # 附件3: no self-assessment step
    assert fill["business_key"] == f"assessment:{cid}:410100" and fill["org_code"] == "410100"
    assert fill["due_at"].startswith("2026-01-31T16:00")  # 02-01 00:00 Beijing time
    assert not todo(client, boss)
    refused = client.post(
        f"/api/v1/assessment/units/{units['410100']}/self-assessment/submit", headers=clerk
    )
    assert refused.status_code == 422 and "尚未上传" in refused.get_json()["message"]
    no_self = client.put(
        f"/api/v1/assessment/units/{units['410100']}/self-assessment",
        json={"judgments": {"1.5": {"unmet": ["a"]}}, "summary": "郑州市全年总结"},
        headers=clerk,
    )
    assert no_self.status_code == 409 and "不设单位自评" in no_self.get_json()["message"]
    send_materials(units["410100"], "clerk_410100")
    complete(client, clerk, fill["id"], "submit")
    [review] = todo(client, boss, "approve")
    no_reason = client.post(
        f"/api/v1/tasks/{review['id']}/complete", json={"outcome": "return"}, headers=boss
    )
    assert no_reason.status_code == 422
    complete(client, boss, review["id"], "return", "佐证材料不全")
    unit = db.session.get(UnitAssessment, units["410100"])
    assert unit.state == "draft" and unit.return_reason == "佐证材料不全"
    [again] = todo(client, clerk, "materials")
    assert again["business_status"] == "returned"
    complete(client, clerk, again["id"], "submit")
    complete(client, boss, todo(client, boss, "approve")[0]["id"], "approve", "同意上报")
    db.session.expire_all()
    assert db.session.get(UnitAssessment, units["410100"]).state == "self_submitted"
    zz = db.session.execute(
        select(ProcessInstance).where(ProcessInstance.business_key == f"assessment:{cid}:410100")
    ).scalar_one()
    assert zz.state == "completed" and zz.business_status == "submitted"

    # 开封市 through the assessment API (the buttons of the pages complete the same tasks)
    clerk2, boss2 = api_token("clerk", "410200"), api_token("leader", "410200")
    send_materials(units["410200"], "clerk_410200")
    sub = client.post(
        f"/api/v1/assessment/units/{units['410200']}/self-assessment/submit", headers=clerk2
    )
    assert sub.get_json()["state"] == "self_review"
    own = client.post(
        f"/api/v1/assessment/units/{units['410200']}/self-assessment/approve",
        json={"opinion": "同意"},
        headers=clerk2,
    )
    assert own.status_code == 403  # a clerk is not the task's candidate
    ok = client.post(
        f"/api/v1/assessment/units/{units['410200']}/self-assessment/approve",
        json={"opinion": "同意"},
        headers=boss2,
    )
    assert ok.get_json()["state"] == "self_submitted"

    # the province ends the phase: the 26 units still open are closed by message
    assessor, assessor2 = (
        api_token("assessor", "410000"),
        api_token("assessor", "410000", "assessor2_410000"),
    )
    [close] = todo(client, assessor, "close_materials")  # 附件3: no 自评, materials only
    complete(client, assessor, close["id"], "close", "按期结束材料报送")
    db.session.expire_all()
    campaign = db.session.get(AssessmentCampaign, cid)
    assert campaign.state == "scoring"
    closed = db.session.execute(
        select(ProcessInstance).where(
            ProcessInstance.process_key == "year_end_materials",
            ProcessInstance.business_status == "materials_closed",
        )
    ).scalars()
    assert len(list(closed)) == 26
    assert not todo(client, api_token("clerk", "410300"))

    # sampling through the 抽取现场 task
    [sample] = todo(client, assessor, "sample")
    complete(client, assessor, sample["id"], "draw", data={"seed": "2026-Q1"})
    db.session.expire_all()
    assert len(db.session.get(UnitAssessment, units["410100"]).sites) == 6

    # parallel scoring: one task per unit, named after it; two assessors share the work
    score_tasks = todo(client, assessor, "score")
    assert len(score_tasks) == 28 and todo(client, assessor2, "score")
    assert {t["name"] for t in score_tasks} >= {"考核评分 · 郑州市", "考核评分 · 巩义市"}
    by_name = {t["name"].split(" · ")[1]: t for t in score_tasks}
    codes = {u["org_name"]: u["org_code"] for u in detail["units"]}
    for n, (name, task) in enumerate(sorted(by_name.items())):
        who = assessor if n % 2 == 0 else assessor2
        assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=who).status_code == 200
        if name != "开封市":  # one unit left unscored: completing refuses and comes back
            lost = ["a"] if codes[name] == "410100" else []
            scored = client.put(
                f"/api/v1/assessment/units/{units[codes[name]]}/scores",
                json={"judgments": {"1.5": {"unmet": lost}}},
                headers=who,
            )
            assert scored.status_code == 200, scored.get_json()
        complete(client, who, task["id"], "done")
    [back] = todo(client, assessor, "score")
    assert back["name"] == "考核评分 · 开封市"
    detail = client.get(f"/api/v1/tasks/{back['id']}", headers=assessor).get_json()
    assert detail["state"] == "ready" and detail["can_work"]
    who = assessor if sorted(by_name).index("开封市") % 2 == 0 else assessor2
    client.put(
        f"/api/v1/assessment/units/{units['410200']}/scores",
        json={"judgments": {"1.5": {"unmet": ["a", "b"]}}},
        headers=who,
    )
    complete(client, who, back["id"], "done")

    # each score sheet is reviewed; one is sent back and rescored
    reviewer = api_token("reviewer", "410000")
    reviews = todo(client, reviewer, "review_score")
    assert len(reviews) == 28
    for task in reviews:
        if task["name"].endswith("郑州市"):
            complete(client, reviewer, task["id"], "return", "1.1项扣分依据不足")
        else:
            complete(client, reviewer, task["id"], "approve")
    [rescore] = todo(client, assessor, "score")  # ready again: any assessor may take it
    assert rescore["name"] == "考核评分 · 郑州市"
    zz_by = assessor if sorted(by_name).index("郑州市") % 2 == 0 else assessor2
    client.put(
        f"/api/v1/assessment/units/{units['410100']}/scores",
        json={"judgments": {}},
        headers=zz_by,
    )
    complete(client, zz_by, rescore["id"], "done")
    db.session.expire_all()
    assert db.session.get(AssessmentCampaign, cid).state == "scoring"
    complete(client, reviewer, todo(client, reviewer, "review_score")[0]["id"], "approve")

    # ranking was computed by the process; the leader returns once, then approves
    db.session.expire_all()
    assert db.session.get(AssessmentCampaign, cid).state == "ranked"
    leader = api_token("leader", "410000")
    ranking = client.get(f"/api/v1/assessment/campaigns/{cid}/ranking", headers=leader).get_json()
    assert ranking[-1]["org_code"] == "410200" and ranking[-1]["total"] == "96.00"
    assert ranking[0]["rank"] == 1 and ranking[1]["rank"] == 1  # ties share a rank
    [approval] = todo(client, leader, "approve_results")
    returned = client.post(
        f"/api/v1/assessment/campaigns/{cid}/return",
        json={"reason": "开封市1.1项请复核"},
        headers=leader,
    )
    assert returned.status_code == 200 and returned.get_json()["state"] == "scoring"
    [fix] = todo(client, assessor, "rescore")
    assert todo(client, assessor2, "rescore")  # any assessor may do it
    client.put(
        f"/api/v1/assessment/units/{units['410200']}/scores",
        json={"judgments": {"1.5": {"unmet": ["a"]}}},
        headers=who,
    )
    reranked = client.post(f"/api/v1/assessment/campaigns/{cid}/rank", headers=assessor)
    assert reranked.status_code == 200, reranked.get_json()
    assert {r["org_code"]: r["total"] for r in reranked.get_json()}["410200"] == "98.00"
    [approval2] = todo(client, leader, "approve_results")
    assert approval2["id"] != approval["id"]
    complete(client, leader, approval2["id"], "approve", "同意通报")

    # approved and published: units see their scores, the notice downloads
    db.session.expire_all()
    campaign = db.session.get(AssessmentCampaign, cid)
    assert campaign.state == "approved"
    province = db.session.get(ProcessInstance, detail["instance_id"])
    assert province.state == "completed" and province.business_status == "results_published"
    notified = db.session.execute(
        select(User.username)
        .join(Notification, Notification.user_id == User.id)
        .where(Notification.kind == "assessment_notice")
    ).scalars()
    assert set(notified) >= {"clerk_410100", "leader_410200"}
    actions = set(db.session.execute(select(AuditRecord.action)).scalars())
    assert {
        # 附件3 (fujian3): the units' phase is the materials' report, audited as such
        "assessment.materials_return",
        "assessment.materials_close",
        "assessment.sample_draw",
        "assessment.rank",
        "assessment.results_return",
        "assessment.approve",
        "assessment.notice_publish",
    } <= actions
    mine = client.get(f"/api/v1/assessment/units/{units['410100']}", headers=clerk).get_json()
    assert mine["final"]["total"] == "100.00"
    left = db.session.execute(
        select(HumanTask).where(HumanTask.state.in_(("ready", "claimed")))
    ).scalars()
    assert list(left) == []


def test_pages_start_the_process_and_link_every_step_to_its_task(
    app, sheets, workflows, logged_in, make_user
):
    clock.set_now(datetime(2026, 11, 2, 2, tzinfo=UTC))  # before the 11-30 due date
    admin = logged_in("admin", "410000")
    token = csrf_token(admin, "/assessment/")
    opened = admin.post(
        "/assessment/campaigns", data={"csrf_token": token, "kind": "fujian2", "year": "2026"}
    )
    assert opened.status_code == 302
    html = admin.get(opened.location).get_data(as_text=True)
    assert 'id="process-link"' in html and "结束自评" in html
    assert html.count('class="unit-task"') == 28 and "待办：填报自评" in html
    cid = db.session.execute(select(AssessmentCampaign.id)).scalar_one()
    instance = db.session.execute(
        select(ProcessInstance).where(ProcessInstance.business_key == f"assessment:{cid}")
    ).scalar_one()
    diagram = admin.get(f"/tasks/instances/{instance.id}").get_data(as_text=True)
    assert "保障性安居工程年度考核" in diagram
    assert admin.get(f"/tasks/instances/{instance.id}/diagram.bpmn").status_code == 200

    # the unit's page buttons complete its inbox task
    unit = (
        db.session.execute(
            select(UnitAssessment).join(UnitAssessment.org).where(UnitAssessment.campaign_id == cid)
        )
        .scalars()
        .first()
    )
    clerk_client = app.test_client()
    make_user("clerk", unit.org.code, "clerk9")
    login(clerk_client, "clerk9")
    page = clerk_client.get(f"/assessment/units/{unit.id}").get_data(as_text=True)
    assert 'id="unit-step-link"' in page and "填报自评" in page
    token = csrf_token(clerk_client, f"/assessment/units/{unit.id}")
    refused = clerk_client.post(
        f"/assessment/units/{unit.id}/self/submit",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "尚未填写自评评分表" in refused.get_data(as_text=True)
    clerk_client.post(f"/assessment/units/{unit.id}", data={"csrf_token": token, "summary": "总结"})
    done = clerk_client.post(
        f"/assessment/units/{unit.id}/self/submit",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "已提交本单位领导审核" in done.get_data(as_text=True)
    db.session.rollback()
    [task] = flow.open_tasks(flow.unit_instance(db.session.get(UnitAssessment, unit.id)))
    assert task.element_id == "approve"
    task_page = clerk_client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "领导审核自评" in task_page
