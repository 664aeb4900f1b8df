"""Create the assessment's docxtpl templates in docs_templates/:

- ``assessment_results.docx``: the results notice (ranking table, results, opinion);
- ``assessment_sheet.docx``: one unit's filled score sheet laid out as the printed 评分表
  (序号 | 考核对象 | 考核项目 | 评分内容及评分标准 | 分值 | 得分 | 小计, landscape A4).

Run with the project's virtualenv (``python scripts/make_assessment_template.py [results|sheet]``,
both by default); the .docx files are committed.  Tags: {{ }} for values, {%tr %} for repeated
rows, {% vm %} for the cells merged down a section, {%p %} for repeated paragraphs (docxtpl).
The context they read is built in webapp/assessment/documents.py and sheet_docx.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_templates import (  # noqa: E402
    official_print,
    official_record,
    place_footer,
    portrait,
    title_block,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "docs_templates"
OUT = TEMPLATES / "assessment_results.docx"
SHEET_OUT = TEMPLATES / "assessment_sheet.docx"


def _base_document(size: int = 12) -> Document:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    style.font.size = Pt(size)
    return doc


def _repeat_header(row) -> None:  # type: ignore[no-untyped-def]
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _rows_whole(table) -> None:  # type: ignore[no-untyped-def]
    """No row of the table splits across pages."""
    for row in table.rows:
        el = OxmlElement("w:cantSplit")
        el.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().insert(0, el)


def _cell(cell, text: str, *, bold: bool = False, center: bool = True) -> None:  # type: ignore[no-untyped-def]
    cell.text = ""
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def make_sheet() -> None:
    doc = _base_document(10)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.8))
    section.top_margin = section.bottom_margin = Cm(1.6)
    place_footer(section)
    # 16 pt on the 261 mm line of the landscape sheet: 46 characters.
    title_block(doc, size=16, chars=46, expression="sheet_name")
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub.add_run("（{{ phase_label }}）")
    doc.add_paragraph(
        "考核单位：{{ unit }}　　　考核年度：{{ year }}年　　　{{ scorer_label }}：{{ scorers }}"
    )
    widths = [Cm(1.2), Cm(2.6), Cm(3.0), Cm(14.3), Cm(1.5), Cm(1.7), Cm(1.7)]
    table = doc.add_table(rows=6, cols=7)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    headers = ["序号", "考核对象", "考核项目", "评分内容及评分标准", "分值", "得分", "小计"]
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _cell(cell, text, bold=True)
    _repeat_header(table.rows[0])
    table.rows[1].cells[0].text = "{%tr for s in sections %}"
    table.rows[2].cells[0].text = "{%tr for it in s.rows %}"
    row = table.rows[3].cells
    _cell(row[0], "{% vm %}{{ s.seq }}")
    _cell(row[1], "{% vm %}{{ s.name }}（{{ s.points }}分）")
    _cell(row[2], "{{ it.name }}", center=False)
    content = row[3]
    content.text = ""
    content.paragraphs[0].add_run("{{ it.wording }}")
    content.add_paragraph("{%p for line in it.lines %}")
    content.add_paragraph("{{ line }}")
    content.add_paragraph("{%p endfor %}")
    _cell(row[4], "{{ it.points }}")
    _cell(row[5], "{{ it.score }}", bold=True)
    _cell(row[6], "{% vm %}{{ s.subtotal }}", bold=True)
    table.rows[4].cells[0].text = "{%tr endfor %}"
    table.rows[5].cells[0].text = "{%tr endfor %}"
    total = table.add_row().cells
    merged = total[0].merge(total[3])
    _cell(merged, "合　　计", bold=True)
    _cell(total[4], "{{ max_total }}")
    merged_total = total[5].merge(total[6])
    _cell(merged_total, "{{ total }}", bold=True)
    for row_ in table.rows:
        for cell, width in zip(row_.cells, widths, strict=False):
            cell.width = width
    # The grid carries the widths too (LibreOffice lays a table out from its grid): the
    # 评分内容及评分标准 column is the wide one, not a seventh of the page.
    table.autofit = False
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(width.twips)))
    doc.add_paragraph("{%p if sites %}")
    doc.add_paragraph("现场抽查项目：")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p for site in sites %}")
    doc.add_paragraph("    {{ site }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p for line in notes %}")
    doc.add_paragraph("{{ line }}")
    doc.add_paragraph("{%p endfor %}")
    sign = doc.add_paragraph("{{ sign_label }}：____________　　　日期：{{ date }}")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _rows_whole(table)
    official_print(doc)
    TEMPLATES.mkdir(exist_ok=True)
    doc.save(SHEET_OUT)
    print(f"written {SHEET_OUT}")


def make_results() -> None:
    doc = _base_document()
    portrait(doc.sections[0])
    title_block(doc, expression="'关于' ~ year ~ '年度' ~ title ~ '结果的通报'")
    doc.add_paragraph("各省辖市、省直管县（市）住房城乡建设主管部门：")
    doc.add_paragraph(
        "    根据{{ basis }}，省厅考核组对各省辖市、省直管县（市）住房城乡建设主管部门"
        "{{ year }}年度工作进行了考核，按照《{{ sheet_name }}》实行百分制计分，排定考核名次。"
        "经厅主要领导审批，现将考核结果通报如下："
    )
    table = doc.add_table(rows=3, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["名次", "单位", "得分", "考核结果"], strict=True):
        cell.text = text
    table.rows[1].cells[0].text = "{%tr for r in rows %}"
    row = table.rows[2].cells
    row[0].text = "{{ r.rank }}"
    row[1].text = "{{ r.org_name }}"
    row[2].text = "{{ r.total }}"
    row[3].text = "{{ r.result }}"
    extra = table.add_row().cells
    extra[0].text = "{%tr endfor %}"
    _repeat_header(table.rows[0])
    _rows_whole(table)
    doc.add_paragraph("{%p for line in result_lines %}")
    # GB/T 9704-2012 §7.3.5: the 署名 and 成文日期 (where the seal goes) never stand on a page
    # without the body's text: the closing paragraphs keep with them.
    doc.add_paragraph("    {{ line }}").paragraph_format.keep_with_next = True
    doc.add_paragraph("{%p endfor %}")
    opinion = doc.add_paragraph("{% if opinion %}    审批意见：{{ opinion }}{% endif %}")
    opinion.paragraph_format.keep_with_next = True
    sign = doc.add_paragraph("河南省住房和城乡建设厅")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    sign.paragraph_format.keep_with_next = True
    day = doc.add_paragraph("{{ approved_date }}")
    day.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    official_record(doc, "approved_date")
    official_print(doc)
    OUT.parent.mkdir(exist_ok=True)
    doc.save(OUT)
    print(f"written {OUT}")


def main(which: str = "all") -> None:
    if which in ("all", "results"):
        make_results()
    if which in ("all", "sheet"):
        make_sheet()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "all")
