"""The chain up the hierarchy: tasks, the 2-hour timers, 越级上报, 续报, the Ministry record."""

from __future__ import annotations

from datetime import timedelta

from tests.accidents.conftest import ACK, CITY, COUNTY, PROVINCE, at, body, complete, todo
from tests.reports.conftest import Api
from webapp.core import clock
from webapp.engine import run_timers
from webapp.extensions import db


def _notes(username: str) -> list[str]:
    from sqlalchemy import select

    from webapp.core.models import User
    from webapp.engine import Notification

    user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    return list(
        db.session.execute(
            select(Notification.message).where(Notification.user_id == user.id)
        ).scalars()
    )


def test_county_larger_accident_goes_to_city_province_and_ministry(workflow, users):
    created = users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    assert created["level"] == "较大"
    assert created["state"] == "reporting"
    accident_id = created["id"]
    chain = created["chain"]
    assert [c["org_code"] for c in chain] == [COUNTY, CITY, PROVINCE]
    assert chain[1]["received_at"] is not None and chain[2]["received_at"] is None
    # The city has the task, due two hours after it received the report.
    (city_task,) = todo(users["city"], accident_id)
    assert city_task["due_at"].startswith("2026-05-01T09:00")  # 17:00 in Henan = 09:00 UTC
    assert todo(users["province"], accident_id) == []
    clock.set_now(at("2026-05-01 16:00"))
    complete(users["city"], city_task, "forward", ACK)
    (province_task,) = [t for t in todo(users["province"], accident_id) if "接报" in t["name"]]
    clock.set_now(at("2026-05-01 16:30"))
    complete(users["province"], province_task, "forward", ACK)
    (ministry,) = todo(users["province"], accident_id)
    assert "住房和城乡建设部" in ministry["name"]
    clock.set_now(at("2026-05-01 16:45"))
    complete(
        users["province"],
        ministry,
        "record",
        {
            "ministry_reported_at": "2026-05-01 16:40",
            "ministry_channel": "网络直报",
            "ministry_ref": "豫建质〔2026〕1号",
        },
    )
    listed = users["province"].get(f"/api/v1/accidents?under={PROVINCE}&open=1")["items"]
    (item,) = [i for i in listed if i["id"] == accident_id]
    assert item["state"] == "reported"
    assert [c["late"] for c in item["chain"]] == [False, False, False]
    assert all(c["forwarded_at"] for c in item["chain"])
    from webapp.accidents.models import Accident

    report = db.session.get(Accident, accident_id).latest
    assert report.ministry_channel == "网络直报" and report.ministry_ref == "豫建质〔2026〕1号"


def test_ordinary_accident_stops_at_the_province(workflow, users):
    created = users["county"].send(
        "POST", "/api/v1/accidents", json=body(deaths=1, serious_injuries=0), status=201
    )
    assert created["level"] == "一般"
    (task,) = todo(users["city"], created["id"])
    complete(users["city"], task, "forward", ACK)
    (task,) = todo(users["province"], created["id"])
    complete(users["province"], task, "forward", ACK)
    assert todo(users["province"], created["id"]) == []
    item = users["county"].get(f"/api/v1/accidents/{created['id']}")
    assert item["state"] == "reported"


def _timed(users, minutes: int) -> dict:
    created = users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    (task,) = todo(users["city"], created["id"])
    # Received at 15:00; the worker runs every minute until the city acknowledges.
    for _ in range(minutes):
        clock.advance(timedelta(minutes=1))
        run_timers()
        db.session.commit()
    complete(users["city"], task, "forward", ACK)
    return users["county"].get(f"/api/v1/accidents/{created['id']}")


def test_acknowledged_at_1h59_is_on_time(workflow, users):
    item = _timed(users, 119)
    city = item["chain"][1]
    assert city["late"] is False
    assert any("前确认并上报" in n for n in _notes("u_city"))  # the 1.5-hour reminder
    assert not any("超过2小时" in n for n in _notes("u_city_leader"))


