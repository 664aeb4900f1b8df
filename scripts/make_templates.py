"""Build the Word templates in docs_templates/ with python-docx (reproducible, reviewable).

    .venv/bin/python scripts/make_templates.py

The layout follows GB/T 9704 for the narrative (A4; margins 37/35/28/26 mm; title 二号小标宋,
body 三号仿宋; a 22-line × 28-character grid) and the printed forms for 附表1–7 (landscape,
multi-level headers, the printed notes, 填表单位 / 统计员 / 批准人 / 报送日期 or, on
附表1–2, 填表人 / 批准人 / 填表日期: what each form prints comes from the registry,
webapp/stats/registry.py, and 附表5/7's headings from webapp/stats/tables.py).  The
templates use docxtpl tags over the context documented in docs/documents.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from webapp.stats.registry import TABLES, report_tables
from webapp.stats.tables import ACCIDENT_LABELS, RATE_LABELS, summary_layout

OUT = Path(__file__).resolve().parent.parent / "docs_templates"

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TABLE_FONT = "宋体"


def set_font(run_or_style, name: str, size: float | None = None, bold: bool | None = None):
    font = run_or_style.font
    font.name = name
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element if hasattr(run_or_style, "element") else run_or_style._element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def doc_grid(section, lines_pitch_twips: int = 579) -> None:
    """22 lines on the GB/T 9704 type area (225 mm / 22 = 28.95 pt a line).

    The 28-characters-a-line half is done by condensing the body font by 0.2 pt (see
    ``condense``): a character grid (``linesAndChars``) is rendered differently by Word and
    LibreOffice, a fixed condensation is the same in both.
    """
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(lines_pitch_twips))
    if grid.get(qn("w:charSpace")) is not None:
        del grid.attrib[qn("w:charSpace")]


def condense(style, twentieths: int = -4) -> None:
    """16 pt characters at a 15.79 pt pitch: 28 to the 156 mm line."""
    rpr = style.element.get_or_add_rPr()
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(twentieths))
    rpr.append(spacing)


#: GB/T 9704-2012 §7.5: the page number is 4号 (14 pt) 半角宋体, 7 mm below the type area.
PAGE_NUMBER_FONT = "宋体"
PAGE_NUMBER_SIZE = 14.0
PAGE_NUMBER_GAP_MM = 7.0
EM_DASH = "\u2014"  # 一字线


def place_footer(section) -> None:
    """The footer line starts 7 mm below the type area (its bottom margin), whatever the
    orientation: the page number's distance from the page edge is the rest of the margin."""
    line_mm = PAGE_NUMBER_SIZE * 25.4 / 72
    section.footer_distance = Mm(section.bottom_margin.mm - PAGE_NUMBER_GAP_MM - line_mm)
    section.header_distance = Mm(min(15.0, section.top_margin.mm / 2))


def portrait(section) -> None:
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    place_footer(section)
    doc_grid(section)


def landscape(doc):
    from docx.enum.section import WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin = section.bottom_margin = Mm(18)
    section.left_margin = section.right_margin = Mm(15)
    place_footer(section)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is not None:  # forms are laid out freely, not on the narrative's line grid
        grid.set(qn("w:type"), "default")
    return section


def _field(paragraph, instr: str, shown: str, font: str, size: float) -> None:
    """A Word field (PAGE) as begin / instruction / separate / result / end runs."""
    for kind, text in (("begin", None), (None, f" {instr} "), ("separate", None), (None, shown)):
        run = paragraph.add_run()
        set_font(run, font, size)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == shown:
            run._r.append(_text(text))
        else:
            instr_el = OxmlElement("w:instrText")
            instr_el.set(qn("xml:space"), "preserve")
            instr_el.text = text
            run._r.append(instr_el)
    end = paragraph.add_run()
    set_font(end, font, size)
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), "end")
    end._r.append(char)


def _text(value: str):
    el = OxmlElement("w:t")
    el.set(qn("xml:space"), "preserve")
    el.text = value
    return el


def _page_number(footer, odd: bool) -> None:
    """``— 1 —``: odd pages right, even pages left, one character in from the type area."""
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.text = ""
    _page_number_runs(p, odd)


