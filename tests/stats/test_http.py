"""The JSON contract of /api/v1/stats, the CLI, pages, snapshots and checks of outside figures."""

from __future__ import annotations

import copy
import json

import pytest

from tests.conftest import csrf_token
from tests.stats import oracle as o
from webapp.extensions import db
from webapp.ledger.models import Project
from webapp.stats.compute import compare_snapshot, freeze_tables, run_checks
from webapp.stats.periods import Period, parse_period


@pytest.fixture
def ledger():
    o.load_oracle()


GROUP_KEYS = {"count", "area_10k_m2", "cost_10k_yuan"}


def test_table5_contract(client, api_token, ledger):
    headers = api_token("reviewer", "410100")
    body = client.get("/api/v1/stats/table5?org=410100&period=2026Q3", headers=headers).get_json()
    assert {"org", "period", "rows", "total", "checks"} <= set(body)
    assert body["org"] == "410100" and body["period"] == "2026Q3"
    for row in [*body["rows"], body["total"]]:
        assert {
            "org_code",
            "org_name",
            "carried_over",
            "registered",
            "under_construction",
            "completed",
            "filed",
            "filing_rate",
            "satisfaction_pct",
            "accidents",
        } <= set(row)
        for g in ("carried_over", "registered", "under_construction", "completed", "filed"):
            assert set(row[g]) == GROUP_KEYS
        assert set(row["filing_rate"]) == {"count_pct", "area_pct"}
        assert set(row["accidents"]) == {"count", "deaths", "loss_10k_yuan"}
    assert body["total"] == o.ZHENGZHOU_TOTAL_Q3
    for check in body["checks"]:
        assert set(check) == {"id", "severity", "rows", "message"}
    t7 = client.get("/api/v1/stats/table7?org=410000&period=2026", headers=headers)
    assert t7.status_code == 403  # a city cannot read the province's live figures
    t6 = client.get("/api/v1/stats/table6?org=410100&period=2026Q3", headers=headers).get_json()
    assert [r["key"] for r in t6["rows"]] == [
        "residential",
        "affordable_housing",
        "public",
        "large_public",
        "steel_structure",
        "county",
    ]
    assert set(t6["rows"][0]) >= {
        "registered",
        "completed",
        "filed",
        "under_construction",
        "filing_rate_count_pct",
    }


def test_table7_and_bad_period(client, api_token, ledger):
    headers = api_token("clerk", "410000")
    t7 = client.get("/api/v1/stats/table7?org=410000&period=2026", headers=headers).get_json()
    assert t7["total"] == o.PROVINCE_TOTAL_2026
    bad = client.get("/api/v1/stats/table5?org=410000&period=2026Q5", headers=headers)
    assert bad.status_code == 422 and "2026Q3" in bad.get_json()["message"]
    lists = client.get("/api/v1/stats/table3?org=410100&period=2026Q3", headers=headers).get_json()
    assert sorted(r["registration_no"] for r in lists["rows"]) == ["ZY-3", "ZY-4", "ZZ-1", "ZZ-2"]
    t4 = client.get("/api/v1/stats/table4?org=410100&period=2026Q3", headers=headers).get_json()
    # domain.md §4 Decision (附表4): the period's completions, then EQ-1, completed in Q2 and
    # filed in Q3 (往期竣工，本期备案).
    assert [r["registration_no"] for r in t4["rows"]] == ["EQ-2", "ZY-2", "ZZ-2", "ZY-1", "EQ-1"]