def test_acknowledged_at_2h01_is_late_and_escalated(workflow, users):
    item = _timed(users, 121)
    city = item["chain"][1]
    assert city["late"] is True
    assert any("超过2小时" in n for n in _notes("u_city_leader"))
    # The unit's reporting record counts accident timeliness beside report timeliness.
    from webapp.audit.reporting import reporting_record
    from webapp.core.operations import get_org

    (city_record,) = [r for r in reporting_record(2026, get_org(CITY)) if r.org_code == CITY]
    assert (city_record.accident_steps, city_record.accident_late) == (1, 1)
    # The province's own two hours start when it receives the report, not at the accident.
    province = item["chain"][2]
    assert province["received_at"].startswith("2026-05-01T09:01")
    assert province["late"] is False


def test_direct_report_skips_the_city_with_an_information_copy(workflow, users):
    created = users["county"].send("POST", "/api/v1/accidents", json=body(direct=True), status=201)
    assert todo(users["city"], created["id"]) == []
    assert any("越级上报抄送" in n for n in _notes("u_city"))
    chain = created["chain"]
    assert chain[1]["outcome"] == "skipped" and chain[1]["late"] is False
    (task,) = todo(users["province"], created["id"])
    assert chain[2]["received_at"] is not None
    complete(users["province"], task, "forward", ACK)
    assert len(todo(users["province"], created["id"])) == 1  # the Ministry record (较大)


def test_city_reports_straight_to_the_province(workflow, users):
    created = users["city_clerk"].send(
        "POST", "/api/v1/accidents", json=body(deaths=1, reporting_unit="郑州市住建局"), status=201
    )
    assert [c["org_code"] for c in created["chain"]] == [CITY, PROVINCE]
    assert len(todo(users["province"], created["id"])) == 1


def test_followup_raising_the_level_routes_to_the_ministry(workflow, users):
    created = users["county"].send(
        "POST", "/api/v1/accidents", json=body(deaths=2, serious_injuries=1), status=201
    )
    assert created["level"] == "一般"
    for who in ("city", "province"):
        (task,) = todo(users[who], created["id"])
        complete(users[who], task, "forward", ACK)
    assert todo(users["province"], created["id"]) == []
    clock.set_now(at("2026-05-03 10:00"))
    result = users["county"].send(
        "POST", f"/api/v1/accidents/{created['id']}/followups", json={"deaths": 3}, status=201
    )
    assert result["level"] == "较大" and result["version"] == 2
    for who in ("city", "province"):
        (task,) = todo(users[who], created["id"])
        complete(users[who], task, "forward", ACK)
    (ministry,) = todo(users["province"], created["id"])
    assert "住房和城乡建设部" in ministry["name"]


def test_followup_adds_an_injured_person_and_keeps_versions(workflow, users):
    created = users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    users["county"].send(
        "POST",
        f"/api/v1/accidents/{created['id']}/followups",
        json={"serious_injuries": 3},
        status=201,
    )
    from webapp.accidents.models import Accident

    accident = db.session.get(Accident, created["id"])
    assert [r.figures["serious_injuries"] for r in accident.reports] == [2, 3]
    assert accident.ledger.serious_injuries == 3
    # Each report goes up: the city now has the 首报 and the 续报 to acknowledge.
    assert len(todo(users["city"], created["id"])) == 2


def test_changes_after_30_days_do_not_relevel(workflow, users):
    created = users["county"].send(
        "POST", "/api/v1/accidents", json=body(deaths=1, serious_injuries=0), status=201
    )
    clock.set_now(at("2026-06-01 09:00"))
    county = Api(users["county"].client, "u_county")  # a fresh token a month later
    result = county.send(
        "POST", f"/api/v1/accidents/{created['id']}/followups", json={"deaths": 3}, status=201
    )
    assert result["level"] == "一般"
    item = county.get(f"/api/v1/accidents/{created['id']}")
    assert item["deaths"] == 3