def _page_number_runs(p, odd: bool) -> None:
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(PAGE_NUMBER_SIZE)
    fmt.first_line_indent = Pt(0)
    if odd:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        fmt.right_indent = Pt(PAGE_NUMBER_SIZE)
    else:
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT
        fmt.left_indent = Pt(PAGE_NUMBER_SIZE)
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    p._p.get_or_add_pPr().append(snap)
    lead = p.add_run(EM_DASH + " ")
    set_font(lead, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    _field(p, "PAGE", "1", PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    trail = p.add_run(" " + EM_DASH)
    set_font(trail, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    for run in p.runs:  # 半角: no condensation of the body style
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), "0")
        run._element.get_or_add_rPr().append(spacing)


#: The landscape 附表's page number (GB/T 9704-2012 §10.1 横排表格: "页码位置与公文其他页码保持
#: 一致，单页码表头在订口一边，双页码表头在切口一边"): turned with the sheet, it reads like the
#: portrait pages' number.  The table's head lies on the portrait page's left edge for odd and even
#: pages alike, so that edge is the landscape page's top, the portrait foot its left edge: the
#: number stands in the left margin, read top to bottom, near the foot for an odd page (the
#: portrait page's lower right corner) and near the head for an even one (its lower left).
LANDSCAPE_NUMBER_BOX_MM = (8.0, 30.0)  # across, along the edge


def _landscape_page_number(section, footer, odd: bool, shape_id: int) -> None:
    """The page number of a landscape section's page: a text box turned a quarter clockwise
    (``layout-flow:vertical``) in the left margin, anchored to the page; the footer line itself
    stays empty.  A VML box: LibreOffice 7.4 puts a DrawingML one at the page's corner on the
    even page that follows a section's odd first page."""
    from docx.oxml import parse_xml

    across, along = LANDSCAPE_NUMBER_BOX_MM
    left_mm = max(0.0, (section.left_margin.mm - across) / 2)
    inset = PAGE_NUMBER_SIZE * 25.4 / 72  # one character in from the type area, as portrait
    if odd:
        top_mm = section.page_height.mm - section.bottom_margin.mm - inset - along
    else:
        top_mm = section.top_margin.mm + inset
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.text = ""
    holder = footer.add_paragraph()  # the portrait number's paragraph, moved into the box
    _page_number_runs(holder, odd)
    holder.paragraph_format.left_indent = holder.paragraph_format.right_indent = Pt(0)
    number = holder._p
    number.getparent().remove(number)
    ns = (
        'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office"'
    )
    pt = 72 / 25.4
    style = (
        f"position:absolute;margin-left:{left_mm * pt:.1f}pt;margin-top:{top_mm * pt:.1f}pt;"
        f"width:{across * pt:.1f}pt;height:{along * pt:.1f}pt;z-index:{shape_id};"
        "mso-position-horizontal-relative:page;mso-position-vertical-relative:page;"
        "layout-flow:vertical"
    )
    drawing = parse_xml(
        f'<w:r {ns}><w:pict><v:shape id="PageNumber{shape_id}" o:spid="_x0000_s{shape_id}" '
        f'type="#_x0000_t202" style="{style}" filled="f" stroked="f">'
        f'<v:textbox style="layout-flow:vertical" inset="0,0,0,0"><w:txbxContent/></v:textbox>'
        f"</v:shape></w:pict></w:r>"
    )
    content = drawing.find(".//" + qn("w:txbxContent"))
    content.append(number)
    p._p.append(drawing)


def _draft_mark(header) -> None:
    """草稿 at the head of every page while the document is not frozen (context ``draft``)."""
    p = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
    p.text = ""
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(0)
    run = p.add_run("{% if draft %}草稿（未定稿）{% endif %}")
    set_font(run, HEADING_FONT, 16, bold=True)


def official_print(doc) -> None:
    """What every official document shares when printed (docs/documents.md):

    - page numbers per GB/T 9704-2012 §7.5, continuous through the body and the 附表 (the
      landscape sections inherit the first section's footers), odd/even footers differing;
    - the 草稿 mark in the header, shown while the context's ``draft`` is true;
    - document defaults in 宋体 with East Asian attributes and language zh-CN, so that no run
      falls back to a theme (Calibri / MS Mincho) face.
    """
    doc.settings.odd_and_even_pages_header_footer = True
    first = doc.sections[0]
    _page_number(first.footer, odd=True)
    _page_number(first.even_page_footer, odd=False)
    _draft_mark(first.header)
    _draft_mark(first.even_page_header)
    if first.page_width < first.page_height:  # a portrait document: its 附表 are turned
        shape_id = 9000
        for section in doc.sections[1:]:
            if section.page_width > section.page_height:
                for footer, odd in ((section.footer, True), (section.even_page_footer, False)):
                    footer.is_linked_to_previous = False
                    shape_id += 1
                    _landscape_page_number(section, footer, odd, shape_id)
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), TABLE_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")  # figures (Latin script) break as words, never inside
    lang.set(qn("w:eastAsia"), "zh-CN")
    if doc.element.body.find(".//" + qn("w:txbxContent") + "/" + qn("w:tbl")) is not None:
        _record_switch(doc)  # the document closes with its 版记 (official_record)


