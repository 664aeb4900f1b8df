"""The public portal and the public API show exactly what is published, to anyone."""

from __future__ import annotations

import pytest

from tests.publication.conftest import Api, at, run_to_publication
from webapp.archive import operations as archive
from webapp.core import clock
from webapp.extensions import db
from webapp.publication.operations import find_publication

pytestmark = pytest.mark.usefixtures("workflows", "h2_data")

PERSONAL = ("张责任", "赵记录", "王批准", "李批准", "钱未批", "clerk_", "reviewer_", "leader_")


def _public_urls(pub_id: int) -> list[str]:
    return [
        f"/public/reports/{pub_id}",
        f"/public/reports/{pub_id}/document.docx",
        f"/public/reports/{pub_id}/document.pdf",
        f"/api/v1/public/reports/{pub_id}",
    ]


def test_exactly_the_published_reports_are_listed(client, make_user, org):
    clock.set_now(at("2027-01-06"))
    zhengzhou = run_to_publication("410100", make_user=make_user)
    province = run_to_publication("410000", make_user=make_user)
    body = client.get("/api/v1/public/reports").get_json()
    assert {i["id"] for i in body["items"]} == {zhengzhou.id, province.id}
    item = next(i for i in body["items"] if i["id"] == zhengzhou.id)
    assert item["org_name"] == "郑州市" and item["period"] == "2026H2"
    assert item["publication_date"] == "2027-01-06" and item["quality_index"] == "57.50"
    filtered = client.get("/api/v1/public/reports?org=410000&period=2026H2").get_json()
    assert [i["id"] for i in filtered["items"]] == [province.id]
    assert client.get("/api/v1/public/reports?period=2026H1").get_json()["items"] == []
    page = client.get("/public/").get_data(as_text=True)
    assert "郑州市2026年下半年建设工程质量总体状况报告" in page
    assert "开封市" not in page  # opened, drafting, not published
    full = client.get(f"/public/reports/{zhengzhou.id}").get_data(as_text=True)
    assert "加强竣工验收备案管理" in full and "57.50" in full
    for word in PERSONAL:
        assert word not in full
    docx = client.get(f"/public/reports/{zhengzhou.id}/document.docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"
    published = archive.latest("publication", find_publication(org("410100"), "2026H2").id)
    assert docx.data == archive.read(published)


def test_anonymous_requests_for_unpublished_reports_get_404(app, client, make_user, org):
    clock.set_now(at("2027-01-06"))
    # The visitor has its own cookie jar (an error page gives it a session with a CSRF token,
    # and flask-login's strong session protection then ignores a bearer token sent with it).
    visitor = app.test_client()
    zhengzhou = run_to_publication("410100", make_user=make_user)
    draft = find_publication(org("410200"), "2026H2")  # 开封: still drafting
    assert draft is not None and not draft.is_public
    for url in _public_urls(draft.id) + _public_urls(99999):
        assert visitor.get(url).status_code == 404, url
    # Under review (submitted, not yet approved by the leader): still nothing public.
    from tests.publication.conftest import FILLED, open_task
    from webapp.engine import complete_task
    from webapp.publication.operations import save_sections

    province = find_publication(org("410000"), "2026H2")
    clerk = make_user("clerk", "410000")
    save_sections(clerk, province, FILLED)
    db.session.commit()
    complete_task(clerk, open_task(province, "draft").id, "submit")
    complete_task(make_user("reviewer", "410000"), open_task(province, "review").id, "approve")
    db.session.commit()
    for url in _public_urls(province.id):
        assert visitor.get(url).status_code == 404, url
    # 郑州市's own approved good record is public with its report; nothing of the province yet.
    assert visitor.get("/api/v1/public/records").get_json()["total"] == 1
    # Withdrawn: off the portal, archived for staff.
    zhengzhou.withdrawn_at = clock.now()
    db.session.commit()
    for url in _public_urls(zhengzhou.id):
        assert visitor.get(url).status_code == 404, url
    assert visitor.get("/api/v1/public/reports").get_json()["items"] == []
    staff = Api(client, "reviewer_410100")
    assert staff.get(f"/api/v1/publications/{zhengzhou.id}")["state"] == "withdrawn"


def test_staff_pages_and_api_still_need_a_login(client, make_user, org):
    clock.set_now(at("2027-01-06"))
    run_to_publication("410100", make_user=make_user)
    pub = find_publication(org("410100"), "2026H2")
    assert client.get(f"/publication/{pub.id}").status_code == 302  # to the login page
    assert client.get(f"/api/v1/publications/{pub.id}").status_code == 401
    assert client.get(f"/publication/{pub.id}/document.docx").status_code == 302


def test_quality_index_page_and_api(client, make_user):
    clock.set_now(at("2027-01-06"))
    pub = run_to_publication("410100", make_user=make_user)
    body = client.get("/api/v1/public/index?org=410100&period=2026H2").get_json()
    assert [p["value"] for p in body["series"]] == ["57.50"]
    assert body["table"] == [
        {"org_code": "410100", "org_name": "郑州市", "report_id": pub.id, "value": "57.50"}
    ]
    parts = {p["key"]: p for p in body["series"][0]["parts"]}
    assert parts["accidents"]["indicator"] == "10.0806" and parts["accidents"]["score"] == "0.00"
    page = client.get("/public/index?org=410100").get_data(as_text=True)
    # "the formula and a worked example are published beside it" (domain.md §6): the unit's
    # latest published index, step by step.
    assert 'id="index-worked-example"' in page and "3 ÷ 4 × 100 = 75.00%" in page
    assert "不良行为记录、行政处罚等监管执法数量不计入" in page
    report = client.get(f"/public/reports/{pub.id}").get_data(as_text=True)
    assert 'id="index-example"' in report and "= 57.50。" in report
    assert 'id="index-units"' in report and "中原区" in report and "80.00" in report
    assert 'id="index-chart"' in page and "echarts.common.min.js" in page
    assert "2026年下半年" in page


def test_the_public_api_is_documented_without_authentication(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/public/reports", "/api/v1/public/records", "/api/v1/public/index"):
        assert spec["paths"][path]["get"]["security"] == [], path
    assert "security" not in spec["paths"]["/api/v1/publications/{pub_id}"]["get"]


def test_absurd_ids_are_not_found(app, api):
    visitor = app.test_client()
    for url in ("/api/v1/public/reports/2147483648", "/public/reports/99999999999"):
        assert visitor.get(url).status_code == 404, url
    assert api("clerk", "410100").get("/api/v1/publications/2147483648", status=404)