def test_cli_prints_the_same_figures(app, client, api_token, ledger):
    headers = api_token("clerk", "410000")
    api = client.get("/api/v1/stats/table5?org=410000&period=2026Q3", headers=headers).get_json()
    result = app.test_cli_runner().invoke(
        args=["stats", "table5", "--org", "410000", "--period", "2026Q3", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == api


def test_period_parsing():
    assert parse_period("2026Q3") == Period(2026, 3)
    p = parse_period("2026")
    assert p.is_year and p.start.isoformat() == "2026-01-01" and p.end.isoformat() == "2026-12-31"
    q1 = parse_period("2026Q1")
    assert q1.end.isoformat() == "2026-03-31" and q1.previous() == Period(2025, 4)
    assert parse_period("2026Q2").end.isoformat() == "2026-06-30"


def test_snapshot_is_frozen_and_compared(ledger):
    snapshot = freeze_tables("410100", "2026Q3", "quarterly")
    assert set(snapshot["tables"]) == {f"table{n}" for n in range(1, 7)}
    assert json.loads(json.dumps(snapshot)) == snapshot  # JSON-able as is
    assert any(c["table"] == "table5" and c["severity"] == "warning" for c in snapshot["checks"])
    assert compare_snapshot(snapshot) == []
    p = db.session.query(Project).filter_by(registration_no="ZY-3").one()
    p.accepted_on, p.acceptance_result = parse_period("2026Q3").end, "合格"
    db.session.commit()
    diffs = compare_snapshot(snapshot)
    t5 = {(d["row"], d["field"]): d for d in diffs if d["table"] == "table5"}
    assert t5[("410102", "completed.count")]["snapshot"] == 2
    assert t5[("410102", "completed.count")]["live"] == 3
    assert any(d["table"] == "table3" and d["row"] == "ZY-3" for d in diffs)
    # domain.md §5: the annual report's "tables are 附表1–4 of the year, the annual 附表6 and
    # 附表7" (第十一条 "除季度分析报告的内容外"): the same set the report itself freezes.
    annual = freeze_tables("410100", "2026", "annual")
    assert set(annual["tables"]) == {"table1", "table2", "table3", "table4", "table6", "table7"}


def test_checks_of_submitted_figures():
    table = copy.deepcopy(
        {
            "table": 5,
            "org": "410100",
            "period": "2026Q3",
            "rows": [o.ZHENGZHOU_OWN_Q3, o.ZHONGYUAN_Q3, o.ERQI_Q3],
            "total": o.ZHENGZHOU_TOTAL_Q3,
        }
    )
    assert not [c for c in run_checks(table) if c["severity"] == "error"]
    table["rows"][1]["under_construction"]["count"] = 3  # breaks 在建 = 接转 + 新注册 − 竣工
    table["rows"][2]["filing_rate"]["count_pct"] = "150.00"
    table["total"]["registered"]["cost_10k_yuan"] = "1.00"
    ids = {(c["id"], tuple(c["rows"])) for c in run_checks(table) if c["severity"] == "error"}
    assert ("identity.under_construction.count", ("410102",)) in ids
    assert ("rate.filing.count", ("410103",)) in ids
    assert ("identity.total.registered.cost_10k_yuan", ("total",)) in ids
    previous = copy.deepcopy(table)
    previous["rows"][0]["under_construction"]["count"] = 7
    carry = [
        c for c in run_checks(table, previous=previous) if c["id"].startswith("identity.carried")
    ]
    assert carry and carry[0]["rows"] == ["410100"]


def test_api_checks_and_compare(client, api_token, ledger):
    headers = api_token("clerk", "410100")
    table = client.get("/api/v1/stats/table5?org=410100&period=2026Q3", headers=headers).get_json()
    table["total"]["filed"]["count"] = -1
    checked = client.post("/api/v1/stats/checks", json={"table": table}, headers=headers).get_json()
    assert any(c["id"] == "nonnegative" for c in checked["checks"])
    snapshot = freeze_tables("410100", "2026Q3")
    db.session.rollback()
    same = client.post("/api/v1/stats/compare", json={"snapshot": snapshot}, headers=headers)
    assert same.status_code == 200 and same.get_json() == {"differences": []}


def test_pages(logged_in, ledger):
    client = logged_in("clerk", "410100")
    html = client.get("/stats/table5?org=410100&period=2026Q3").get_data(as_text=True)
    for text in (
        "河南省建设工程质量监督季度统计表",
        "上季度接转工程",
        "填表单位",
        "统计员",
        "批准人",
        "报送日期",
        "郑州市（本级）",
        "备案率超过100%" if False else "超过100%",
    ):
        assert text in html
    assert client.get("/stats/table6?org=410100&period=2026Q3").status_code == 200
    assert "截止到年底在建工程" in client.get("/stats/table7?org=410100&period=2026").get_data(
        as_text=True
    )
    assert client.get("/stats/table1?org=410100&period=2026Q3").status_code == 200
    drill = client.get("/stats/drill?org=410100&period=2026Q3&group=completed&unit=410102")
    text = drill.get_data(as_text=True)
    assert "ZY-1" in text and "ZY-2" in text and "EQ-2" not in text
    xlsx = client.get("/stats/table5.xlsx?org=410100&period=2026Q3")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get("/stats/table5?org=410000&period=2026Q3").status_code == 403
    snapshot = freeze_tables("410100", "2026Q3")
    db.session.rollback()
    token = csrf_token(client, "/stats/compare")
    page = client.post(
        "/stats/compare", data={"csrf_token": token, "snapshot": json.dumps(snapshot)}
    )
    assert "快照与实时数据一致" in page.get_data(as_text=True)


def test_malformed_figures_get_422_not_500(client, api_token):
    headers = api_token("clerk", "410100")
    for table in (
        {"table": 5, "rows": [1, 2]},
        {"table": "x"},
        {"table": 6, "rows": "abc"},
        {"table": 5, "rows": [{"registered": {"count": "NaN"}}], "total": 3},
    ):
        response = client.post("/api/v1/stats/checks", json={"table": table}, headers=headers)
        assert response.status_code in (200, 422), response.get_json()
    bad = client.post(
        "/api/v1/stats/compare", json={"snapshot": {"org": "410100"}}, headers=headers
    )
    assert bad.status_code == 422
    deep = client.get("/api/v1/ledger/projects?page=99999999999999999999", headers=headers)
    assert deep.status_code == 422  # past the deepest page: refused with the range, not clamped
    assert deep.get_json()["errors"] == {"query": {"page": ["应大于或等于 1且小于或等于 100000。"]}}
