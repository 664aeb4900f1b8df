"""The API's evidence upload and site-visit record (what an API client needs besides the pages:
``make simulate-year`` drives the year's assessment through these)."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from webapp.assessment.models import EvidenceFile, SampledSite
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.extensions import db

PDF = b"%PDF-1.4\n% evidence\n%%EOF\n"


def _upload(client, unit_id, headers, data=PDF, name="会议纪要.pdf"):
    return client.post(
        f"/api/v1/assessment/units/{unit_id}/evidence",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def _actions() -> list[str]:
    return list(db.session.execute(select(AuditRecord.action).order_by(AuditRecord.id)).scalars())


def test_a_unit_uploads_evidence_and_cites_it(client, open_campaign, api_token):
    campaign = open_campaign("fujian2", 2026)
    unit = next(u for u in campaign.units if u.org.code == "410100")
    clerk = api_token("clerk", "410100")
    up = _upload(client, unit.id, clerk)
    assert up.status_code == 201, up.get_json()
    body = up.get_json()
    assert body["reference"] == f"file:{body['id']}" and body["name"] == "会议纪要.pdf"
    assert body["phase"] == "self" and body["size"] == len(PDF)
    stored = db.session.get(EvidenceFile, body["id"])
    assert stored.unit_id == unit.id and stored.sha256 == body["sha256"]
    assert "assessment.evidence_add" in _actions()
    saved = client.put(
        f"/api/v1/assessment/units/{unit.id}/self-assessment",
        json={"judgments": {}, "evidence": {"1.1": [body["reference"]]}, "summary": "总结"},
        headers=clerk,
    )
    assert saved.status_code == 200, saved.get_json()
    # the content decides, not the name: refused (422) and audited as a refused upload
    fake = _upload(client, unit.id, clerk, b"MZ\x90\x00", "纪要.pdf")
    assert fake.status_code == 422 and "文件内容与扩展名" in fake.get_json()["message"]
    assert _actions()[-1] == "security.upload_refused"
    missing = client.post(f"/api/v1/assessment/units/{unit.id}/evidence", headers=clerk)
    assert missing.status_code == 422 and "file" in missing.get_json()["message"]
    # another city's clerk and an auditor are refused before the file is looked at
    assert _upload(client, unit.id, api_token("clerk", "410200")).status_code == 404
    assert _upload(client, unit.id, api_token("auditor", "410000")).status_code == 403
    assert db.session.query(EvidenceFile).count() == 1


def test_assessor_records_a_site_visit_listed_with_the_unit(
    client, open_campaign, api_token, ledger_stub
):
    campaign = open_campaign("fujian2", 2026)
    unit = next(u for u in campaign.units if u.org.code == "410100")
    assessor = api_token("assessor", "410000", "assessor9_410000")
    closed = client.post(
        f"/api/v1/assessment/campaigns/{campaign.id}/close-self-assessment", headers=assessor
    )
    assert closed.status_code == 200, closed.get_json()
    sample = client.post(
        f"/api/v1/assessment/campaigns/{campaign.id}/sample", json={"seed": "s"}, headers=assessor
    )
    assert sample.status_code == 201, sample.get_json()
    sites = client.get(f"/api/v1/assessment/units/{unit.id}", headers=assessor).get_json()["sites"]
    assert [s["project_ref"] for s in sites] == sample.get_json()["sites"]["410100"]
    assert len(sites) == 6 and sum(s["in_county"] for s in sites) == 2
    assert sites[0]["visit_date"] is None
    today = clock.today_local()
    url = f"/api/v1/assessment/sites/{sites[0]['id']}/visit"
    ok = client.post(
        url, json={"visit_date": today.isoformat(), "findings": "资料齐全"}, headers=assessor
    )
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["visit_date"] == today.isoformat()
    site = db.session.get(SampledSite, sites[0]["id"])
    assert site.findings == "资料齐全" and site.visit_date == today
    assert _actions()[-1] == "assessment.site_visit"
    future = (today + timedelta(days=1)).isoformat()
    late = client.post(url, json={"visit_date": future, "findings": "x"}, headers=assessor)
    assert late.status_code == 422 and "晚于今天" in late.get_json()["message"]
    clerk = api_token("clerk", "410100")
    body = {"visit_date": today.isoformat(), "findings": "x"}
    assert client.post(url, json=body, headers=clerk).status_code == 403
    assert (
        client.post(
            "/api/v1/assessment/sites/999999/visit", json=body, headers=assessor
        ).status_code
        == 404
    )
    # the unit's own staff see the sites (the campaign page lists them too)
    mine = client.get(f"/api/v1/assessment/units/{unit.id}", headers=clerk).get_json()
    assert mine["sites"][0]["findings"] == "资料齐全"
