from __future__ import annotations

from decimal import Decimal

import pytest

from tests.assessment.conftest import sheet_data
from webapp.assessment.scoring import (
    parse_judgments,
    rank,
    score_sheet,
    top_and_bottom,
)
from webapp.assessment.sheet import parse_sheet
from webapp.core.errors import InvalidInput


@pytest.fixture
def f2():
    return parse_sheet(sheet_data("fujian2"))


@pytest.fixture
def f3():
    return parse_sheet(sheet_data("fujian3"))


def test_nothing_judged_is_full_marks(f2, f3):
    assert score_sheet(f2, {}).total == Decimal(100)
    assert score_sheet(f3, {}).total == Decimal(100)


def test_fujian2_hand_computed(f2):
    judgments = parse_judgments(
        f2,
        {
            "1.1": {"unmet": ["a", "c"]},  # 5 − 2 = 3
            "1.3": {"met": ["a"]},  # 1.5 of 3
            "2.1": {"unmet": ["a", "b", "c"]},  # 5 − 1.5 = 3.5
            "2.4": {"unmet": ["e"]},  # min(4, 5 − 1) = 4
            "4.1": {"unmet": ["a", "b"]},  # 5 − 5 = 0
            "5.1": {"unmet": ["a", "b", "c"]},  # 10 − 6 = 4
        },
    )
    result = score_sheet(f2, judgments)
    assert result.items["1.1"] == Decimal(3)
    assert result.items["1.3"] == Decimal("1.5")
    assert result.items["2.1"] == Decimal("3.5")
    assert result.items["2.4"] == Decimal(4)
    assert result.items["4.1"] == Decimal(0)
    assert result.sections == {
        "建设主管部门": Decimal("46.5"),
        "施工企业": Decimal("18.5"),
        "监理单位": Decimal(15),
        "检测机构": Decimal(0),
        "其它": Decimal(4),
    }
    assert result.total == Decimal("84.0")
    assert all(isinstance(v, Decimal) for v in result.items.values())
    assert result.to_dict()["total"] == "84.00"


def test_fujian3_hand_computed_with_halves(f3):
    judgments = parse_judgments(
        f3,
        {
            "1.2": {"met": []},  # 0 of 5
            "1.9": {"met": ["b"]},  # 5 of 10
            "2.3": {"unmet": ["a"]},  # 4.5 − 1.5 = 3.0
            "2.1": {"unmet": ["a", "b"]},  # 3 − 3 = 0
            "3.1": {"met": ["a", "c", "d"]},  # 7.5 of 10
        },
    )
    result = score_sheet(f3, judgments)
    assert result.items["2.3"] == Decimal("3.0")
    assert result.sections["住房城乡建设主管部门"] == Decimal(50)
    assert result.sections["参建各方责任主体"] == Decimal("25.5")
    assert result.sections["工作亮点和特色"] == Decimal("7.5")
    assert result.total == Decimal("83.0")


def test_deduction_never_goes_below_zero(f3):
    result = score_sheet(f3, parse_judgments(f3, {"2.2": {"unmet": list("abcdefghijkl")}}))
    assert result.items["2.2"] == 0


def test_bad_judgments_are_refused_with_every_problem(f2):
    with pytest.raises(InvalidInput) as err:
        parse_judgments(
            f2,
            {"9.9": {"unmet": []}, "1.1": {"unmet": ["z"]}, "1.3": {"unmet": ["a"]}},
        )
    msg = err.value.message
    assert "没有考核项目“9.9”" in msg
    assert "“总体工作”没有编号为 z 的条目" in msg
    assert "“宣传工作”是加分项" in msg


def test_ranking_ties_share_a_rank():
    ranks = rank(
        [("a", Decimal(90)), ("b", Decimal("85.5")), ("c", Decimal("85.50")), ("d", Decimal(80))]
    )
    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4}


def test_top_five_and_bottom_three_include_ties_at_the_boundary():
    scores = {k: Decimal(v) for k, v in zip("abcdefghij", [99, 98, 97, 96, 95, 95, 90, 80, 80, 70])}
    best, worst = top_and_bottom(scores, 5, 3)
    assert sorted(best) == list("abcdef")
    assert sorted(worst) == list("hij")


def test_a_large_tie_is_never_both_best_and_worst():
    scores = {k: Decimal(100) for k in "abcdefg"} | {"z": Decimal(90)}
    best, worst = top_and_bottom(scores, 5, 3)
    assert sorted(best) == list("abcdefg") and worst == ["z"]
