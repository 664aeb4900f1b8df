"""Create docs_templates/assessment_results.docx (the results notice, a docxtpl template).

Run once with the project's virtualenv; the .docx is committed.  Tags: {{ }} for values,
{%tr %} for the ranking table's repeated row (docxtpl).
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

OUT = Path(__file__).resolve().parent.parent / "docs_templates" / "assessment_results.docx"


def main() -> None:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    style.font.size = Pt(12)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("关于{{ year }}年度{{ title }}结果的通报")
    run.bold = True
    run.font.size = Pt(18)
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
    doc.add_paragraph("{%p for line in result_lines %}")
    doc.add_paragraph("    {{ line }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{% if opinion %}    审批意见：{{ opinion }}{% endif %}")
    sign = doc.add_paragraph("河南省住房和城乡建设厅")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    day = doc.add_paragraph("{{ approved_date }}")
    day.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    OUT.parent.mkdir(exist_ok=True)
    doc.save(OUT)
    print(f"written {OUT}")


if __name__ == "__main__":
    main()
