"""Implausible input, refused as classes (an outside attacker's pass found one of each):

1. a count given as ``"1e3"`` became 1000 deaths (特别重大): every integer count (accident
   reports, ledger rows on the API, pages and Excel import, the API's Count fields) refuses text
   with an exponent, a decimal point or a fraction, naming the field: "死亡人数须为整数";
2. any date was accepted (an accident reported on 1900-01-01, a ledger row of 2999): every date a
   user types has bounds, named in the refusal;
3. a 100,000-character unit name inside an accident's ``units`` list was kept: every string the
   API reads, top level or nested, has a length bound (a sweep over the API document), and the
   request edge refuses any longer JSON string (for free-form objects).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from marshmallow import ValidationError, class_registry

from webapp.accidents.parsing import COUNT_FIELDS, field_problems, parse_time
from webapp.core import clock
from webapp.core.errors import InvalidInput
from webapp.core.numbers import Count
from webapp.core.text import MAX_JSON_TEXT
from webapp.ledger.fields import KINDS, FieldError, parse_value

NOT_COUNTS = ("1e3", "1E3", "1e300", "2.0", "1.5", "3/2", "½", "１e３", 1.5)


def _ledger_fields(kind_of_field: str) -> list[tuple[str, Any]]:
    return [(k.name, f) for k in KINDS.values() for f in k.fields if f.kind == kind_of_field]


# 1. Counts ------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", NOT_COUNTS)
def test_every_count_refuses_an_exponent_a_decimal_point_or_a_fraction(raw):
    ledger_counts = _ledger_fields("int")
    assert {f.name for _, f in ledger_counts} >= {"deaths", "serious_injuries"}
    for _, f in ledger_counts:  # the API, the pages and the import all read through parse_value
        with pytest.raises(FieldError, match="须为整数"):
            parse_value(f, raw)
    for name, label in COUNT_FIELDS.items():  # the accident report: page form and API alike
        assert field_problems({name: raw}, partial=True) == {name: f"{label}须为整数。"}
    counts = _count_fields()
    assert {"sample_city", "sample_city_county", "sample_direct_county"} <= {
        n for _, n, _ in counts
    }
    for schema, name, field in counts:
        with pytest.raises(ValidationError, match="须为整数"):
            field.deserialize(raw)
        assert field.deserialize("12") == 12, (schema, name)


def test_counts_written_as_digits_still_count():
    for _, f in _ledger_fields("int"):
        assert [parse_value(f, v) for v in ("12", "１２", 12, 12.0, "1,000")] == [
            12,
            12,
            12,
            12,
            1000,
        ]
    assert field_problems({"deaths": "３"}, partial=True) == {}


def _count_fields() -> list[tuple[str, str, Count]]:
    """Every Count field of every API schema (the app's import has defined them all)."""
    found = []
    for name, classes in class_registry._registry.items():
        if "." in name:
            for cls in classes:
                found += [
                    (name, n, f) for n, f in cls._declared_fields.items() if isinstance(f, Count)
                ]
    return found


def test_an_accident_of_1e3_deaths_is_refused_on_the_api(client, api_token):
    headers = api_token("clerk", "410102", "api_clerk")
    accident = {
        "occurred_on": "2026-08-01",
        "project_name": "甲",
        "deaths": "1e3",
        "loss_10k_yuan": "1",
    }
    answer = client.post("/api/v1/ledger/accidents", json=accident, headers=headers)
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {"死亡人数": "死亡人数须为整数"}


# 2. Dates -------------------------------------------------------------------------------------
@pytest.fixture
def today() -> Any:
    clock.set_now(datetime(2026, 9, 28, 2, tzinfo=clock.UTC))
    yield date(2026, 9, 28)
    clock.set_now(None)


def test_every_ledger_date_lies_between_2000_and_today(today):
    dated = _ledger_fields("date")
    assert len(dated) >= 10  # registration, acceptance, filing, records, accidents, complaints…
    for _, f in dated:
        for raw in ("1900-01-01", "1999-12-31", 1):  # 1: an Excel serial, 1900-01-01
            with pytest.raises(FieldError, match="不能早于 2000-01-01"):
                parse_value(f, raw)
        for raw in ("2999-01-01", "2026-09-29"):
            with pytest.raises(FieldError, match=r"不能晚于今天（2026-09-28）"):
                parse_value(f, raw)
        assert parse_value(f, "2000-01-01") == date(2000, 1, 1)
        assert parse_value(f, "2026-09-28") == today


@pytest.mark.parametrize("label", ["事故发生时间", "接报时间"])
def test_an_accident_s_times_lie_between_2000_and_now(today, label):
    with pytest.raises(InvalidInput, match=f"{label}不能早于 2000-01-01"):
        parse_time("1900-01-01 10:00", label)
    with pytest.raises(InvalidInput, match=f"{label}不能晚于当前时间"):
        parse_time("2999-01-01 10:00", label)
    assert parse_time("2000-01-01 00:00", label).year in (1999, 2000)  # stored in UTC


def test_an_assessment_due_date_lies_within_a_year(today):
    from webapp.assessment.operations import check_due_for_opening

    with pytest.raises(InvalidInput, match="截止日不能晚于 2027-09-28"):
        check_due_for_opening("fujian3", 2026, date(2999, 1, 1))
    check_due_for_opening("fujian3", 2026, date(2027, 9, 28))


# 3. Strings -----------------------------------------------------------------------------------
#: Strings of the API document without a length bound, each with its reason.
UNBOUNDED = {
    "POST /api/v1/assessment/units/{unit_id}/evidence body.file": "an uploaded file (size limit)",
    "POST /api/v1/workflows/{key}/versions body.file": "an uploaded file (size limit)",
}


def _unbounded_strings(spec: dict[str, Any]) -> list[str]:
    schemas = spec["components"]["schemas"]
    found: list[str] = []

    def walk(s: dict[str, Any], path: str, seen: frozenset[str]) -> None:
        if "$ref" in s:
            name = s["$ref"].split("/")[-1]
            if name not in seen:
                walk(schemas[name], path, seen | {name})
            return
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in s.get(key, []):
                walk(sub, path, seen)
        kind = s.get("type")
        kinds = set(kind) if isinstance(kind, list) else {kind}
        if "string" in kinds and not (
            "maxLength" in s or "enum" in s or s.get("format") in ("date", "date-time")
        ):
            found.append(path)
        for name, prop in s.get("properties", {}).items():
            if not prop.get("readOnly"):
                walk(prop, f"{path}.{name}", seen)
        if isinstance(s.get("additionalProperties"), dict):
            walk(s["additionalProperties"], f"{path}.{{value}}", seen)
        if "propertyNames" in s:
            walk(s["propertyNames"], f"{path}.{{key}}", seen)
        if "array" in kinds:
            walk(s.get("items", {}), f"{path}[]", seen)

    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if not isinstance(op, dict):
                continue
            where = f"{method.upper()} {path}"
            for parameter in op.get("parameters", []):
                walk(parameter.get("schema", {}), f"{where} ?{parameter['name']}", frozenset())
            for content in op.get("requestBody", {}).get("content", {}).values():
                walk(content.get("schema", {}), f"{where} body", frozenset())
    return found


def test_every_string_the_api_reads_has_a_length_bound(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert sorted(set(_unbounded_strings(spec)) - set(UNBOUNDED)) == []


def test_no_json_string_past_the_longest_text_reaches_a_free_form_object(client, api_token):
    headers = api_token("clerk", "410102", "api_clerk")
    row = {"occurred_on": "2026-08-01", "project_name": "甲", "loss_10k_yuan": "1"}
    row["extra"] = {"note": ["说" * (MAX_JSON_TEXT + 1)]}
    answer = client.post("/api/v1/ledger/accidents", json=row, headers=headers)
    assert answer.status_code == 422
    assert f"长度不能超过 {MAX_JSON_TEXT} 字" in answer.get_json()["message"]
    assert "extra.note.0" in answer.get_json()["message"]


def test_a_page_form_refuses_a_fractional_count(today):
    assert field_problems({"deaths": "2.5", "missing": "1e2"}, partial=True) == {
        "deaths": "死亡人数须为整数。",
        "missing": "下落不明人数须为整数。",
    }
