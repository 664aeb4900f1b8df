"""The whole campaign through the HTTP layer (API and pages)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from docx import Document
from sqlalchemy import select

from tests.assessment import flow_helpers as step
from tests.assessment.flow_helpers import score_every_unit
from tests.conftest import csrf_token
from webapp.assessment import flow
from webapp.core import clock
from webapp.core.models import AuditRecord, User
from webapp.engine import HumanTask
from webapp.extensions import db


def test_sheets_api_shape_and_compute_without_saving(client, sheets, api_token):
    headers = api_token("clerk", "410100")
    body = client.get("/api/v1/assessment/sheets", headers=headers).get_json()
    f2 = next(s for s in body["items"] if s["kind"] == "fujian2")
    assert f2["version"] == 1 and f2["active"] is True
    item = f2["sections"][1]["items"][3]
    assert item["name"] == "带班制度" and item["points"] == "4"
    assert item["rule"]["kind"] == "deduction" and item["rule"]["start"] == "5"
    assert [d["id"] for d in item["rule"]["duties"]] == list("abcde")
    additive = f2["sections"][0]["items"][2]["rule"]
    assert additive == {
        "kind": "additive",
        "parts": [
            {
                "id": "a",
                "text": "在今年3.15消费者权益日期间，组织“质量宣传周”活动",
                "points": "1.5",
            },
            {"id": "b", "text": "启动“工程质量宣传教育月”活动", "points": "1.5"},
        ],
    }
    scored = client.post(
        f"/api/v1/assessment/sheets/{f2['id']}/score",
        json={"judgments": {"2.4": {"unmet": ["a", "b"]}, "1.3": {"met": ["b"]}}},
        headers=headers,
    )
    assert scored.status_code == 200
    result = scored.get_json()
    assert result["items"]["2.4"] == "3.00" and result["items"]["1.3"] == "1.50"
    assert result["sections"]["施工企业"] == "19.00" and result["total"] == "97.50"
    bad = client.post(
        f"/api/v1/assessment/sheets/{f2['id']}/score",
        json={"judgments": {"2.4": {"met": ["a"]}}},
        headers=headers,
    )
    assert bad.status_code == 422 and "扣分项" in bad.get_json()["message"]


def todo(client, headers, element):
    items = client.get("/api/v1/tasks?view=todo", headers=headers).get_json()["items"]
    return [t for t in items if t["element_id"] == element]


def test_whole_fujian3_campaign_through_the_assessment_api(
    client, open_campaign, api_token, ledger_stub, make_user
):
    """The assessment API's buttons complete the process's tasks (the scoring tasks, which have
    no button there, through the task API).  The whole campaign with returns and the task API
    alone: tests/assessment/test_flow.py."""
    admin = api_token("admin", "410000", "admin2_410000")
    reviewer = api_token("reviewer", "410000", "reviewer2_410000")
    assessor = api_token("assessor", "410000", "assessor3_410000")
    leader = api_token("leader", "410000", "leader2_410000")
    cid = open_campaign("fujian3", 2025).id
    units = {
        u["org_code"]: u["id"]
        for u in client.get(f"/api/v1/assessment/campaigns/{cid}", headers=admin).get_json()[
            "units"
        ]
    }
    assert len(units) == 28
    # three units send their materials (附件3 has no self-assessment): the clerk submits, the
    # leader approves
    for code in ("410100", "410200", "410181"):
        clerk = api_token("clerk", code)
        boss = api_token("leader", code)
        no_self = client.put(
            f"/api/v1/assessment/units/{units[code]}/self-assessment",
            json={"judgments": {"1.5": {"unmet": ["a"]}}, "summary": f"{code}全年总结"},
            headers=clerk,
        )
        assert no_self.status_code == 409, no_self.get_json()
        with clock.moved_to(datetime(2026, 1, 20, 10, tzinfo=clock.LOCAL_TZ)):  # on time
            step.send_materials(
                db.session.query(User).filter_by(username=f"clerk_{code}").one(), units[code]
            )
        db.session.commit()
        assert (
            client.post(
                f"/api/v1/assessment/units/{units[code]}/self-assessment/submit", headers=clerk
            ).status_code
            == 200
        )
        approved = client.post(
            f"/api/v1/assessment/units/{units[code]}/self-assessment/approve",
            json={"opinion": "同意"},
            headers=boss,
        )
        assert approved.get_json()["state"] == "self_submitted"
        again = client.post(
            f"/api/v1/assessment/units/{units[code]}/self-assessment/approve",
            json={"opinion": "同意"},
            headers=boss,
        )
        assert again.status_code == 409 and "领导审核" in again.get_json()["message"]
    other = api_token("clerk", "410300")
    # the other units' materials were sent on time too (uploaded; 1.13a is then met for all)
    for code, unit_id in units.items():
        if code not in ("410100", "410200", "410181"):
            clerk_user = db.session.query(User).filter_by(username=f"clerk_{code}").one_or_none()
            with clock.moved_to(datetime(2026, 1, 20, 10, tzinfo=clock.LOCAL_TZ)):
                step.send_materials(clerk_user or make_user("clerk", code), unit_id)
    db.session.commit()
    refused = client.put(
        f"/api/v1/assessment/units/{units['410100']}/self-assessment",
        json={"judgments": {}},
        headers=other,
    )
    assert refused.status_code == 404
    early = client.post(f"/api/v1/assessment/campaigns/{cid}/rank", headers=assessor)
    assert early.status_code == 409 and "按审批意见修改评分" in early.get_json()["message"]
    assert (
        client.post(
            f"/api/v1/assessment/campaigns/{cid}/close-self-assessment", headers=assessor
        ).get_json()["state"]
        == "scoring"
    )
    sample = client.post(
        f"/api/v1/assessment/campaigns/{cid}/sample", json={"seed": "2026-Q1"}, headers=assessor
    )
    assert sample.status_code == 201 and sample.get_json()["seed"] == "2026-Q1"
    assert len(sample.get_json()["sites"]["410100"]) == 6
    assert len(sample.get_json()["sites"]["410181"]) == 3
    # assessors score every unit; the ranking waits while one is missing
    for code, unit_id in units.items():
        judgments = {"3.1": {"met": []}} if code == "410200" else {}
        if code == "410181":
            judgments = {"2.2": {"unmet": ["a"]}}
        if code == "410300":
            continue
        r = client.put(
            f"/api/v1/assessment/units/{unit_id}/scores",
            json={"judgments": judgments, "notes": {"2.2": "现场发现问题"}},
            headers=assessor,
        )
        assert r.status_code == 200, r.get_json()
    for task in todo(client, assessor, "score"):
        done = client.post(
            f"/api/v1/tasks/{task['id']}/complete", json={"outcome": "done"}, headers=assessor
        )
        assert done.status_code == 200, done.get_json()
    [missing] = todo(client, assessor, "score")
    assert missing["name"] == "考核评分 · 洛阳市"
    assert "尚未保存洛阳市的评分" in flow.step_error(db.session.get(HumanTask, missing["id"]))
    client.put(f"/api/v1/assessment/units/{units['410300']}/scores", json={}, headers=assessor)
    client.post(
        f"/api/v1/tasks/{missing['id']}/complete", json={"outcome": "done"}, headers=assessor
    )
    for task in todo(client, reviewer, "review_score"):
        client.post(
            f"/api/v1/tasks/{task['id']}/complete", json={"outcome": "approve"}, headers=reviewer
        )
    ranked = client.get(f"/api/v1/assessment/campaigns/{cid}/ranking", headers=reviewer)
    rows = {r["org_code"]: r for r in ranked.get_json()}
    assert rows["410200"] == {
        "org_code": "410200",
        "org_name": "开封市",
        "total": "90.00",
        "raw_total": "90.00",
        "applicable": "100.00",
        "scaling": "",
        "rank": 28,
        "result": [],
    }
    assert rows["410181"]["rank"] == 27 and rows["410100"]["rank"] == 1
    assert rows["410181"]["total"] == "98.97" and rows["410181"]["raw_total"] == "96.00"
    assert "96.00 × 100 ÷ 97.00 = 98.97" in rows["410181"]["scaling"]
    # a unit sees neither the ranking nor its final score before approval
    city = api_token("reviewer", "410100")
    assert (
        client.get(f"/api/v1/assessment/campaigns/{cid}/ranking", headers=city).status_code == 403
    )
    assert (
        client.get(f"/api/v1/assessment/units/{units['410100']}", headers=city).get_json()["final"]
        is None
    )
    assert (
        client.post(f"/api/v1/assessment/campaigns/{cid}/approve", json={}, headers=assessor)
    ).status_code == 403
    approved = client.post(
        f"/api/v1/assessment/campaigns/{cid}/approve", json={"opinion": "同意"}, headers=leader
    )
    assert approved.status_code == 200 and approved.get_json()["state"] == "approved"
    ranking = client.get(f"/api/v1/assessment/campaigns/{cid}/ranking", headers=city).get_json()
    assert [r["rank"] for r in ranking][-2:] == [27, 28]
    assert ranking[-1]["result"] == ["约谈、通报批评"]
    mine = client.get(f"/api/v1/assessment/units/{units['410100']}", headers=city).get_json()
    assert mine["final"]["total"] == "100.00" and mine["unit"]["rank"] == 1


def test_pages_self_assessment_form_and_evidence(client, open_campaign, logged_in, make_user):
    campaign = open_campaign("fujian2", 2026)
    unit = next(u for u in campaign.units if u.org.code == "410100")
    clerk = logged_in("clerk", "410100")
    page = clerk.get(f"/assessment/units/{unit.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "带班制度" in html and "记5分，每项不满足扣1分" in html
    assert 'name="unmet-2.4"' in html and "最高4分、最低0分" in html
    token = csrf_token(clerk, f"/assessment/units/{unit.id}")
    form = {"csrf_token": token, "summary": "本年度总结", "unmet-2.4": ["a", "b"]}
    form |= {"note-2.4": "项目部检查记录不全"}
    # additive items: every part ticked except 1.3 b
    sheet = campaign.sheet.parsed()
    for item in sheet.items:
        if item.rule.kind == "additive":
            form[f"met-{item.id}"] = [
                p.id for p in item.rule.parts if (item.id, p.id) != ("1.3", "b")
            ]
    saved = clerk.post(f"/assessment/units/{unit.id}", data=form)
    assert saved.status_code == 302
    follow = clerk.get(f"/assessment/units/{unit.id}").get_data(as_text=True)
    assert "自评总分 97.5 分" in follow  # 带班制度 min(4, 5 − 2) = 3; 宣传工作 1.5
    upload = clerk.post(
        f"/assessment/units/{unit.id}/evidence",
        data={"csrf_token": token, "files": (io.BytesIO(b"%PDF-1.4"), "会议纪要.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    html = clerk.get(f"/assessment/units/{unit.id}").get_data(as_text=True)
    assert "会议纪要.pdf" in html
    assert clerk.get(f"/assessment/units/{unit.id + 1}").status_code == 404


def test_sheet_upload_page_refuses_a_bad_sheet(client, sheets, logged_in):
    admin = logged_in("admin", "410000")
    token = csrf_token(admin, "/assessment/sheets")
    bad = b'{"format": 1, "kind": "fujian2", "year": 2027, "name": "x", "sections": []}'
    r = admin.post(
        "/assessment/sheets/upload",
        data={"csrf_token": token, "file": (io.BytesIO(bad), "bad.json")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "评分表须包含考核对象（sections）" in r.get_data(as_text=True)


def test_results_notice_downloads_as_word(client, open_campaign, province_staff, logged_in):
    campaign = open_campaign("fujian3", 2025)
    score_every_unit(province_staff, campaign, {"411729": {"3.1": {"met": []}}})
    leader = logged_in("leader", "410000", "leader2_410000")
    page = leader.get(f"/assessment/campaigns/{campaign.id}/ranking")
    assert "拟：约谈、通报批评" in page.get_data(as_text=True)
    token = csrf_token(leader, f"/assessment/campaigns/{campaign.id}/ranking")
    leader.post(
        f"/assessment/campaigns/{campaign.id}/approve",
        data={"csrf_token": token, "opinion": "同意"},
    )
    db.session.expire_all()
    assert flow.province_instance(campaign).business_status == "results_published"
    doc = leader.get(f"/assessment/campaigns/{campaign.id}/notice.docx")
    assert doc.status_code == 200 and doc.mimetype.endswith("wordprocessingml.document")
    taken = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "assessment.notice_download")
    ).scalar_one()
    assert (taken.actor_name, taken.object_id) == ("leader2_410000", str(campaign.id))
    xml = zipfile.ZipFile(io.BytesIO(doc.data)).read("word/document.xml").decode()
    # The title breaks between words (title_lines), one paragraph a line.
    paragraphs = [p.text for p in Document(io.BytesIO(doc.data)).paragraphs]
    assert paragraphs[:2] == ["关于2025年度保障性安居工程质量监督工作", "考核结果的通报"]
    assert "新蔡县" in xml and "约谈主要领导和分管领导并在全省通报批评：新蔡县" in xml
    assert "{{" not in xml and "{%" not in xml
