"""Invisible bidirectional controls (U+202E...) in user text are refused with a clear Chinese
message: every form field, JSON value and file name at the edge, every Excel cell of an
import, every text of an imported score sheet."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.ledger.helpers import project_row, workbook
from webapp.core.errors import InvalidInput
from webapp.core.text import BIDI_CONTROLS, bidi_json_paths, bidi_problem
from webapp.extensions import db
from webapp.ledger.models import Project

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
RLO = "\u202e"


def test_the_rule_names_each_control():
    for char in CONTROLS:
        assert bidi_problem(f"工程{char}名称") == (
            f"含有不可见的文字方向控制字符（U+{ord(char):04X}），"
            "会使文字在文书和 PDF 中颠倒显示，请删除后重新输入"
        )
    assert BIDI_CONTROLS.pattern.count("-") == 2  # two ranges and four single characters
    for fine in ("工程名称 ABC-12", "مرحبا", "emoji 🏗️", "tab\tand\nnewline", ""):
        assert bidi_problem(fine) is None
    assert bidi_problem(f"a{RLO}b{CONTROLS[0]}").startswith(
        "含有不可见的文字方向控制字符（U+202A、U+202E）"
    )
    paths = [p for p, _ in bidi_json_paths({"a": ["ok", f"x{RLO}"], f"k{RLO}": 1, "b": {"c": 2}})]
    assert sorted(paths) == ["a.1", f"k{RLO}"]


def test_a_form_field_with_a_bidi_control_is_refused(logged_in):
    client = logged_in("clerk", "410102")
    form = {
        "csrf_token": csrf_token(client, "/ledger/projects/new"),
        "org_code": "410102",
        "registration_no": "BIDI-1",
        "name": f"幸福{RLO}小区",
        "structure_type": "框架",
        "area_m2": "100",
        "cost_10k_yuan": "10",
        "registered_on": "2026-07-01",
        "user_rating": "未评价",
        "acceptance_result": "",
        "filing_result": "",
    }
    response = client.post("/ledger/projects/new", data=form)
    assert response.status_code == 422
    assert "表单字段“name”含有不可见的文字方向控制字符（U+202E）" in response.get_data(as_text=True)
    assert db.session.execute(select(Project)).first() is None
    form["name"] = "幸福小区"
    assert client.post("/ledger/projects/new", data=form).status_code == 302


def test_json_values_keys_and_file_names_are_refused(client, api_token):
    headers = api_token("clerk", "410102")
    body = {
        "registration_no": "BIDI-2",
        "name": "工程",
        "structure_type": "框架",
        "area_m2": "100",
        "cost_10k_yuan": "10",
        "registered_on": "2026-07-01",
        "remarks": "见附件\u2066exe.txt\u2069",
    }
    api = client.post("/api/v1/ledger/projects", json=body, headers=headers)
    assert api.status_code == 422
    assert api.get_json()["errors"] == {
        "json": {
            "remarks": [
                "含有不可见的文字方向控制字符（U+2066、U+2069），"
                "会使文字在文书和 PDF 中颠倒显示，请删除后重新输入。"
            ]
        }
    }
    nested = client.put(
        "/api/v1/reports/1/narrative",
        json={"sections": {"overview": [f"正文{RLO}"]}},
        headers=headers,
    )
    assert nested.status_code == 422
    assert nested.get_json()["message"].startswith("字段“sections.overview.0”含有")
    upload = client.post(
        "/api/v1/ledger/projects/import?org=410102",
        data={"file": (io.BytesIO(workbook([project_row()])), f"台账{RLO}xslx.exe")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 422
    assert upload.get_json()["message"].startswith("上传文件“file”的文件名含有")
    assert db.session.execute(select(Project)).first() is None


def test_an_excel_cell_with_a_bidi_control_is_listed_and_nothing_imported(make_user, org):
    from webapp.ledger import excel, operations
    from webapp.ledger.fields import KINDS

    rows = [project_row("OK-1"), project_row("BAD-1", 施工单位=f"河南{RLO}一建")]
    with pytest.raises(InvalidInput) as info:
        operations.import_records(
            make_user("clerk", "410102"),
            KINDS["projects"],
            org("410102"),
            excel.read_sheet(workbook(rows), KINDS["projects"]),
        )
    assert info.value.details == [
        {
            "row": 3,
            "column": "施工单位",
            "reason": "施工单位含有不可见的文字方向控制字符（U+202E），"
            "会使文字在文书和 PDF 中颠倒显示，请删除后重新输入",
        }
    ]
    db.session.rollback()
    assert db.session.execute(select(Project)).first() is None


def test_an_imported_score_sheet_with_a_bidi_control_is_refused():
    from tests.assessment.conftest import sheet_data
    from webapp.assessment.sheet import parse_sheet

    data = sheet_data("fujian2")
    data["sections"][0]["items"][0]["name"] = f"制度{RLO}建设"
    with pytest.raises(InvalidInput) as info:
        parse_sheet(data)
    assert "文字方向控制字符（U+202E）" in info.value.message