def para(
    doc,
    text: str = "",
    *,
    font=BODY_FONT,
    size=16.0,
    bold=False,
    align=None,
    indent_chars: int = 0,
    space_after: float = 0,
):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(28.95) if size >= 14 else Pt(size * 1.4)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(space_after)
    if indent_chars:
        fmt.first_line_indent = Pt(size * indent_chars)
    if align is not None:
        p.alignment = align
    if text:
        set_font(p.add_run(text), font, size, bold)
    return p


def cell_text(
    cell, text: str, *, size: float = 9, bold: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER
):
    cell.text = ""
    p = cell.paragraphs[0]
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(size * 1.35)
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    p._p.get_or_add_pPr().append(snap)
    run = p.add_run(text)
    set_font(run, TABLE_FONT, size, bold)
    no_condense = OxmlElement("w:spacing")
    no_condense.set(qn("w:val"), "0")
    run._element.get_or_add_rPr().append(no_condense)


def table(
    doc,
    header_rows: list[list[tuple[str, int, int]]],
    body: list[str],
    loop: str | None,
    total: list[str] | None = None,
    *,
    size: float = 9,
    first_col_mm: float | None = None,
    width_mm: float = 267,
    widths_mm: list[float] | None = None,
    cell_margin_mm: float | None = None,
):
    """A table with multi-level headers.

    header_rows: per header row, cells as (text, colspan, rowspan); a rowspan>1 cell is merged
    downwards.  body: the cell templates of the repeated row; loop: the docxtpl loop expression.
    widths_mm: each column's width, sized from its content (the widest number it prints at
    ``size`` must fit on one line); scaled to ``width_mm``.  Rows never split across pages and
    the header rows repeat on every page.
    """
    ncols = len(body)
    nrows = len(header_rows) + (3 if loop else 1) + (1 if total else 0)
    t = doc.add_table(rows=nrows, cols=ncols)
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    occupied: set[tuple[int, int]] = set()
    for r, row in enumerate(header_rows):
        c = 0
        for text, colspan, rowspan in row:
            while (r, c) in occupied:
                c += 1
            start = t.cell(r, c)
            end = t.cell(r + rowspan - 1, c + colspan - 1)
            merged = start.merge(end) if (colspan > 1 or rowspan > 1) else start
            cell_text(merged, text, bold=True, size=size)
            for rr in range(r, r + rowspan):
                for cc in range(c, c + colspan):
                    occupied.add((rr, cc))
            c += colspan
    r = len(header_rows)
    if loop:
        cell_text(t.cell(r, 0), "{%tr for r in " + loop + " %}", align=WD_ALIGN_PARAGRAPH.LEFT)
        r += 1
    for c, text in enumerate(body):
        cell_text(t.cell(r, c), text, size=size)
    r += 1
    if loop:
        cell_text(t.cell(r, 0), "{%tr endfor %}", align=WD_ALIGN_PARAGRAPH.LEFT)
        r += 1
    if total:
        for c, text in enumerate(total):
            cell_text(t.cell(r, c), text, bold=(c == 0), size=size)
    if widths_mm is None and first_col_mm:
        rest = (width_mm - first_col_mm) / (ncols - 1)
        widths_mm = [first_col_mm] + [rest] * (ncols - 1)
    if widths_mm is not None:
        assert len(widths_mm) == ncols, (len(widths_mm), ncols)
        scale = width_mm / sum(widths_mm)
        t.autofit = False
        widths = [Mm(w * scale) for w in widths_mm]
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        t._tbl.tblPr.append(layout)
        for col, width in zip(t._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
            col.set(qn("w:w"), str(int(width.twips)))
        for row in t.rows:
            for c, cell in enumerate(row.cells):
                cell.width = widths[c]
    if cell_margin_mm is not None:
        margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            el = OxmlElement(f"w:{side}")
            el.set(qn("w:w"), str(int(Mm(cell_margin_mm).twips)))
            el.set(qn("w:type"), "dxa")
            margins.append(el)
        t._tbl.tblPr.append(margins)
    # No row splits across pages; the header rows repeat on every page.
    for r, row in enumerate(t.rows):
        trpr = row._tr.get_or_add_trPr()
        el = OxmlElement("w:cantSplit")
        el.set(qn("w:val"), "true")
        trpr.append(el)
        if r < len(header_rows):
            el = OxmlElement("w:tblHeader")
            el.set(qn("w:val"), "true")
            trpr.append(el)
    return t


def _signature_fields(number: int) -> list[str]:
    clerk, approver, date = TABLES[number].signatures
    return [
        f"{clerk}：{{{{ clerk }}}}",
        f"{approver}：{{{{ approver }}}}",
        f"{date}：{{{{ report_date }}}}",
    ]


def form_title(doc, number: int, extra: str = ""):
    spec = TABLES[number]  # the one registry of the forms
    para(doc, f"附表{number}", font=HEADING_FONT, size=12)
    para(doc, spec.title, font=TITLE_FONT, size=16, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=4)
    unit_line = f"{spec.unit_label}：{{{{ unit }}}}"
    if spec.signed_above:  # 附表1 prints 填表人, 批准人 and 填表日期 on this line
        unit_line += "　　" + "　　".join(_signature_fields(number))
    para(doc, unit_line + "　　报告期：{{ period_label }}" + extra, font=TABLE_FONT, size=10.5)


def form_footer(doc, number: int):
    """The printed note (备注, 注, 填表说明), then the signatures unless printed above."""
    spec = TABLES[number]
    if spec.note:
        para(doc, spec.note, font=TABLE_FONT, size=8 if spec.shape == "summary" else 9)
    if not spec.signed_above:
        para(
            doc,
            "　　　　　　".join(_signature_fields(number)),
            font=TABLE_FONT,
            size=10.5,
            space_after=6,
        )


def trio(prefix: str) -> list[str]:
    return [
        f"{{{{ {prefix}.count }}}}",
        f"{{{{ {prefix}.area_10k_m2 }}}}",
        f"{{{{ {prefix}.cost_10k_yuan }}}}",
    ]


#: Widths (mm) of a 项数 / 面积 / 造价 trio in the summary forms.
TRIO_MM = [9.5, 12.5, 17.5]
TRIO_HEAD = [("项数", 1, 1), ("面积（万㎡）", 1, 1), ("造价（万元）", 1, 1)]


def table1(doc):
    form_title(doc, 1)
    table(
        doc,
        [
            [
                ("记录编号", 1, 2),
                ("工程名称", 1, 2),
                ("责任单位", 1, 2),
                ("责任人", 2, 1),
                ("不良行为事实", 1, 2),
                ("对应省不良记录管理办法条款", 1, 2),
                ("记录人", 1, 2),
                ("记录日期", 1, 2),
                ("批准人", 1, 2),
                ("批准日期", 1, 2),
            ],
            [("姓名", 1, 1), ("职务", 1, 1)],
        ],
        [
            "{{ r.record_no }}",
            "{{ r.project_name }}",
            "{{ r.responsible_unit }}",
            "{{ r.person_name }}",
            "{{ r.person_title }}",
            "{{ r.fact }}",
            "{{ r.clause }}",
            "{{ r.recorder }}",
            "{{ r.record_date }}",
            "{{ r.approver }}",
            "{{ r.approval_date }}",
        ],
        "t1.rows",
        widths_mm=[24, 30, 30, 14, 16, 40, 30, 15, 22, 15, 22],
        cell_margin_mm=1,
    )
    form_footer(doc, 1)


def table2(doc):
    form_title(doc, 2)
    table(
        doc,
        [
            [
                (h, 1, 1)
                for h in (
                    "记录编号",
                    "工程名称",
                    "责任单位",
                    "时间",
                    "违法违规事实",
                    "处罚依据",
                    "处罚内容",
                    "处罚情况",
                    "处理情况",
                )
            ]
        ],
        [
            "{{ r.record_no }}",
            "{{ r.project_name }}",
            "{{ r.responsible_unit }}",
            "{{ r.date }}",
            "{{ r.fact }}",
            "{{ r.basis }}",
            "{{ r.content }}",
            "{{ r.status }}",
            "{{ r.handling }}",
        ],
        "t2.rows",
        widths_mm=[24, 32, 32, 22, 44, 40, 28, 22, 26],
        cell_margin_mm=1,
    )
    form_footer(doc, 2)


def table3(doc):
    form_title(doc, 3)
    table(
        doc,
        [
            [
                (h, 1, 1)
                for h in (
                    "序号",
                    "工程质量监督注册号",
                    "工程名称",
                    "结构类型",
                    "建筑面积（平方米）",
                    "工程造价（万元）",
                    "施工单位",
                    "监理单位",
                    "形象进度",
                    "备注",
                )
            ]
        ],
        [
            "{{ r.seq }}",
            "{{ r.registration_no }}",
            "{{ r.project_name }}",
            "{{ r.structure_type }}",
            "{{ r.area_m2 }}",
            "{{ r.cost_10k_yuan }}",
            "{{ r.constructor }}",
            "{{ r.supervisor }}",
            "{{ r.progress }}",
            "{{ r.remarks }}",
        ],
        "t3.rows",
        widths_mm=[10, 34, 40, 22, 24, 24, 40, 40, 20, 18],
        cell_margin_mm=1,
    )
    form_footer(doc, 3)


def table4(doc):
    form_title(doc, 4)
    table(
        doc,
        [
            [
                (h, 1, 1)
                for h in (
                    "序号",
                    "工程质量监督注册号",
                    "工程名称",
                    "结构类型",
                    "建筑面积（平方米）",
                    "工程造价（万元）",
                    "施工单位",
                    "监理单位",
                    "竣工日期",
                    "竣工验收结论",
                    "备案日期",
                    "备案结论",
                    # domain.md §4 Decision (附表4): 往期竣工，本期备案
                    "备注",
                )
            ]
        ],
        [
            "{{ r.seq }}",
            "{{ r.registration_no }}",
            "{{ r.project_name }}",
            "{{ r.structure_type }}",
            "{{ r.area_m2 }}",
            "{{ r.cost_10k_yuan }}",
            "{{ r.constructor }}",
            "{{ r.supervisor }}",
            "{{ r.completion_date }}",
            "{{ r.completion_conclusion }}",
            "{{ r.filing_date }}",
            "{{ r.filing_conclusion }}",
            "{{ r.remarks }}",
        ],
        "t4.rows",
        widths_mm=[9, 30, 31, 16, 20, 20, 27, 27, 20, 18, 20, 18, 24],
        cell_margin_mm=1,
    )
    form_footer(doc, 4)


def _summary_table(doc, number: int, key: str, extra: str = ""):
    """附表5 or 附表7 with the printed headings (webapp/stats/tables.py): 附表7's 本年度备案工程
    has 项数 and 面积 only."""
    yearly = number == 7
    layout = summary_layout(yearly)
    form_title(doc, number, extra=extra)
    metric_head = dict(zip(("count", "area_10k_m2", "cost_10k_yuan"), TRIO_HEAD, strict=True))
    header = [
        [("市、县（市）", 1, 2)]
        + [(g["label"], len(g["metrics"]), 1) for g in layout]
        + [(RATE_LABELS[yearly], 2, 1), ("用户满意率（%）", 1, 2), (ACCIDENT_LABELS[yearly], 3, 1)],
        [metric_head[m] for g in layout for m in g["metrics"]]
        + [
            ("项数", 1, 1),
            ("面积", 1, 1),
            ("项数", 1, 1),
            ("死亡人数", 1, 1),
            ("经济损失（万元）", 1, 1),
        ],
    ]

    def row(prefix: str) -> list[str]:
        return [f"{{{{ {prefix}.{g['key']}.{m} }}}}" for g in layout for m in g["metrics"]] + [
            f"{{{{ {prefix}.filing_rate.count_pct }}}}",
            f"{{{{ {prefix}.filing_rate.area_pct }}}}",
            f"{{{{ {prefix}.satisfaction_pct }}}}",
            f"{{{{ {prefix}.accidents.count }}}}",
            f"{{{{ {prefix}.accidents.deaths }}}}",
            f"{{{{ {prefix}.accidents.loss_10k_yuan }}}}",
        ]

    body = ["{{ r.org_name }}"] + row("r")
    total = ["合计"] + row(f"{key}.total")
    # 7.5 pt as the printed form; a count column takes 5 digits, an area (万㎡) 8 characters,
    # a cost (万元) 11 (e.g. 12345678.90): the widest figure of a province's year.
    metric_mm = dict(zip(("count", "area_10k_m2", "cost_10k_yuan"), TRIO_MM, strict=True))
    widths = (
        [16] + [metric_mm[m] for g in layout for m in g["metrics"]] + [9.5, 9.5, 9.5, 6, 6, 12.5]
    )
    table(doc, header, body, f"{key}.rows", total, size=7.5, widths_mm=widths, cell_margin_mm=0.6)
    form_footer(doc, number)


def table5(doc):
    _summary_table(doc, 5, "t5")


def table7(doc):
    # 截止到年底 figures are as of the moment the report is frozen (domain.md §5).
    _summary_table(doc, 7, "t7", extra="　　统计截止时间：{{ t7.as_of }}")


def table6(doc):
    form_title(doc, 6)
    header = [
        [
            ("项目", 1, 2),
            ("{{ t6.span }}新注册项目", 3, 1),
            ("{{ t6.span }}竣工工程", 3, 1),
            ("{{ t6.span }}质量备案工程", 4, 1),
            ("{{ t6.span }}在建工程", 3, 1),
        ],
        TRIO_HEAD * 2 + TRIO_HEAD + [("备案率（项%）", 1, 1)] + TRIO_HEAD,
    ]
    body = (
        ["{{ r.label }}"]
        + trio("r.registered")
        + trio("r.completed")
        + trio("r.filed")
        + ["{{ r.filing_rate_count_pct }}"]
        + trio("r.under_construction")
    )
    widths = [42] + TRIO_MM * 3 + [10] + TRIO_MM
    table(doc, header, body, "t6.rows", size=8, widths_mm=widths, cell_margin_mm=0.6)
    form_footer(doc, 6)


#: Characters of 二号 (22 pt) on the 156 mm line of the portrait type area.
TITLE_CHARS = 20


#: 版记 (GB/T 9704-2012 §7.4): 抄送机关, 印发机关 and 印发日期 between separator lines as wide as
#: the type area, the first and last thick (0.35 mm), those between thin (0.25 mm), the last line
#: on the lower edge of the type area of the document's last page, an even page (封四).  §7.5: a
#: page holding the 版记 alone, and a blank page before it, carry no page number.  Defaults stand
#: in for the context's ``copy_to``, ``issuer`` when a document's context does not give them.
RECORD_COPY_TO = "住房和城乡建设部工程质量安全监管司"
RECORD_ISSUER = "河南省住房和城乡建设厅办公室"
RECORD_ROW_MM = 10.0
THICK, THIN = 8, 6  # eighths of a point: 1 pt ≈ 0.35 mm, 0.75 pt ≈ 0.25 mm
#: The context flag that puts the 版记 on a page of its own (a section starting on an even
#: page, footers empty); false puts it at the foot of the body's last page.  ``render_docx``
#: decides it from LibreOffice's layout (webapp/documents/record.py); without it, true.
RECORD_FLAG = "record_alone|default(true)"


def official_record(doc, date_expression: str) -> None:
    """The 版记: a table in a text box at the foot of the type area (VML, anchored to the
    margin's bottom: Word and LibreOffice put it there wherever its paragraph falls; a floating
    table LibreOffice turns inline, and a paragraph frame loses its borders), either on the
    body's last page or, when ``record_alone``, on a page of its own: a section starting on an
    even page whose footers are empty (its break paragraph kept by a docxtpl condition; the last
    section's footer references and start type switched by ``_record_switch``)."""
    from docx.enum.section import WD_SECTION
    from docx.enum.table import WD_ROW_HEIGHT_RULE
    from docx.oxml import parse_xml

    body = doc.sections[-1]
    para(doc, "{%p if " + RECORD_FLAG + " %}")
    section = doc.add_section(WD_SECTION.EVEN_PAGE)
    para(doc, "{%p endif %}")
    for footer in (section.footer, section.even_page_footer):
        footer.is_linked_to_previous = False
        for p in footer.paragraphs:
            p.text = ""
    width = body.page_width.mm - body.left_margin.mm - body.right_margin.mm
    table = doc.add_table(rows=2, cols=1)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    texts = [
        "抄送：{{ copy_to|default('" + RECORD_COPY_TO + "') }}。",
        "{{ issuer|default('" + RECORD_ISSUER + "') }}\t{{ " + date_expression + " }}印发",
    ]
    for row, text, (top, bottom) in zip(
        table.rows, texts, ((THICK, THIN), (THIN, THICK)), strict=True
    ):
        row.height = Mm(RECORD_ROW_MM)
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        cell = row.cells[0]
        cell.width = Mm(width)
        p = cell.paragraphs[0]
        p.paragraph_format.first_line_indent = Pt(0)
        p.paragraph_format.left_indent = p.paragraph_format.right_indent = Pt(14)
        p.paragraph_format.tab_stops.add_tab_stop(Mm(width) - Pt(28), WD_TAB_ALIGNMENT.RIGHT)
        run = p.add_run(text)
        set_font(run, BODY_FONT, 14)
        _no_grid(p)
        _cell_borders(cell, top, bottom)
    tbl = table._tbl
    tbl.getparent().remove(tbl)
    holder = doc.add_paragraph()
    _exact(holder, 1.0)
    pt = 72 / 25.4
    # Placed from the page's top edge: the type area's lower edge is the same on every page,
    # where LibreOffice's "margin" moves with the height of the page's footer.
    top = body.page_height.mm - body.bottom_margin.mm - 2 * RECORD_ROW_MM
    style = (
        f"position:absolute;margin-left:0;margin-top:{top * pt:.1f}pt;width:{width * pt:.1f}pt;"
        f"height:{2 * RECORD_ROW_MM * pt:.1f}pt;z-index:1;"
        "mso-position-horizontal:center;mso-position-horizontal-relative:margin;"
        "mso-position-vertical-relative:page"
    )
    ns = (
        'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:w10="urn:schemas-microsoft-com:office:word"'
    )
    box = parse_xml(
        f'<w:r {ns}><w:pict><v:shape id="Record" o:spid="_x0000_s8001" type="#_x0000_t202" '
        f'style="{style}" filled="f" stroked="f"><v:textbox inset="0,0,0,0"><w:txbxContent/>'
        '</v:textbox><w10:wrap type="topAndBottom"/></v:shape></w:pict></w:r>'
    )
    content = box.find(".//" + qn("w:txbxContent"))
    content.append(tbl)
    content.append(OxmlElement("w:p"))
    holder._p.append(box)


def _cell_borders(cell, top: int, bottom: int) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for side, size in (("top", top), ("left", 0), ("bottom", bottom), ("right", 0)):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "single" if size else "nil")
        if size:
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    tc_pr.append(borders)


