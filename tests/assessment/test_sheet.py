from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.assessment.conftest import sheet_data
from webapp.assessment.scoring import Judgment, score_item
from webapp.assessment.sheet import bundled_sheets, parse_sheet
from webapp.core.errors import InvalidInput


def test_bundled_sheets_follow_the_regulation():
    assert [p.name for p in bundled_sheets()] == ["fujian2_2026.json", "fujian3_2026.json"]
    f2 = parse_sheet(sheet_data("fujian2"))
    assert [(s.name, s.points) for s in f2.sections] == [
        ("建设主管部门", 50),
        ("施工企业", 20),
        ("监理单位", 15),
        ("检测机构", 5),
        ("其它", 10),
    ]
    assert [len(s.items) for s in f2.sections] == [14, 6, 4, 1, 1]
    f3 = parse_sheet(sheet_data("fujian3"))
    assert [(s.name, s.points) for s in f3.sections] == [
        ("住房城乡建设主管部门", 60),
        ("参建各方责任主体", 30),
        ("工作亮点和特色", 10),
    ]
    assert [len(s.items) for s in f3.sections] == [13, 6, 1]
    assert f3.item("2.3").points == Decimal("4.5")
    assert f3.item("2.2").rule.start == 12 and len(f3.item("2.2").rule.duties) == 12
    assert [p.points for p in f3.item("3.1").rule.parts] == [Decimal("2.5")] * 4
    # the printed wording is kept for the page and the Word sheet
    assert f2.item("1.3").wording.startswith("在今年3.15消费者权益日期间")


def test_items_that_do_not_sum_to_their_section_are_refused():
    data = sheet_data("fujian2")
    data["sections"][1]["items"][0]["points"] = 6  # 管理制度 5 → 6
    data["sections"][1]["items"][0]["rule"]["start"] = 6
    with pytest.raises(InvalidInput) as err:
        parse_sheet(data)
    assert "“施工企业”各项分值合计 21 分，与该部分分值 20 分不符" in err.value.message


def test_sections_must_sum_to_100_and_keep_the_regulation_totals():
    data = sheet_data("fujian3")
    data["sections"][2]["points"] = 12
    data["sections"][2]["items"][0]["points"] = 12
    data["sections"][2]["items"][0]["rule"]["parts"][0]["points"] = 4.5
    with pytest.raises(InvalidInput) as err:
        parse_sheet(data)
    msg = err.value.message
    assert "各部分分值合计 102 分，不等于 100 分" in msg
    assert "住房城乡建设主管部门60分、参建各方责任主体30分、工作亮点和特色10分" in msg
    assert len(err.value.details) == 2


def test_additive_parts_must_sum_to_the_item_and_start_above_points_needs_a_decision():
    data = sheet_data("fujian2")
    data["sections"][0]["items"][2]["rule"]["parts"][0]["points"] = 1  # 宣传工作 1 + 1.5 ≠ 3
    del data["sections"][1]["items"][3]["decision"]  # 带班制度: 记5分 vs 分值4
    with pytest.raises(InvalidInput) as err:
        parse_sheet(data)
    msg = err.value.message
    assert "“宣传工作”：各得分点合计 2.5 分，与分值 3 分不符" in msg
    assert "“带班制度”：起始分 5 高于分值 4，须在 decision 中说明取舍" in msg


def test_malformed_sheets_get_chinese_messages():
    with pytest.raises(InvalidInput, match="不是有效的 JSON"):
        parse_sheet(b"{not json")
    nan = json.dumps(sheet_data("fujian2")).replace('"points": 5', '"points": NaN', 1)
    assert "NaN" in nan
    with pytest.raises(InvalidInput, match="NaN 不是有效的 JSON 数值"):
        parse_sheet(nan)
    data = sheet_data("fujian2")
    data["kind"] = "fujian9"
    data["sections"][0]["items"][0]["rule"]["kind"] = "bonus"
    with pytest.raises(InvalidInput) as err:
        parse_sheet(data)
    assert "考核类别 kind" in err.value.message and "规则类型须为" in err.value.message


def test_dai_ban_decision_min_4_max_0_5_minus_unmet():
    item = parse_sheet(sheet_data("fujian2")).item("2.4")
    assert item.name == "带班制度" and item.points == 4 and item.rule.start == 5
    duties = [d.id for d in item.rule.duties]
    got = [score_item(item, Judgment(unmet=frozenset(duties[:n]))) for n in range(6)]
    assert got == [4, 4, 3, 2, 1, 0]
    assert score_item(item, None) == 4


@pytest.mark.parametrize("points", ["1e300", 1e300, "Infinity", "NaN", "10000"])
def test_a_huge_or_odd_number_of_points_is_listed_not_a_500(points):
    data = sheet_data("fujian2")
    data["sections"][0]["items"][0]["points"] = points
    with pytest.raises(InvalidInput) as info:
        parse_sheet(data)
    assert "数值过大" in info.value.message or "应为数字" in info.value.message
