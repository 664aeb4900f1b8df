"""The official templates in docs_templates/ render the documented context faithfully."""

from __future__ import annotations

import io

import pytest
from docx import Document

from tests.conftest import ROOT
from webapp.documents import render_docx
from webapp.workflow_admin.samples import sample_context

TEMPLATES = ROOT / "docs_templates"
TRIO = ("count", "area_10k_m2", "cost_10k_yuan")


def _tables(docx: bytes) -> list[list[list[str]]]:
    doc = Document(io.BytesIO(docx))
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


def _summary_cells(row: dict, filed_cols: int) -> list[str]:
    cells = [row["org_name"]]
    for key in ("carried_over", "registered", "under_construction", "completed"):
        cells += [str(row[key][k]) for k in TRIO]
    cells += [str(row["filed"][k]) for k in TRIO[:filed_cols]]
    cells += [
        row["filing_rate"]["count_pct"],
        row["filing_rate"]["area_pct"],
        row["satisfaction_pct"],
    ]
    cells += [str(row["accidents"][k]) for k in ("count", "deaths", "loss_10k_yuan")]
    return cells


@pytest.mark.parametrize("kind", ["quarterly", "annual"])
def test_every_table_cell_equals_the_context(kind):
    ctx = sample_context(kind)
    out = render_docx(TEMPLATES / f"{kind}_report.docx", ctx)
    tables = _tables(out)
    assert len(tables) == 6
    t1, t2, t3, t4 = tables[:4]
    r1 = ctx["t1"]["rows"][0]
    assert t1[2] == [
        r1[k]
        for k in (
            "record_no",
            "project_name",
            "responsible_unit",
            "person_name",
            "person_title",
            "fact",
            "clause",
            "recorder",
            "record_date",
            "approver",
            "approval_date",
        )
    ]
    assert t2[1][0] == "CF-001" and t2[1][5] == "《建设工程质量管理条例》第六十四条"
    assert t3[1][1:5] == ["410102-2026-001", "中原区安置房一期", "框架-剪力墙", "20000.00"]
    # 附表4 ends with 备注 (domain.md §4 Decision (附表4): 往期竣工，本期备案).
    assert t4[1][-5:] == ["2026-09-30", "合格", "2026-10-10", "准予备案", ""]
    if kind == "quarterly":
        t5, t6 = tables[4], tables[5]
        # 附表5: two header rows, one row per unit, then 合计.
        expected = [_summary_cells(r, 3) for r in ctx["t5"]["rows"]]
        expected.append(["合计"] + _summary_cells(ctx["t5"]["total"], 3)[1:])
        assert t5[2:] == expected
        assert t5[0][1] == "上季度接转工程" and t5[1][1] == "项数"
    else:
        t6, t7 = tables[4], tables[5]
        assert t7[2] == _summary_cells(ctx["t7"]["rows"][0], 2)
        assert t7[0][1] == "上年度接转工程"
    # 附表6: one row per category, no 合计.
    labels = [row[0] for row in t6[2:]]
    assert labels == [r["label"] for r in ctx["t6"]["rows"]]
    assert "合计" not in labels


def test_narrative_sections_and_signatures():
    ctx = sample_context("quarterly")
    doc = Document(io.BytesIO(render_docx(TEMPLATES / "quarterly_report.docx", ctx)))
    text = [p.text for p in doc.paragraphs]
    # The title breaks between words: 郑州市2026年第三季度 / 工程质量运行态势分析报告.
    assert text[:2] == ["郑州市2026年第三季度", "工程质量运行态势分析报告"]
    assert "".join(text[:2]) == ctx["title"]
    headings = [t for t in text if t.startswith(("一、", "十一、"))]
    assert headings == ["一、企业总体情况", "十一、进一步做好工程质量监督管理工作的对策建议"]
    assert any('R&D <部门> "x"' in t for t in text)
    # One signature field a line, so that no name breaks between lines.
    for line in ("填表单位（公章）：郑州市住房和城乡建设局", "填表人：王统计", "批准人：李审核"):
        assert line in text
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.top_margin.mm) == 37