#: The children of w:pPr in the schema's order (CT_PPrBase), for inserting one in its place.
PPR_ORDER = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers "
    "pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE "
    "autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
    "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle "
    "rPr sectPr pPrChange"
).split()


def _ppr_insert(p, element) -> None:
    ppr = p._p.get_or_add_pPr()
    later = PPR_ORDER[PPR_ORDER.index(element.tag.split("}")[1]) + 1 :]
    ppr.insert_element_before(element, *(f"w:{tag}" for tag in later))


def _record_switch(doc) -> None:
    """The last section of a document with a 版记: with ``record_alone`` it starts on an even page
    with empty footers, otherwise it is the body's own (its footers, no break): docxtpl renders the
    attribute values (``r:id``, ``w:type``) like any other text of the part."""
    sections = doc.sections
    body, last = sections[-2]._sectPr, sections[-1]._sectPr
    refs = {}
    for ref in body.findall(qn("w:footerReference")) + body.findall(qn("w:headerReference")):
        refs[(ref.tag, ref.get(qn("w:type")))] = ref.get(qn("r:id"))
    for ref in last.findall(qn("w:footerReference")):
        key = (ref.tag, ref.get(qn("w:type")))
        ref.set(
            qn("r:id"), f"{{{{ '{ref.get(qn('r:id'))}' if {RECORD_FLAG} else '{refs[key]}' }}}}"
        )
    for (tag, kind), rid in refs.items():  # the draft header on every page, as the body's
        if tag == qn("w:headerReference"):
            ref = OxmlElement("w:headerReference")
            ref.set(qn("w:type"), kind)
            ref.set(qn("r:id"), rid)
            last.insert(0, ref)
    start = last.find(qn("w:type"))
    start.set(qn("w:val"), "{{ 'evenPage' if " + RECORD_FLAG + " else 'nextPage' }}")


