"""Levels at their exact boundaries, bad input refused whole, the ledger row and 附表5."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.accidents.conftest import COUNTY, body, todo
from webapp.accidents.models import Accident, AccidentReport
from webapp.accidents.operations import classify
from webapp.extensions import db
from webapp.ledger.models import QualityAccident


@pytest.mark.parametrize(
    ("deaths", "injuries", "missing", "loss", "level"),
    [
        (0, 0, 0, "99.99", "质量问题"),
        (0, 0, 0, "100", "一般"),
        (1, 0, 0, "0", "一般"),
        (0, 1, 0, "0", "一般"),
        (0, 0, 1, "0", "一般"),  # 下落不明 counts toward deaths
        (2, 9, 0, "999.99", "一般"),
        (3, 0, 0, "0", "较大"),
        (2, 0, 1, "0", "较大"),
        (0, 10, 0, "0", "较大"),
        (0, 0, 0, "1000", "较大"),
        (9, 49, 0, "4999.99", "较大"),
        (10, 0, 0, "0", "重大"),
        (0, 50, 0, "0", "重大"),
        (0, 0, 0, "5000", "重大"),
        (29, 99, 0, "9999.99", "重大"),
        (30, 0, 0, "0", "特别重大"),
        (0, 100, 0, "0", "特别重大"),
        (0, 0, 0, "10000", "特别重大"),
    ],
)
def test_level_boundaries(deaths, injuries, missing, loss, level):
    assert classify(deaths, injuries, missing, Decimal(loss)) == level


def _counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(Accident.id))),
        db.session.scalar(select(func.count(AccidentReport.id))),
        db.session.scalar(select(func.count(QualityAccident.id))),
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"occurred_at": "2026-05-01T15:30:00+08:00"}, "事故发生时间不能晚于当前时间"),
        ({"occurred_at": "2026-05-01"}, "须包含时刻"),
        ({"deaths": -1}, "死亡人数不能为负数"),
        ({"loss_10k_yuan": "很多"}, "直接经济损失"),
        ({"loss_10k_yuan": "1e300"}, "直接经济损失（万元）数值过大"),
        ({"deaths": "1e300"}, "死亡人数须为整数"),
        ({"deaths": "1e3"}, "死亡人数须为整数"),
        ({"units": []}, "参建单位"),
        ({"phone": ""}, "联系电话"),
    ],
)
def test_bad_first_reports_are_refused_whole(workflow, users, changes, message):
    before = _counts()
    refused = users["county"].send("POST", "/api/v1/accidents", json=body(**changes), status=422)
    assert message in refused["message"]
    assert _counts() == before


def test_an_accident_first_reported_in_1900_is_refused_on_the_api(workflow, users):
    refused = users["county"].send(
        "POST", "/api/v1/accidents", json=body(occurred_at="1900-01-01T10:00:00+08:00"), status=422
    )
    assert "事故发生时间不能早于 2000-01-01" in refused["message"]


def test_a_long_unit_name_in_an_accident_s_list_is_refused(workflow, users):
    for units in (["甲" * 100_000], ["甲" * 201]):
        refused = users["county"].send(
            "POST", "/api/v1/accidents", json=body(units=units), status=422
        )
        assert "units" in str(refused) or "参建单位" in refused["message"]
    kept = users["county"].send(
        "POST", "/api/v1/accidents", json=body(units=["甲" * 200]), status=201
    )
    assert kept["id"]


def test_project_of_another_unit_is_refused(workflow, users):
    from webapp.core.models import User
    from webapp.core.operations import get_org
    from webapp.ledger.models import Project

    admin = db.session.query(User).filter_by(username="u_city").one()
    project = Project(
        org=get_org("410103"),
        registration_no="ZZ-2026-0001",
        name="二七区某住宅楼",
        structure_type="框架",
        area_m2=Decimal("1000"),
        cost_10k_yuan=Decimal("100"),
        registered_on=date(2026, 1, 5),
        created_by_id=admin.id,
        created_at=admin.created_at,
    )
    db.session.add(project)
    db.session.commit()
    before = _counts()
    refused = users["county"].send(
        "POST", "/api/v1/accidents", json=body(registration_no="ZZ-2026-0001"), status=422
    )
    assert "不在本单位及下级单位的工程台账中" in refused["message"]
    # Neither the project nor its supervising unit is named, and an unknown number reads the same.
    assert "二七区" not in refused["message"]
    unknown = users["county"].send(
        "POST", "/api/v1/accidents", json=body(registration_no="ZZ-2026-9999"), status=422
    )
    assert unknown["message"] == refused["message"].replace("0001", "9999")
    assert _counts() == before


def test_followups_lowering_deaths_or_level_need_a_reason(workflow, users):
    created = users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    url = f"/api/v1/accidents/{created['id']}/followups"
    before = _counts()
    refused = users["county"].send("POST", url, json={"deaths": 2}, status=422)
    assert "死亡人数少于前次报告" in refused["message"]
    assert _counts() == before
    accepted = users["county"].send(
        "POST", url, json={"deaths": 2, "reason": "一人经核实为重伤，非死亡"}, status=201
    )
    assert accepted["level"] == "一般"
    assert len(todo(users["city"], created["id"])) == 2


def test_level_lowered_without_explanation_is_refused(workflow, users):
    created = users["county"].send(
        "POST", "/api/v1/accidents", json=body(deaths=0, serious_injuries=0, missing=3), status=201
    )
    assert created["level"] == "较大"
    refused = users["county"].send(
        "POST", f"/api/v1/accidents/{created['id']}/followups", json={"missing": 0}, status=422
    )
    assert "须在续报说明中写明原因" in refused["message"]
    assert db.session.get(Accident, created["id"]).missing == 3


def test_only_the_units_clerk_reports(workflow, users):
    users["city"].send("POST", "/api/v1/accidents", json=body(), status=403)
    created = users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    users["city_clerk"].send(
        "POST", f"/api/v1/accidents/{created['id']}/followups", json={"deaths": 4}, status=403
    )
    users["other_city"].get(f"/api/v1/accidents/{created['id']}", status=404)
    users["other_city"].get(f"/api/v1/accidents?under={COUNTY}", status=403)


def test_table5_reads_the_accident_records(workflow, users):
    from webapp.core.operations import get_org
    from webapp.stats.periods import parse_period
    from webapp.stats.tables import summary_table

    users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    second = users["county"].send(
        "POST",
        "/api/v1/accidents",
        json=body(project_name="中原区学校", deaths=1, loss_10k_yuan="120.50"),
        status=201,
    )
    users["county"].send(
        "POST",
        "/api/v1/accidents",
        json=body(project_name="小问题", deaths=0, serious_injuries=0, loss_10k_yuan="5"),
        status=201,
    )
    users["county"].send(
        "POST", f"/api/v1/accidents/{second['id']}/followups", json={"deaths": 2}, status=201
    )
    table = summary_table(get_org("410100"), parse_period("2026Q2"))
    row = next(r for r in table["rows"] if r["org_code"] == COUNTY)
    records = [a for a in db.session.scalars(select(Accident)) if a.level != "质量问题"]
    assert row["accidents"] == {
        "count": len(records),
        "deaths": sum(a.deaths for a in records),
        "loss_10k_yuan": str(sum(a.loss_10k_yuan for a in records)),
    }
    assert row["accidents"] == {"count": 2, "deaths": 5, "loss_10k_yuan": "570.50"}
    assert table["total"]["accidents"]["count"] == 2


def test_ledger_rows_from_before_have_no_time_and_managed_rows_are_locked(workflow, users):
    from webapp.core.errors import Conflict
    from webapp.core.models import User
    from webapp.ledger.operations import delete_record, get_kind

    created = users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    accident = db.session.get(Accident, created["id"])
    assert accident.ledger.time_label == "14:10"
    assert QualityAccident(occurred_on=date(2026, 1, 1)).time_label == "时间不详"
    clerk = db.session.query(User).filter_by(username="u_county").one()
    with pytest.raises(Conflict, match="续报"):
        delete_record(clerk, get_kind("accidents"), accident.ledger)


def test_ledger_import_cannot_overwrite_a_managed_accident(workflow, users):
    from webapp.core.errors import InvalidInput
    from webapp.core.models import User
    from webapp.core.operations import get_org
    from webapp.ledger.fields import KINDS
    from webapp.ledger.operations import import_records

    users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    clerk = db.session.query(User).filter_by(username="u_county").one()
    row = {
        "事故日期": "2026-05-01",
        "工程名称": "中原区安置房3号楼",
        "死亡人数": 0,
        "直接经济损失（万元）": 1,
    }
    with pytest.raises(InvalidInput) as refused:
        import_records(clerk, KINDS["accidents"], get_org(COUNTY), [(2, row)])
    assert "续报" in str(refused.value.details)
    assert db.session.scalar(select(QualityAccident.deaths)) == 3


def test_an_accident_with_a_misspelt_field_is_refused_and_nothing_recorded(workflow, users):
    """A field the API does not know is refused, never dropped: ``"death": 3`` instead of
    ``deaths`` was answered 201 and recorded a 质量问题 without casualties that went up no
    chain (tests/security/test_unknown_fields.py holds every schema to the rule)."""
    county = users["county"]
    sent = body(serious_injury=12, death=3)
    del sent["deaths"], sent["serious_injuries"]
    refused = county.send("POST", "/api/v1/accidents", json=sent, status=422)
    assert set(refused["errors"]["json"]) == {"death", "serious_injury"}
    assert "不允许的字段" in str(refused["errors"]["json"]["death"])
    assert db.session.execute(select(func.count()).select_from(Accident)).scalar_one() == 0
    created = county.send("POST", "/api/v1/accidents", json=body(), status=201)
    assert created["level"] == "较大" and created["deaths"] == 3
    followup = {"death": 4, "reason": "续报"}
    path = f"/api/v1/accidents/{created['id']}/followups"
    refused = county.send("POST", path, json=followup, status=422)
    assert set(refused["errors"]["json"]) == {"death"}
    assert county.get(f"/api/v1/accidents/{created['id']}")["versions"] == 1
