"""Create docs_templates/reporting_notice.docx: the province's yearly notice commending and
criticising the units' reporting work (第八条(五), 第十八条).

Run with the project's virtualenv (``python scripts/make_notice_template.py``); the .docx is
committed.  Tags: {{ }} for values, {%p %} for repeated paragraphs (docxtpl).  The context it
reads is whitelisted in webapp/reports/notice.py (``document_context``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_templates import official_print, official_record, portrait, title_block  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs_templates" / "reporting_notice.docx"


def main() -> None:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "FangSong"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋_GB2312")
    style.font.size = Pt(16)
    portrait(doc.sections[0])
    title = "'关于' ~ year ~ '年度工程质量分析报告报送工作的通报'"
    title_block(doc, expression=title)
    doc.add_paragraph("各省辖市、省直管县（市）住房城乡建设主管部门：")
    doc.add_paragraph(
        "    根据《河南省建设工程质量分析报告制度》第八条（五）和第十八条的规定，省厅对各地"
        "{{ year }}年度工程质量分析报告报送工作进行了评价。经厅主要领导审批，现通报如下："
    )
    doc.add_paragraph("    一、通报表扬的单位")
    doc.add_paragraph("{%p if not commend_units %}")
    doc.add_paragraph("    无。")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p for u in commend_units %}")
    doc.add_paragraph("    {{ u.name }}：{{ u.reason }}。")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("    二、通报表扬的个人")
    doc.add_paragraph("{%p if not commend_people %}")
    doc.add_paragraph("    无。")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p for p in commend_people %}")
    doc.add_paragraph("    {{ p.org_name }}　{{ p.name }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("    三、通报批评的单位")
    doc.add_paragraph("{%p if not criticise_units %}")
    doc.add_paragraph("    无。")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p for u in criticise_units %}")
    doc.add_paragraph("    {{ u.name }}：{{ u.reason }}。")
    doc.add_paragraph("{%p endfor %}")
    closing = doc.add_paragraph(
        "    希望受到表扬的单位和个人再接再厉；受到批评的单位要认真查找原因，及时整改，"
        "按时、准确报送工程质量分析报告。"
    )
    # GB/T 9704-2012 §7.3.5: the 署名 and 成文日期 (where the seal goes) never stand on a page
    # without the body's text: the last paragraph keeps with them.
    closing.paragraph_format.keep_with_next = True
    sign = doc.add_paragraph("河南省住房和城乡建设厅")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    sign.paragraph_format.keep_with_next = True
    date = doc.add_paragraph("{{ issued_date }}")
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    official_record(doc, "issued_date")
    official_print(doc)
    props = doc.core_properties
    props.title = "报送工作通报"
    props.author = "河南省建设工程质量分析报告系统"
    OUT.parent.mkdir(exist_ok=True)
    doc.save(OUT)
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
