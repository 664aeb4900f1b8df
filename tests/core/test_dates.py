"""Dates as the offices write them (found from outside: the ledger took 全角 digits in numbers
but refused ２０２６－１０－０１, 2026/10/01 and 2026年10月1日, and said "监督注册日期日期格式应为
YYYY-MM-DD").  One reader, webapp.core.dates, for every text date of the ledgers (API, pages'
text, Excel cells held as text) and the accident reports' times."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from webapp.core.dates import (
    DATE_HINT,
    NO_SUCH_DAY,
    DateTextError,
    parse_date_text,
    parse_datetime_text,
)


@pytest.mark.parametrize(
    "text",
    [
        "2026-10-01",
        "2026-10-1",
        "2026/10/01",
        "2026.10.01",
        "2026年10月1日",
        "2026年10月01日",
        "2026 年 10 月 1 日",
        "2026年10月1",
        "２０２６－１０－０１",
        "２０２６／１０／０１",
        "２０２６年１０月１日",
        "  2026-10-01\t",
    ],
)
def test_the_written_forms_of_a_date_are_read(text):
    assert parse_date_text(text) == date(2026, 10, 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10/01/2026", DATE_HINT),
        ("20261001", DATE_HINT),
        ("2026-10/01", DATE_HINT),  # the separators must agree
        ("2026-10-01 10:00", DATE_HINT),
        ("二〇二六年十月一日", DATE_HINT),
        ("", DATE_HINT),
        ("2026-02-30", NO_SUCH_DAY),
        ("2026年13月1日", NO_SUCH_DAY),
    ],
)
def test_anything_else_is_refused_with_the_forms_that_are_read(text, reason):
    with pytest.raises(DateTextError) as refused:
        parse_date_text(text)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01 14:30", datetime(2026, 5, 1, 14, 30)),
        ("2026-05-01T14:30:15", datetime(2026, 5, 1, 14, 30, 15)),
        ("2026/05/01 14:30", datetime(2026, 5, 1, 14, 30)),
        ("2026年5月1日 14：30", datetime(2026, 5, 1, 14, 30)),
        ("２０２６－０５－０１　１４：３０", datetime(2026, 5, 1, 14, 30)),
        ("2026-05-01T14:30+08:00", datetime.fromisoformat("2026-05-01T14:30+08:00")),
    ],
)
def test_a_time_is_a_written_date_and_a_clock_time(text, expected):
    assert parse_datetime_text(text) == expected


@pytest.mark.parametrize("text", ["2026-05-01", "2026-05-01 25:00", "2026-05-01 14点30分"])
def test_a_time_without_a_valid_clock_time_is_refused(text):
    with pytest.raises(DateTextError):
        parse_datetime_text(text)


def test_the_ledger_api_takes_the_written_forms_and_names_the_field_once(client, api_token):
    headers = api_token("clerk", "410102")
    body = {
        "name": "工程",
        "structure_type": "框架",
        "area_m2": "１００",
        "cost_10k_yuan": 1,
        "is_public": True,
    }
    for i, written in enumerate(("２０２６－１０－０１", "2026/10/01", "2026年10月1日")):
        created = client.post(
            "/api/v1/ledger/projects",
            json={**body, "registration_no": f"D-{i}", "registered_on": written},
            headers=headers,
        )
        assert created.status_code == 201, created.get_json()
        assert created.get_json()["item"]["registered_on"] == "2026-10-01"
    refused = client.post(
        "/api/v1/ledger/projects",
        json={**body, "registration_no": "D-9", "registered_on": "10/01/2026"},
        headers=headers,
    ).get_json()
    assert refused["message"] == "监督注册日期" + DATE_HINT
