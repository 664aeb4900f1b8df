"""The pages: the subtree's open accidents with each level's time, a late level in red."""

from __future__ import annotations

from datetime import timedelta

from tests.accidents.conftest import body
from webapp.core import clock
from webapp.engine import run_timers
from webapp.extensions import db


def test_upper_unit_sees_time_left_and_a_late_level_in_red(workflow, users, logged_in):
    created = users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    client = logged_in("reviewer", "410000", username="page_province")
    html = client.get("/accidents/").get_data(as_text=True)
    assert "中原区安置房3号楼" in html and "剩余 120 分钟" in html
    assert 'class="table-danger' not in html
    clock.advance(timedelta(hours=2, minutes=5))
    run_timers()
    db.session.commit()
    client.delete_cookie("session")  # the session idled out over the two hours
    client = logged_in("reviewer", "410000", username="page_province_2")
    html = client.get("/accidents/?under=410100").get_data(as_text=True)
    assert "table-danger text-danger late" in html and "超时未报" in html
    assert "已超时 5 分钟" in html
    page = client.get(f"/accidents/{created['id']}").get_data(as_text=True)
    assert "首报" in page and "死亡 3 人" in page
    assert "received-late" not in page  # 14:10 → 14:40, within the hour


def test_county_clerk_reports_through_the_form(workflow, users, logged_in):
    from tests.conftest import csrf_token

    client = logged_in("clerk", "410102", username="page_clerk")
    form = {k: v for k, v in body().items() if k not in ("units", "under_control", "received_at")}
    form.update(occurred_at="2026-05-01T14:10", units="甲公司\n乙公司", under_control="1")
    response = client.post(
        "/accidents/new", data={**form, "csrf_token": csrf_token(client, "/accidents/new")}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "较大" in page and "甲公司、乙公司" in page
    # A death count lowered without a reason: refused with the message, nothing saved.
    url = response.headers["Location"]
    refused = client.post(
        f"{url}/followups",
        data={"deaths": "1", "csrf_token": csrf_token(client, url)},
        follow_redirects=True,
    )
    assert "死亡人数少于前次报告" in refused.get_data(as_text=True)


def test_ledger_list_shows_time_of_day_or_unknown(workflow, users, logged_in):
    from datetime import date
    from decimal import Decimal

    from webapp.core.models import User
    from webapp.core.operations import get_org
    from webapp.ledger.models import QualityAccident

    users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    clerk = db.session.query(User).filter_by(username="u_county").one()
    db.session.add(
        QualityAccident(
            org=get_org("410102"),
            occurred_on=date(2026, 4, 2),
            project_name="旧台账事故",
            loss_10k_yuan=Decimal("120"),
            level="一般",
            created_by_id=clerk.id,
            created_at=clock.now(),
            updated_by_id=clerk.id,
            updated_at=clock.now(),
        )
    )
    db.session.commit()
    html = (
        logged_in("clerk", "410102", username="ledger_reader")
        .get("/ledger/accidents/")
        .get_data(as_text=True)
    )
    assert "时间不详" in html and "14:10" in html


def test_a_report_received_more_than_an_hour_late_is_marked(workflow, users, logged_in):
    created = users["county"].send(
        "POST",
        "/api/v1/accidents",
        json=body(occurred_at="2026-05-01T13:30:00+08:00"),
        status=201,
    )
    page = logged_in("reviewer", "410100", username="late_reader").get(
        f"/accidents/{created['id']}"
    )
    assert "建设单位报告超过1小时" in page.get_data(as_text=True)
