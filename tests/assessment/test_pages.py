"""Every page renders for the roles that use it, and refuses (audited) the others."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.assessment import flow_helpers as step
from tests.assessment.conftest import unit_of
from tests.conftest import csrf_token
from webapp.assessment import judging
from webapp.core.models import AuditRecord
from webapp.extensions import db


def test_province_pages_render(open_campaign, province_staff, logged_in):
    unit = step.in_scoring(open_campaign, province_staff)
    campaign = unit.campaign
    client = logged_in("assessor", "410000", "assessor9_410000")
    listing = client.get("/assessment/").get_data(as_text=True)
    assert "考核" in listing and "开启考核" in listing  # an assessor may open campaigns
    detail = client.get(f"/assessment/campaigns/{campaign.id}").get_data(as_text=True)
    assert "郑州市" in detail and "巩义市" in detail and "随机种子 <code>x</code>" in detail
    page = client.get(f"/assessment/units/{unit.id}/score")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "data-sheet-form" in html and "现场抽查项目" in html
    site = unit.sites[0]
    token = csrf_token(client, f"/assessment/units/{unit.id}/score")
    visit = client.post(
        f"/assessment/sites/{site.id}/visit",
        data={"csrf_token": token, "visit_date": "2026-01-05", "findings": "楼梯间护栏缺失"},
    )
    assert visit.status_code == 302
    db.session.refresh(site)
    assert site.visit_date == date(2026, 1, 5) and site.findings == "楼梯间护栏缺失"
    saved = client.post(
        f"/assessment/units/{unit.id}/score",
        data={"csrf_token": token, "unmet-1.1": ["a"], "note-1.1": "监管率未达100%"},
    )
    assert saved.status_code == 302
    # additive items absent from the form count as nothing met: the page always sends them all
    final = judging.final_scores(unit)
    assert final is not None and final.items["1.1"] == 4


def test_sheet_pages_render_for_admin(sheets, logged_in):
    client = logged_in("admin", "410000")
    html = client.get("/assessment/sheets").get_data(as_text=True)
    assert "河南省保障性安居工程质量监督工作考核评分表" in html and "上传新版本" in html
    first = html.split('href="/assessment/sheets/')[1].split('"')[0]
    sheet = client.get(f"/assessment/sheets/{first}").get_data(as_text=True)
    assert "合　　计" in sheet and "评分内容及评分标准" in sheet


def test_unit_staff_cannot_score_and_refusal_is_audited(open_campaign, logged_in):
    campaign = open_campaign()
    unit = unit_of(campaign, "410100")
    clerk = logged_in("clerk", "410100")
    assert clerk.get(f"/assessment/units/{unit.id}/score").status_code == 403
    assert clerk.get(f"/assessment/campaigns/{campaign.id}/ranking").status_code == 403
    denied = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "permission.denied")
    ).scalars()
    assert {r.object_id for r in denied} >= {"assessment.score", "assessment.ranking"}
    # a unit's staff land on their own unit page from the campaign
    response = clerk.get(f"/assessment/campaigns/{campaign.id}")
    assert response.status_code == 302 and response.location.endswith(f"/units/{unit.id}")


def test_navigation_points_to_the_assessment_section(logged_in):
    client = logged_in("clerk", "410102")
    assert 'href="/assessment/"' in client.get("/").get_data(as_text=True)