def _no_grid(p) -> None:
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    _ppr_insert(p, snap)


def _exact(p, height_mm: float) -> None:
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Mm(height_mm)
    _no_grid(p)


def title_block(
    doc,
    size: float = 22,
    chars: int = TITLE_CHARS,
    font: str = TITLE_FONT,
    expression: str = "title",
):
    """The title, broken into lines between words only (GB/T 9704 §7.3.3: 回行时词意完整):
    the ``title_lines`` filter of webapp/documents/render.py chooses the breaks."""
    para(doc, f"{{%p for line in ({expression})|title_lines({chars}) %}}")
    para(doc, "{{ line }}", font=font, size=size, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc, "{%p endfor %}")


def signature_lines(doc, lines: list[str], size: float = 16) -> None:
    """One field a line (填表单位 / 填表人 / 批准人), so that no name breaks between lines."""
    for text in lines:
        para(doc, text, size=size, indent_chars=2)


def narrative(doc):
    title_block(doc)
    para(doc, "{{ unit }}　{{ report_date }}", size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(doc)
    para(doc, "{%p for s in narrative %}")
    para(doc, "{{ s.number }}、{{ s.heading }}", font=HEADING_FONT, size=16, indent_chars=2)
    para(doc, "{%p for text in s.paragraphs %}")
    para(doc, "{{ text }}", indent_chars=2)
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")
    para(doc)
    signature_lines(
        doc, ["填表单位（公章）：{{ unit }}", "填表人：{{ clerk }}", "批准人：{{ approver }}"]
    )


def build(kind: str) -> Document:
    doc = Document()
    normal = doc.styles["Normal"]
    set_font(normal, BODY_FONT, 16)
    condense(normal)
    portrait(doc.sections[0])
    narrative(doc)
    # Which forms, in which order: the registry (quarterly 附表1–6; annual 附表1–4, 6, 7).
    builders = {1: table1, 2: table2, 3: table3, 4: table4, 5: table5, 6: table6, 7: table7}
    for spec in report_tables(kind):
        landscape(doc)
        builders[spec.number](doc)
    official_print(doc)
    props = doc.core_properties
    props.title = "建设工程质量分析报告"
    props.author = "河南省建设工程质量分析报告系统"
    return doc


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for kind in ("quarterly", "annual"):
        path = OUT / f"{kind}_report.docx"
        build(kind).save(path)
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
