"""The one period-key parser (webapp.core.periods): quarters, years and half years, one wording
of a wrong key, and the stats, publication and API front doors that use it."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from webapp.core.errors import InvalidInput
from webapp.core.periods import PeriodKey, parse_key
from webapp.publication.periods import HalfYear, parse_half_year
from webapp.publication.schemas import PublicationOpenSchema
from webapp.reports.schemas import OpenPeriodSchema
from webapp.stats.periods import Period, parse_period, subject_period_label


@pytest.mark.parametrize(
    ("text", "key", "code", "label"),
    [
        ("2026Q1", PeriodKey(2026, "quarter", 1), "2026Q1", "2026年第一季度"),
        (" 2026q4 ", PeriodKey(2026, "quarter", 4), "2026Q4", "2026年第四季度"),
        ("2026", PeriodKey(2026, "year"), "2026", "2026年度"),
        ("2026Y", PeriodKey(2026, "year"), "2026", "2026年度"),
        ("2026H1", PeriodKey(2026, "half", 1), "2026H1", "2026年上半年"),
        ("2026h2", PeriodKey(2026, "half", 2), "2026H2", "2026年下半年"),
    ],
)
def test_every_kind_of_key(text, key, code, label):
    parsed = parse_key(text)
    assert parsed == key and parsed.code == code and parsed.label == label


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "2026H3", "2026Y1", "26Q1", "1989", "", "Q1"])
def test_wrong_keys_are_refused(text):
    with pytest.raises(InvalidInput, match=f"^期间“{text}”格式不正确，应为 2026Q3"):
        parse_key(text)


def test_one_wording_names_the_kinds_allowed():
    with pytest.raises(InvalidInput) as quarter:
        parse_period("2026H1")
    assert quarter.value.message == "统计期“2026H1”格式不正确，应为 2026Q3（季度）或 2026（年度）。"
    with pytest.raises(InvalidInput) as half:
        parse_half_year("2026Q1")
    assert half.value.message == (
        "公开期“2026Q1”格式不正确，应为 2026H1（上半年）或 2026H2（下半年）。"
    )


def test_the_typed_periods_are_built_from_the_key():
    assert parse_period("2026Y") == Period(2026) and parse_period("2026Q2") == Period(2026, 2)
    assert parse_half_year("2026H2") == HalfYear(2026, 2)
    assert Period(2026, 3).label == "2026年第三季度" and HalfYear(2026, 1).label == "2026年上半年"
    assert subject_period_label({"period": "2026H2"}) == "2026年下半年"
    assert subject_period_label({"period": "2026"}) == "2026年度"
    assert subject_period_label({"period": "?"}) == "?"


def test_api_fields_normalise_and_use_the_same_words():
    assert OpenPeriodSchema().load({"period": "2026y"}) == {"period": "2026"}
    assert PublicationOpenSchema().load({"period": "2026h1"}) == {"period": "2026H1"}
    with pytest.raises(ValidationError) as bad:
        OpenPeriodSchema().load({"period": "2026H1"})
    assert bad.value.messages == {
        "period": ["报告期“2026H1”格式不正确，应为 2026Q3（季度）或 2026（年度）。"]
    }
