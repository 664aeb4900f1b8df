"""The forms as printed (regulation.zh.txt, 附表1–7) and 附表4 per domain.md §4 (issue 15).

- domain.md §4 **Decision** (附表4): "the 竣工工程明细表 lists projects completed in the period and
  also those filed (备案) in the period though completed earlier, the latter marked 备注
  '往期竣工，本期备案', so that it accounts for every project counted in 附表5's 备案 column."
- 附表7 as printed: 上年度接转工程, 本年度新注册工程, 截止到年底在建工程, 截止到年底竣工工程 (three
  columns each), 本年度备案工程 (项数, 面积: no 造价), 本年度质量备案率（%）, 用户满意率,
  本年度发生工程质量事故.
- 附表1 prints "填表单位（公章）: 填表人: 批准人: 填表日期" above the table and its 备注; 附表2
  prints its 注 ("责任单位指…检测单位…") and "填表人： 批准人： 填表日期：" below the table.
"""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.conftest import ROOT, login
from tests.stats import oracle as o
from webapp.stats import registry
from webapp.stats.compute import compute_table
from webapp.stats.excel import table_workbook
from webapp.stats.lists import FILED_EARLIER


@pytest.fixture
def ledger():
    o.load_oracle()


def _cells(table: dict) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(table_workbook(table))).active
    return [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("code", ["410103", "410100", "410000"])
def test_table4_accounts_for_every_project_filed_in_the_period(ledger, code):
    """Every project counted in 附表5's 备案 column is a row of 附表4; those completed before
    the period carry 备注 往期竣工，本期备案 (二七区's EQ-1: accepted in Q2, filed in Q3)."""
    t4 = compute_table(4, code, "2026Q3")
    t5 = compute_table(5, code, "2026Q3")
    filed_rows = [
        r
        for r in t4["rows"]
        if r["filing_result"] == "准予备案" and "2026-07-01" <= r["filed_on"] <= "2026-09-30"
    ]
    assert len(filed_rows) == t5["total"]["filed"]["count"]
    earlier = [r for r in t4["rows"] if r["accepted_on"] < "2026-07-01"]
    assert [r["registration_no"] for r in earlier] == ["EQ-1"]
    assert earlier[0]["remarks"] == FILED_EARLIER == "往期竣工，本期备案"
    # The period's completions come first, then the earlier ones filed now.
    assert t4["rows"][-1]["registration_no"] == "EQ-1"
    completed = [r for r in t4["rows"] if r["accepted_on"] >= "2026-07-01"]
    assert all(FILED_EARLIER not in (r["remarks"] or "") for r in completed)
    assert t4["columns"][-1] == {"key": "remarks", "label": "备注"}


def test_table7_excel_has_the_printed_columns_and_headings(ledger):
    """附表7 as printed: 截止到年底竣工工程; 本年度备案工程 with 项数 and 面积, no 造价."""
    table = compute_table(7, "410100", "2026")
    rows = _cells(table)
    head, sub = rows[2], rows[3]
    labels = [h for h in head if h]
    assert labels == [
        "序号",
        "市、县（市）",
        "上年度接转工程",
        "本年度新注册工程",
        "截止到年底在建工程",
        "截止到年底竣工工程",
        "本年度备案工程",
        "本年度质量备案率（%）",
        "用户满意率（%）",
        "本年度发生工程质量事故",
    ]
    filed_at = head.index("本年度备案工程")
    assert sub[filed_at : filed_at + 3] == ["项数", "面积（万㎡）", "项数"]
    assert sub.count("造价（万元）") == 4
    total = next(r for r in rows if r[1] == "合计")
    figures = table["total"]["filed"]
    shown = [float(v) for v in total[filed_at : filed_at + 3]]
    assert shown == [
        figures["count"],
        float(figures["area_10k_m2"]),
        float(table["total"]["filing_rate"]["count_pct"]),
    ]
    # 附表5 keeps its 造价 under 本季度质量备案工程, with its own printed headings.
    quarter = _cells(compute_table(5, "410100", "2026Q3"))
    assert quarter[3].count("造价（万元）") == 5
    assert "季度质量备案率（%）" in quarter[2] and "本季度发生工程质量事故" in quarter[2]


def test_table7_page_has_the_printed_columns(ledger, client, make_user):
    make_user("clerk", "410100", username="zz_t7")
    login(client, "zz_t7")
    page = client.get("/stats/table7?org=410100&period=2026").get_data(as_text=True)
    head = page[page.index("<thead>") : page.index("</thead>")]
    assert '<th colspan="2">本年度备案工程</th>' in head
    assert "截止到年底竣工工程" in head and "本年度竣工工程" not in head
    assert head.count("造价（万元）") == 4
    assert "本年度质量备案率（%）" in head and "本年度发生工程质量事故" in head
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    first = re.search(r"<tr[^>]*>(.*?)</tr>", body, re.S).group(1)
    assert first.count("<td") == 2 + 3 * 4 + 2 + 2 + 1 + 3


def test_tables_1_and_2_print_their_notes_and_filing_date(ledger, client, make_user):
    """附表1: signatures with 填表日期 above the table, and its 备注; 附表2: its 注 and
    "填表人： 批准人： 填表日期：" below; 附表3–7: 统计员 / 批准人 / 报送日期."""
    t1, t2 = registry.table(1), registry.table(2)
    assert t1.signatures == ("填表人", "批准人", "填表日期") and t1.signed_above
    assert t2.signatures == ("填表人", "批准人", "填表日期") and not t2.signed_above
    assert t2.note.startswith("注：责任单位指") and "检测单位" in t2.note
    assert t1.note.startswith("备注：责任单位指") and "检测机构" in t1.note
    assert all(registry.table(n).signatures[2] == "报送日期" for n in range(3, 8))
    # Excel
    one = _cells(compute_table(1, "410100", "2026Q3"))
    assert one[1][0] == "填表单位（公章）：郑州市" and "填表日期：" in one[1]
    assert not any("报送日期" in c for r in one for c in r)
    two = _cells(compute_table(2, "410100", "2026Q3"))
    assert [r[0] for r in two[-2:]] == [t2.note, "填表人："]
    assert "填表日期：" in two[-1] and "批准人：" in two[-1]
    five = _cells(compute_table(5, "410100", "2026Q3"))
    assert five[1][0] == "填表单位（盖章）：郑州市" and "报送日期：" in five[-1]
    # The pages
    make_user("clerk", "410100", username="zz_t2")
    login(client, "zz_t2")
    page = client.get("/stats/table2?org=410100&period=2026Q3").get_data(as_text=True)
    assert t2.note in page and "填表日期：" in page and "报送日期" not in page
    page = client.get("/stats/table1?org=410100&period=2026Q3").get_data(as_text=True)
    line = page[page.index('id="unit-line"') :]
    assert line.index("填表人：") < line.index("填表日期：") < line.index("<table")
    # The Word templates
    for kind in ("quarterly", "annual"):
        doc = Document(ROOT / "docs_templates" / f"{kind}_report.docx")
        text = [p.text for p in doc.paragraphs]
        assert t2.note in text and t1.note in text
        assert any(p.startswith("填表单位（公章）：{{ unit }}") and "填表日期" in p for p in text)
        assert any(p.startswith("填表人：{{ clerk }}") and "填表日期" in p for p in text)
        assert any(p.startswith("统计员：{{ clerk }}") and "报送日期" in p for p in text)


def test_the_report_workspace_prints_table7_as_printed(ledger, app):
    """The report page's 附表7 (reports/_tables.html) has the same printed columns."""
    from flask import render_template_string

    table = compute_table(7, "410100", "2026")
    with app.test_request_context():
        html = render_template_string(
            '{% from "reports/_tables.html" import summary_table %}'
            "{{ summary_table(t, annual=True) }}",
            t=table,
        )
    head = html[html.index("<thead") : html.index("</thead>")]
    assert '<th colspan="2">本年度备案工程</th>' in head and head.count("造价（万元）") == 4
    assert "本年度质量备案率（%）" in head and "本年度发生工程质量事故" in head
    body = html[html.index("<tbody>") :]
    first = re.search(r"<tr[^>]*>(.*?)</tr>", body, re.S).group(1)
    assert first.count("<td") == 1 + 3 * 4 + 2 + 2 + 1 + 3 + 1  # name … accidents, 状态
