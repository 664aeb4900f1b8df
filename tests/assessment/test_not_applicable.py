"""Items that do not apply to a directly administered county, and the scaling to 100.

domain.md §7, Decision (not applicable): "items about the unit's own subordinate counties —
附件2 1.14 (“各省辖市对所辖县（市）…”) and 附件3 1.8
(“对县（市、区）住房城乡建设主管部门…进行了考核”), and the county clause of
附件3 1.11 — do not apply to a directly administered county, which has no county-level
subordinates; it is scored on the applicable items and its total is scaled to 100 (two
decimals), the scaling shown on its sheet and in the ranking."
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.assessment.conftest import sheet_data
from webapp.assessment.scoring import Judgment, score_sheet, total_up
from webapp.assessment.sheet import parse_sheet
from webapp.core.errors import InvalidInput


def test_fujian2_1_14_does_not_apply_to_a_direct_county_and_the_total_is_scaled():
    """附件2 1.14 层级检查 "各省辖市对所辖县（市）主管部门进行了监督抽查和工作考评，记2分": a direct
    county is scored on 98 points and its total scaled to 100, half up to two decimals."""
    sheet = parse_sheet(sheet_data("fujian2"))
    assert sheet.item("1.14").not_applicable == frozenset({"direct_county"})
    assert sheet.applicable_points("city") == Decimal(100)
    assert sheet.applicable_points("direct_county") == Decimal(98)

    # a city that did not do 1.14 loses its 2 points; a direct county is not judged on it
    lost_114 = {"1.14": Judgment(met=frozenset())}
    city = score_sheet(sheet, lost_114, "city")
    assert city.total == Decimal(98) and not city.scaled and city.scaling == ""
    county = score_sheet(sheet, lost_114, "direct_county")
    assert "1.14" not in county.items and county.not_applicable == ("1.14",)
    assert county.total == Decimal(100) and county.raw_total == Decimal(98)

    # 1.3 宣传工作 part a (1.5) not met: 96.5 of 98 → 98.469… → 98.47 (half up)
    half = {"1.3": Judgment(met=frozenset({"b"}))}
    county = score_sheet(sheet, half, "direct_county")
    assert county.raw_total == Decimal("96.5") and county.total == Decimal("98.47")
    assert "96.50 × 100 ÷ 98.00 = 98.47" in county.scaling
    assert county.to_dict()["applicable"] == "98.00"
    assert county.to_dict()["not_applicable"] == ["1.14"]


def test_fujian3_1_8_not_applicable_and_1_11_county_clause_worded_away():
    """附件3 1.8 层级监督考核 (3 points) does not apply to a direct county; of 1.11 学习培训 only
    the county clause falls away: duty c reads "积极组织本级监管人员…" and 1.11 keeps its 3
    points."""
    sheet = parse_sheet(sheet_data("fujian3"))
    assert sheet.applicable_points("direct_county") == Decimal(97)
    duty_c = next(d for d in sheet.item("1.11").rule.duties if d.id == "c")
    assert "县（市、区）" in duty_c.text_for("city")
    assert "县（市、区）" not in duty_c.text_for("direct_county")
    assert duty_c.text_for("direct_county").startswith("积极组织本级监管人员")
    assert sheet.item("1.11").applies_to("direct_county")

    # 1.11 c unmet (−1) and 2.2 one duty unmet (−1): 95 of 97 → 97.94
    judged = {"1.11": Judgment(unmet=frozenset({"c"})), "2.2": Judgment(unmet=frozenset({"a"}))}
    county = score_sheet(sheet, judged, "direct_county")
    assert county.raw_total == Decimal(95) and county.total == Decimal("97.94")
    assert county.sections["住房城乡建设主管部门"] == Decimal(56)  # 60 − 3 (1.8) − 1
    # the same judgments for a city: 98, nothing scaled
    assert score_sheet(sheet, judged, "city").total == Decimal(98)


def test_total_up_ignores_scores_given_to_an_item_that_does_not_apply():
    """An item that does not apply is left out even if a score was stored for it."""
    sheet = parse_sheet(sheet_data("fujian3"))
    items = {i.id: i.points for i in sheet.items}
    assert total_up(sheet, items, "direct_county").total == Decimal(100)
    items["1.8"] = Decimal(0)
    assert total_up(sheet, items, "direct_county").total == Decimal(100)
    assert total_up(sheet, items, "city").total == Decimal(97)


def test_sheet_refuses_an_unknown_not_applicable_tier():
    """Only a directly administered county may be declared exempt (the sheet is data)."""
    data = sheet_data("fujian2")
    data["sections"][0]["items"][0]["not_applicable"] = ["county"]
    with pytest.raises(InvalidInput, match="not_applicable"):
        parse_sheet(data)
