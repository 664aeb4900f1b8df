from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from tests.audit.helpers import listed_ids, write
from webapp.core.models import AuditRecord
from webapp.extensions import db


def _seed() -> None:
    for i in range(30):
        write(
            "user.update" if i % 3 else "auth.login",
            datetime(2025, 5, 1 + i % 20, 3, 0, tzinfo=UTC),
            org="410102" if i % 2 else "410302",
            object_type="user",
            object_id=i,
            after={"full_name": f"用户{i}"},
            message=f"第{i}号",
        )


def test_csv_export_matches_the_filter_and_opens_in_excel(logged_in):
    _seed()
    client = logged_in("auditor", "410000")
    query = "date_from=2025-05-01&date_to=2025-05-31&org=410100&action=user."
    expected = listed_ids(client, query)
    assert 0 < len(expected) < 30
    response = client.get(f"/audit/export.csv?{query}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8 Chinese correctly
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "时间（北京时间）", "操作人"]
    assert sorted(int(r[0]) for r in rows[1:-1]) == sorted(expected)
    assert all(r[5] == "修改用户" for r in rows[1:-1])
    assert rows[-1][0] == "#导出摘要 export summary" and rows[-1][6] == str(len(expected))
    # the export itself is audited with what it contained
    db.session.expire_all()
    rec = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "audit.export")
    ).scalar_one()
    assert rec.actor_name == "auditor_410000"
    assert rec.after["rows"] == len(expected) and rec.after["filters"]["org"] == "410100"


def test_xlsx_export_matches_the_filter(logged_in):
    _seed()
    client = logged_in("admin", "410000")
    query = "org=410302&subtree=0&date_from=2025-05-01"
    expected = listed_ids(client, query)
    response = client.get(f"/audit/export.xlsx?{query}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "编号"
    assert sorted(v[0] for v in values[1:-1]) == sorted(expected) and len(expected) == 15
    assert {v[3] for v in values[1:-1]} == {"410302"}
    assert values[-1][0] == "#导出摘要 export summary" and values[-1][6] == 15


def test_exports_never_turn_attacker_text_into_formulas(logged_in):
    write("auth.login_failed", actor_name='=HYPERLINK("http://evil")', message="@SUM(1)")
    client = logged_in("auditor", "410000")
    text = client.get("/audit/export.csv?action=auth.login_failed").get_data().decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[2] == '\'=HYPERLINK("http://evil")' and row[8] == "'@SUM(1)"
    book = client.get("/audit/export.xlsx?action=auth.login_failed").get_data()
    cell = load_workbook(io.BytesIO(book)).active["C2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://evil")'


def test_export_refuses_bad_filter_and_unknown_format(logged_in):
    client = logged_in("auditor", "410000")
    assert client.get("/audit/export.csv?date_from=yesterday").status_code == 422
    assert client.get("/audit/export.pdf").status_code == 422
    assert client.get("/audit/export.csv?org=999999").status_code == 422


def test_export_is_bounded(logged_in, monkeypatch):
    from webapp.audit import operations

    monkeypatch.setattr(operations, "EXPORT_MAX_ROWS", 5)
    _seed()
    client = logged_in("auditor", "410000")
    response = client.get("/audit/export.csv")
    assert response.status_code == 422 and "缩小" in response.get_data(as_text=True)
