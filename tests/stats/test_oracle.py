"""附表5/6/7 against the hand-worked oracle at three tiers (province, city, county)."""

from __future__ import annotations

import pytest

from tests.stats import oracle as o
from webapp.stats.compute import compute_table, table_with_checks


@pytest.fixture
def ledger():
    o.load_oracle()


def _by_code(table):
    return {r["org_code"]: r for r in table["rows"]}


def test_table5_county_q3(ledger):
    t = compute_table(5, "410102", "2026Q3")
    assert t["org"] == "410102" and t["period"] == "2026Q3"
    assert t["rows"] == [{**o.ZHONGYUAN_Q3, "org_name": "中原区（本级）"}]
    assert t["total"] == {**o.ZHONGYUAN_Q3, "org_name": "合计"}


def test_table5_city_q3(ledger):
    t = compute_table(5, "410100", "2026Q3")
    rows = _by_code(t)
    assert [r["org_code"] for r in t["rows"]][:3] == ["410100", "410102", "410103"]
    assert len(t["rows"]) == 12  # own + 11 counties of 郑州
    assert "410181" not in rows  # 巩义 is directly administered: not under 郑州
    assert rows["410100"] == o.ZHENGZHOU_OWN_Q3
    assert rows["410102"] == o.ZHONGYUAN_Q3
    assert rows["410103"] == o.ERQI_Q3
    assert rows["410104"] == o.zero_row("410104", "管城回族区")
    assert t["total"] == o.ZHENGZHOU_TOTAL_Q3


def test_table5_province_q3(ledger):
    t = compute_table(5, "410000", "2026Q3")
    rows = _by_code(t)
    assert rows["410000"] == o.zero_row("410000", "河南省（本级）")
    assert rows["410100"] == o.ZHENGZHOU_AS_CHILD_Q3
    assert rows["410181"] == o.GONGYI_Q3
    assert rows["410200"] == o.KAIFENG_Q3
    assert rows["410300"] == o.zero_row("410300", "洛阳市")
    assert len(t["rows"]) == 1 + 18 + 10
    assert t["total"] == o.PROVINCE_TOTAL_Q3


def test_table7_three_tiers(ledger):
    county = compute_table(7, "410102", "2026")
    assert county["table"] == 7
    assert county["total"] == {**o.ZHONGYUAN_2026, "org_name": "合计"}
    city = compute_table(7, "410100", "2026")
    rows = _by_code(city)
    assert rows["410100"] == o.ZHENGZHOU_OWN_2026
    assert rows["410102"] == o.ZHONGYUAN_2026
    assert rows["410103"] == o.ERQI_2026
    assert city["total"] == o.ZHENGZHOU_TOTAL_2026
    prov = compute_table(7, "410000", "2026")
    rows = _by_code(prov)
    assert rows["410000"] == o.PROVINCE_OWN_2026
    assert rows["410100"] == {**o.ZHENGZHOU_TOTAL_2026, "org_name": "郑州市"}
    assert rows["410181"] == o.GONGYI_2026
    assert rows["410200"] == o.KAIFENG_2026
    assert prov["total"] == o.PROVINCE_TOTAL_2026


@pytest.mark.parametrize("code", ["410102", "410100", "410000"])
def test_table6_three_tiers(ledger, code):
    t = compute_table(6, code, "2026Q3")
    assert "total" not in t
    got = [{k: v for k, v in r.items() if k != "label"} for r in t["rows"]]
    assert got == o.TABLE6_Q3[code]
    assert t["rows"][3]["label"] == "大型公共建筑工程（2万平方米以上）"


def test_checks_on_the_oracle(ledger):
    city = table_with_checks(5, "410100", "2026Q3")
    ids = {(c["id"], tuple(c["rows"])) for c in city["checks"]}
    assert ("rate.filing.count.over_100", ("410103",)) in ids
    assert not [c for c in city["checks"] if c["severity"] == "error"]
    prov = table_with_checks(5, "410000", "2026Q3")
    fast = [c for c in prov["checks"] if c["id"] == "accidents.fast_report"]
    assert fast and "较大" in fast[0]["message"] and fast[0]["severity"] == "notice"
    # 新注册 2 → 5 projects is +150 % but only +3 projects: the count alone is no jump; the
    # area (+4.82 万㎡) and the cost (+17,670.37 万元) are large in share and in size.
    jumps = {c["rows"][0]: c for c in prov["checks"] if c["id"] == "jump.registered"}
    message = jumps["total"]["message"]
    assert jumps["total"]["severity"] == "warning"
    assert "面积+482.0%（+4.82万㎡）" in message and "造价+631.1%" in message
    assert "项数+" not in message
    t6 = table_with_checks(6, "410000", "2026Q3")
    assert not [c for c in t6["checks"] if c["severity"] == "error"]