def test_below_the_floor_is_a_quality_problem_until_a_followup_crosses_it(workflow, users):
    created = users["county"].send(
        "POST",
        "/api/v1/accidents",
        json=body(deaths=0, serious_injuries=0, loss_10k_yuan="99.99"),
        status=201,
    )
    assert created["level"] == "质量问题" and created["state"] == "problem"
    assert created["chain"] == [] and todo(users["city"], created["id"]) == []
    result = users["county"].send(
        "POST",
        f"/api/v1/accidents/{created['id']}/followups",
        json={"serious_injuries": 1},
        status=201,
    )
    assert result["level"] == "一般" and result["state"] == "reporting"
    assert len(todo(users["city"], created["id"])) == 1


def test_conclusion_by_the_investigating_level_closes_it(workflow, users, logged_in):
    created = users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    from webapp.accidents import operations as ops
    from webapp.accidents.models import Accident
    from webapp.core.errors import PermissionDenied
    from webapp.core.models import User

    accident = db.session.get(Accident, created["id"])
    county = db.session.query(User).filter_by(username="u_county_reviewer").one()
    city = db.session.query(User).filter_by(username="u_city").one()
    try:
        ops.record_conclusion(county, accident, "结论", [], [])
    except PermissionDenied as err:
        assert "郑州市" in err.message
    else:  # pragma: no cover
        raise AssertionError("a county may not conclude a 较大 accident")
    ops.record_conclusion(city, accident, "施工单位违反高支模方案，责任认定……", [], [])
    db.session.commit()
    assert accident.state == "closed"
    refused = users["county"].send(
        "POST", f"/api/v1/accidents/{created['id']}/followups", json={"deaths": 4}, status=409
    )
    assert "结案" in refused["message"]


def test_an_older_round_finishing_late_does_not_mark_the_newer_one_reported(workflow, users):
    created = users["county"].send(
        "POST", "/api/v1/accidents", json=body(deaths=1, serious_injuries=0), status=201
    )
    users["county"].send(
        "POST", f"/api/v1/accidents/{created['id']}/followups", json={"deaths": 2}, status=201
    )
    first, second = sorted(todo(users["city"], created["id"]), key=lambda t: t["business_key"])
    assert first["business_key"].endswith(":1") and second["business_key"].endswith(":2")
    complete(users["city"], first, "forward", ACK)
    (province_first,) = todo(users["province"], created["id"])
    complete(users["province"], province_first, "forward", ACK)
    assert users["county"].get(f"/api/v1/accidents/{created['id']}")["state"] == "reporting"
    complete(users["city"], second, "forward", ACK)
    (province_second,) = todo(users["province"], created["id"])
    complete(users["province"], province_second, "forward", ACK)
    assert users["county"].get(f"/api/v1/accidents/{created['id']}")["state"] == "reported"


def test_conclusion_links_the_records_it_produced(workflow, users):
    from datetime import date

    import pytest

    from webapp.accidents import operations as ops
    from webapp.accidents.models import Accident
    from webapp.core.errors import InvalidInput
    from webapp.core.models import User
    from webapp.core.operations import get_org
    from webapp.ledger.models import BadBehaviourRecord

    created = users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    city = db.session.query(User).filter_by(username="u_city").one()

    def record(code: str, number: str) -> int:
        row = BadBehaviourRecord(
            org=get_org(code),
            record_no=number,
            project_name="中原区安置房3号楼",
            responsible_unit="郑州建设集团有限公司",
            unit_type="施工",
            fact="高支模未按方案搭设",
            recorded_on=date(2026, 5, 1),
            created_by_id=city.id,
            created_at=clock.now(),
            updated_by_id=city.id,
            updated_at=clock.now(),
        )
        db.session.add(row)
        db.session.flush()
        return row.id

    ours, foreign = record(COUNTY, "BL-1"), record("410202", "BL-2")
    accident = db.session.get(Accident, created["id"])
    with pytest.raises(InvalidInput, match="不属于本单位"):
        ops.record_conclusion(city, accident, "结论", [foreign], [])
    assert accident.state == "reporting"
    ops.record_conclusion(city, accident, "施工单位负主要责任。", [ours], [])
    assert accident.conclusion_records == {"behaviour": [ours], "penalty": []}
    assert accident.state == "closed" and accident.concluded_org_id == get_org(CITY).id
