"""Every official document as it prints (issue 17): each kind rendered once with the largest
demo-like data, converted to PDF by LibreOffice (the product's ``to_pdf``), and read back from the
PDF's characters and their positions:

- every glyph is set in a Noto CJK face (no DejaVu / Liberation / other fallback), and every face
  the Word file names resolves, through webapp/documents/fonts.conf, to the Simplified Chinese
  face (a probe shows the official names share the SC face's glyphs, not the JP/KR ones);
- page numbers ``— N —`` on every page, continuous, odd pages right and even pages left; on the
  landscape 附表 turned with the sheet, at the left edge (GB/T 9704-2012 §10.1); none on the
  版记 page of a 通报 (§7.5), whose 版记 (§7.4) closes the document;
- no number (figure, date, registration number) breaks across lines inside a table cell, and no
  figure (a number with its unit or percent sign) across lines of the prose;
- the title breaks only between words, signature lines stay whole, the 草稿 mark only in drafts;
- a sane page count.

LibreOffice is part of ``make test`` (system-deps): without it these tests fail, never skip.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from docx import Document
from docx.oxml.ns import qn

from webapp.assessment.sheet import bundled_sheets, parse_sheet, read_sheet_file
from webapp.documents import render_docx, to_pdf
from webapp.documents.figures import FIGURE_UNIT
from webapp.documents.render import FONTS_CONF, libreoffice, title_lines
from webapp.publication.document import sample_context as public_sample
from webapp.reports.notice import sample_context as notice_sample
from webapp.workflow_admin.samples import assessment_sample, sample_context

TEMPLATES = Path(__file__).resolve().parents[2] / "docs_templates"

#: The 28 units a province-wide table lists (省辖市, 济源, 省直管县（市）).
UNITS = (
    "郑州市 开封市 洛阳市 平顶山市 安阳市 鹤壁市 新乡市 焦作市 濮阳市 许昌市 漯河市 三门峡市 "
    "南阳市 商丘市 信阳市 周口市 驻马店市 济源示范区 巩义市 兰考县 汝州市 滑县 长垣市 邓州市 "
    "永城市 固始县 鹿邑县 新蔡县"
).split()
CONTRACTORS = (
    "河南省第一建筑工程集团有限责任公司",
    "中建七局第二建筑有限公司",
    "河南长城铁路工程建设咨询有限公司",
)
#: The widest figures of a province's year: 5-digit counts, 万㎡ and 万元 with two decimals.
COUNT, AREA, COST, LOSS = 12345, "12345.67", "12345678.90", "12345.67"


def _trio(count: int = COUNT) -> dict[str, Any]:
    return {"count": count, "area_10k_m2": AREA, "cost_10k_yuan": COST}


def _summary(name: str) -> dict[str, Any]:
    return {
        "org_name": name,
        "carried_over": _trio(),
        "registered": _trio(),
        "under_construction": _trio(),
        "completed": _trio(),
        "filed": _trio(),
        "filing_rate": {"count_pct": "100.00", "area_pct": "99.99"},
        "satisfaction_pct": "100.00",
        "accidents": {"count": 999, "deaths": 999, "loss_10k_yuan": LOSS},
    }


def _paragraph(n: int) -> str:
    return (
        f"本期全省共监督工程{COUNT}项、面积{AREA}万㎡、造价{COST}万元，其中新注册工程{n}项；"
        "各地围绕工程质量通病治理、质量行为监督和实体质量抽测开展工作，质量备案率100.00%，"
        "用户满意率99.99%。"
    ) * 2


def report_context(kind: str) -> dict[str, Any]:
    ctx = sample_context(kind)
    unit = "河南省住房和城乡建设厅" if kind == "annual" else "郑州市"
    period = "2026年度" if kind == "annual" else "2026年第三季度"
    ctx.update(
        title=f"{unit}{period}工程质量运行态势分析报告",
        unit=unit,
        period_label=period,
        clerk=f"{unit[:3]}填报员",
        approver=f"{unit[:3]}审核人",
    )
    for section in ctx["narrative"]:
        section["paragraphs"] = [_paragraph(i) for i in range(3)]
    rows = range(1, 41)
    t1 = ctx["t1"]["rows"][0]
    ctx["t1"]["rows"] = [
        {**t1, "record_no": f"BL-2026-{i:04d}", "responsible_unit": CONTRACTORS[i % 3]}
        for i in rows
    ]
    t2 = ctx["t2"]["rows"][0]
    ctx["t2"]["rows"] = [
        {**t2, "record_no": f"CF-2026-{i:04d}", "responsible_unit": CONTRACTORS[i % 3]}
        for i in rows
    ]
    for key in ("t3", "t4"):
        first = ctx[key]["rows"][0]
        ctx[key]["rows"] = [
            {
                **first,
                "seq": i,
                "registration_no": f"410100-2026-{i:04d}",
                "project_name": f"郑州航空港区安置房{i}号地块一期工程",
                "area_m2": "1234567.89",
                "cost_10k_yuan": "1234567.89",
                "constructor": CONTRACTORS[i % 3],
                "supervisor": CONTRACTORS[(i + 1) % 3],
            }
            for i in rows
        ]
    for key in ("t5", "t7"):
        ctx[key]["rows"] = [_summary(name) for name in UNITS]
        ctx[key]["total"] = _summary("合计")
    for row in ctx["t6"]["rows"]:
        row.update(
            registered=_trio(),
            completed=_trio(),
            filed=_trio(),
            under_construction=_trio(),
            filing_rate_count_pct="100.00",
        )
    return ctx


def public_context() -> dict[str, Any]:
    ctx = public_sample()
    ctx.update(title="河南省2026年下半年建设工程质量总体状况报告", unit="河南省")
    ctx["sections"] = [
        {"number": n, "heading": "总体情况", "paragraphs": [_paragraph(2)]} for n in "一二三四"
    ]
    for group in ctx["groups"]:
        group.update(count=str(COUNT), area=AREA, cost=COST)
    unit = ctx["units"][0]
    ctx["units"] = [
        {**unit, "name": name, "registered": str(COUNT), "filing_rate": "100.00"} for name in UNITS
    ]
    ctx["index_parts"] = ctx["index_parts"] * 6
    ctx["bad"] = [
        {**ctx["bad"][0], "seq": str(i), "record_no": f"BL-2026-{i:04d}"} for i in range(1, 41)
    ]
    ctx["good"] = [{**ctx["good"][0], "seq": str(i)} for i in range(1, 21)]
    return ctx


def notice_context() -> dict[str, Any]:
    ctx = notice_sample()
    ctx["commend_units"] = [
        {"name": name, "reason": "应报 5 份，均按时报送，无差错"} for name in UNITS[:12]
    ]
    ctx["commend_people"] = [{"name": "张三", "org_name": name} for name in UNITS]
    return ctx


def results_context() -> dict[str, Any]:
    ctx = assessment_sample()
    ctx["rows"] = [
        {"rank": i, "org_name": name, "total": "95.5", "result": "先进单位"}
        for i, name in enumerate(UNITS, 1)
    ]
    return ctx


def sheet_context() -> dict[str, Any]:
    sheet = parse_sheet(read_sheet_file(bundled_sheets()[0]))
    return {
        "sheet_name": sheet.name,
        "phase_label": "考核组评分",
        "unit": "济源示范区",
        "year": 2026,
        "scorer_label": "考核人员",
        "scorers": "张三、李四、王五",
        "sections": [
            {
                "seq": "一二三四五六七八九十"[n % 10],
                "name": section.name,
                "points": str(section.points),
                "subtotal": str(section.points),
                "rows": [
                    {
                        "name": item.name,
                        "wording": item.wording,
                        "points": str(item.points),
                        "score": str(item.points),
                        "lines": ["张三：10分；李四：9.5分；王五：10分", "省厅调整：9.5分 → 10分"],
                    }
                    for item in section.items
                ],
            }
            for n, section in enumerate(sheet.sections)
        ],
        "max_total": "100",
        "total": "98.5",
        "sites": [f"郑州航空港区安置房{i}号地块一期工程（410100-2026-{i:04d}）" for i in range(5)],
        "notes": ["名次：第1名。先进单位"],
        "sign_label": "考核组组长",
        "date": "2026年12月31日",
    }


#: kind → (template, context factory, draft, page range).  The accident report has no document.
KINDS: dict[str, tuple[str, Any, bool, tuple[int, int]]] = {
    "quarterly": ("quarterly_report.docx", lambda: report_context("quarterly"), True, (10, 40)),
    "annual": ("annual_report.docx", lambda: report_context("annual"), False, (10, 40)),
    "public": ("public_report.docx", public_context, True, (3, 20)),
    "notice": ("reporting_notice.docx", notice_context, False, (1, 6)),
    "results": ("assessment_results.docx", results_context, False, (1, 6)),
    "sheet": ("assessment_sheet.docx", sheet_context, True, (2, 30)),
}


def _render(kind: str, draft: bool | None = None) -> bytes:
    template, factory, default_draft, _pages = KINDS[kind]
    flag = default_draft if draft is None else draft
    return render_docx(TEMPLATES / template, factory(), draft=flag, timeout=60)


def _pdf(kind: str) -> tuple[bytes, bytes]:
    docx = _render(kind)
    pdf = to_pdf(docx, timeout=180)
    assert pdf is not None
    return docx, pdf


def _lines(chars: list[dict[str, Any]]) -> list[str]:
    """Text lines of ``chars`` (top to bottom, left to right)."""
    rows: list[list[dict[str, Any]]] = []
    for ch in sorted(chars, key=lambda c: (round(c["top"]), c["x0"])):
        if rows and abs(rows[-1][0]["top"] - ch["top"]) < 2:
            rows[-1].append(ch)
        else:
            rows.append([ch])
    return ["".join(c["text"] for c in sorted(row, key=lambda c: c["x0"])) for row in rows]


@pytest.fixture(scope="module")
def printed() -> dict[str, dict[str, Any]]:
    if libreoffice() is None:
        pytest.fail("LibreOffice (soffice) is not installed: run `make system-deps`")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(KINDS, pool.map(_pdf, KINDS), strict=True))
    out: dict[str, dict[str, Any]] = {}
    for kind, (docx, pdf) in results.items():
        pages = []
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            for page in doc.pages:
                cells = []
                tables = page.find_tables()
                boxes = [table.bbox for table in tables]
                prose = [
                    c
                    for c in page.chars
                    if not any(
                        x0 <= (c["x0"] + c["x1"]) / 2 <= x1
                        and top <= (c["top"] + c["bottom"]) / 2 <= bottom
                        for x0, top, x1, bottom in boxes
                    )
                ]
                for table in tables:
                    for bbox in table.cells:
                        x0, top, x1, bottom = bbox
                        inside = [
                            c
                            for c in page.chars
                            if x0 <= (c["x0"] + c["x1"]) / 2 <= x1
                            and top <= (c["top"] + c["bottom"]) / 2 <= bottom
                        ]
                        cells.append(_lines(inside))
                pages.append(
                    {
                        "width": page.width,
                        "height": page.height,
                        "chars": page.chars,
                        "words": page.extract_words(),
                        "lines": page.extract_text().splitlines(),
                        "cells": cells,
                        "prose": _lines(prose),
                    }
                )
        out[kind] = {"docx": docx, "pdf": pdf, "pages": pages}
    return out


NOTO_CJK = re.compile(r"^(?:[A-Z]{6}\+)?NotoS(?:erif|ans)CJK[a-z]{2}-(?:Regular|Bold)\b")


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_glyph_is_in_a_mapped_chinese_face(printed, kind):
    wrong = {
        (c["text"], c["fontname"])
        for page in printed[kind]["pages"]
        for c in page["chars"]
        if c["text"].strip() and not NOTO_CJK.match(c["fontname"])
    }
    assert not wrong, f"{kind}: glyphs outside the mapped Noto CJK SC faces: {sorted(wrong)[:20]}"


def _face_names(docx: bytes) -> set[str]:
    doc = Document(io.BytesIO(docx))
    parts = [doc.element, doc.styles.element]
    for section in doc.sections:
        for part in (section.header, section.even_page_header, section.footer):
            parts.append(part._element)
        parts.append(section.even_page_footer._element)
    names = set()
    for part in parts:
        for fonts in part.iter(qn("w:rFonts")):
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
                if fonts.get(qn(attr)):
                    names.add(fonts.get(qn(attr)))
    return names


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_word_file_keeps_official_faces_that_map_to_simplified_chinese(printed, kind):
    names = _face_names(printed[kind]["docx"])
    assert names & {"宋体", "仿宋_GB2312", "方正小标宋简体", "黑体"}, names
    env = {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF)}
    for name in sorted(names):
        family = subprocess.run(
            ["fc-match", "-f", "%{family[0]}", name],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        # Courier of Word's unused built-in styles lands on Noto Sans Mono CJK SC.
        assert re.fullmatch(r"Noto (Serif|Sans|Sans Mono) CJK SC", family), (name, family)


def test_the_official_face_names_print_with_the_simplified_chinese_glyphs():
    """The PDF names every face of a Noto CJK collection after its first (JP) face, so the
    face LibreOffice used shows in which embedded font object a glyph comes from: the official
    names must share the SC face's object, not the JP or KR one (whose glyph forms differ)."""
    if libreoffice() is None:
        pytest.fail("LibreOffice (soffice) is not installed: run `make system-deps`")
    faces = {
        "serif": ["宋体", "仿宋_GB2312", "方正小标宋简体", "SimSun", "FangSong", "Times New Roman"],
        "sans": ["黑体", "SimHei"],
    }
    probes = {
        "serif": ["Noto Serif CJK SC", "Noto Serif CJK JP", "Noto Serif CJK KR"],
        "sans": ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR"],
    }
    order = [f for group in ("serif", "sans") for f in faces[group] + probes[group]]
    doc = Document()
    for face in order:
        run = doc.add_paragraph().add_run("说直骨角")
        run.font.name = face
        run._element.rPr.rFonts.set(qn("w:eastAsia"), face)
    buffer = io.BytesIO()
    doc.save(buffer)
    pdf = to_pdf(buffer.getvalue())
    assert pdf is not None
    with pdfplumber.open(io.BytesIO(pdf)) as printed_probe:
        chars = printed_probe.pages[0].chars
    font_of = {
        face: {c["fontname"] for c in chars[i * 4 : i * 4 + 4]} for i, face in enumerate(order)
    }
    for group in ("serif", "sans"):
        sc, jp, kr = (font_of[p] for p in probes[group])
        assert sc != jp and sc != kr and len(sc) == 1
        for face in faces[group]:
            assert font_of[face] == sc, (face, font_of[face], sc)


PAGE_NUMBER = re.compile(r"^—(\d+)—$")
#: The 版记's height: two 10 mm rows (scripts/make_templates.py::official_record).
RECORD_MM = 20


def _blank(page: dict[str, Any]) -> bool:
    return not any(c["text"].strip() for c in page["chars"])


def _record_top(page: dict[str, Any]) -> float | None:
    """Where the 版记 starts on ``page`` (its 抄送 line), if it is there."""
    tops = [w["top"] for w in page["words"] if w["text"].startswith("抄送：")]
    return min(tops) if tops else None


def _body_words(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The words of the body on ``page``: neither the 版记, the page number nor the 草稿 mark."""
    top = _record_top(page)
    limit = top - 3 if top is not None else page["height"] - 90
    return [
        w
        for w in page["words"]
        if w["bottom"] < limit and "草稿" not in w["text"] and w["top"] > 60
    ]


def _unnumbered(pages: list[dict[str, Any]]) -> set[int]:
    """Pages (1-based) that carry no number in a document closing with a 版记 (§7.5): a blank
    page, and the page of a 版记 standing alone; a 版记 at the foot of the body's last page
    leaves that page its number (the standard's 末页 figures)."""
    out = {n for n, page in enumerate(pages, 1) if _blank(page)}
    if not _body_words(pages[-1]):
        out.add(len(pages))
    return out


#: The kinds that close with a 版记 (GB/T 9704-2012 §7.4): the 通报.
WITH_RECORD = ("notice", "results")
MM = 72 / 25.4


def _foot_number(page: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The characters of the page number at the foot of a portrait page, if there is one."""
    rows: list[list[dict[str, Any]]] = []
    bottom = [c for c in page["chars"] if c["top"] > page["height"] - 100 and c["text"].strip()]
    for ch in sorted(bottom, key=lambda c: (round(c["top"]), c["x0"])):
        if rows and abs(rows[-1][0]["top"] - ch["top"]) < 2:
            rows[-1].append(ch)
        else:
            rows.append([ch])
    found = [
        row
        for row in rows
        if PAGE_NUMBER.match("".join(c["text"] for c in sorted(row, key=lambda c: c["x0"])))
    ]
    assert len(found) <= 1, _lines(bottom)
    return found[0] if found else None


def _turned_number(page: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The characters of a landscape page's number: in the left margin, read top to bottom."""
    edge = [c for c in page["chars"] if c["x1"] < 15 * MM and c["text"].strip()]
    text = "".join(c["text"] for c in sorted(edge, key=lambda c: c["top"]))
    return edge if edge and PAGE_NUMBER.match(text) else None


@pytest.mark.parametrize("kind", list(KINDS))
def test_page_numbers_on_every_page_odd_right_even_left(printed, kind):
    """GB/T 9704-2012 §7.5: "一般用4号半角宋体阿拉伯数字，编排在公文版心下边缘之下，数字左右各
    放一条一字线…单页码居右空一字，双页码居左空一字"; "公文的版记页前有空白页的，空白页和版记页
    均不编排页码"."""
    pages = printed[kind]["pages"]
    low, high = KINDS[kind][3]
    assert low <= len(pages) <= high, (kind, len(pages))
    portrait = pages[0]["width"] < pages[0]["height"]
    unnumbered = _unnumbered(pages) if kind in WITH_RECORD else set()
    for n, page in enumerate(pages, 1):
        if n in unnumbered:
            assert _foot_number(page) is None, (
                kind,
                n,
                "a blank or 版记-only page is not numbered",
            )
            continue
        if portrait and page["width"] > page["height"]:
            digits = _turned_number(page)  # a 附表 of the document (next test)
        else:
            digits = _foot_number(page)
            assert digits is not None, (kind, n)
            centre = (min(c["x0"] for c in digits) + max(c["x1"] for c in digits)) / 2
            if n % 2:
                assert centre > page["width"] * 0.75, (kind, n, "odd page number not on the right")
            else:
                assert centre < page["width"] * 0.25, (kind, n, "even page number not on the left")
        assert digits is not None, (kind, n)
        assert "".join(c["text"] for c in digits if c["text"].isdigit()) == str(n), (kind, n)
        if digits[0]["upright"]:  # the turned number's size: the Word file's (next test)
            sizes = {round(c["size"]) for c in digits}
            assert sizes == {14}, (kind, n, sizes)  # 4号


@pytest.mark.parametrize("kind", ["quarterly", "annual"])
def test_landscape_forms_number_their_pages_where_a_portrait_page_does(printed, kind):
    """GB/T 9704-2012 §10.1 横排表格: "A4纸型的表格横排时，页码位置与公文其他页码保持一致，单页码
    表头在订口一边，双页码表头在切口一边".  The table's head lies on the portrait page's left edge
    (the binding side of an odd page, the cut side of an even one), so its foot is the landscape
    page's left edge: the number stands there, turned with the sheet (read top to bottom), near
    the lower corner on an odd page (the portrait page's right) and the upper on an even one."""
    pages = printed[kind]["pages"]
    landscape = [(n, p) for n, p in enumerate(pages, 1) if p["width"] > p["height"]]
    assert len(landscape) >= 6, kind
    doc = Document(io.BytesIO(printed[kind]["docx"]))
    for section in doc.sections[1:]:
        for footer in (section.footer, section.even_page_footer):
            boxes = footer._element.findall(".//" + qn("w:txbxContent"))
            assert len(boxes) == 1, "one turned number a footer"
            sizes = {el.get(qn("w:val")) for el in boxes[0].iter(qn("w:sz"))}
            assert sizes == {"28"}, sizes  # 4号 = 14 pt, in half points
            assert any("PAGE" in (el.text or "") for el in boxes[0].iter(qn("w:instrText")))
    for n, page in landscape:
        digits = _turned_number(page)
        assert digits is not None, (kind, n, "no turned page number in the left margin")
        assert not any(c["upright"] for c in digits), (kind, n, "the number is not turned")
        assert not [c for c in page["chars"] if c["top"] > page["height"] - 15 * MM], (
            kind,
            n,
            "nothing at the landscape page's foot",
        )
        middle = (min(c["top"] for c in digits) + max(c["bottom"] for c in digits)) / 2
        if n % 2:
            assert middle > page["height"] * 0.6, (kind, n, "odd: near the lower corner")
        else:
            assert middle < page["height"] * 0.4, (kind, n, "even: near the upper corner")


@pytest.mark.parametrize("kind", WITH_RECORD)
def test_a_notice_closes_with_its_record_on_the_last_page(printed, kind):
    """GB/T 9704-2012 §7.4 版记: 抄送机关, 印发机关和印发日期 between separator lines as wide as the
    type area, the first and last thick (0.35 mm) and the middle thin (0.25 mm), the last on the
    type area's lower edge of the last page, an even page."""
    ctx = KINDS[kind][1]()
    with pdfplumber.open(io.BytesIO(printed[kind]["pdf"])) as doc:
        rules = sorted(
            (line for line in doc.pages[-1].lines if abs(line["top"] - line["bottom"]) < 1),
            key=lambda line: line["top"],
        )
    pages = printed[kind]["pages"]
    page = pages[-1]
    assert len(pages) % 2 == 0, (kind, len(pages), "the 版记 is on an even page")
    top = _record_top(page)
    assert top is not None, (kind, "no 版记 on the last page")
    record = [w["text"] for w in page["words"] if top - 1 <= w["top"] < rules[-1]["top"]]
    date = ctx.get("issued_date") or ctx["approved_date"]
    assert f"{date}印发".replace(" ", "") in "".join(record)
    assert "河南省住房和城乡建设厅办公室" in record
    assert [n for n, p in enumerate(pages, 1) if _record_top(p) is not None] == [len(pages)]
    type_width = (210 - 28 - 26) * MM
    assert len(rules) == 3, rules
    for rule in rules:
        assert abs((rule["x1"] - rule["x0"]) - type_width) < 3, rule
    widths = [round(rule["linewidth"], 2) for rule in rules]
    assert widths[0] == widths[2] > widths[1], widths  # thick, thin, thick
    lower_edge = (297 - 35) * MM
    assert abs(rules[-1]["top"] - lower_edge) < 1.5 * MM, (rules[-1]["top"], lower_edge)
    assert all(w["bottom"] <= rules[0]["top"] for w in _body_words(page))


#: Notices of three lengths (commended people of the 报送工作通报, ranked units of the 考核结果
#: 通报) whose body ends: on an even page with room for the 版记 (it sits at that page's foot);
#: on an odd page (the 版记 takes the next, even, page alone); on an even page too full for it
#: (a blank page, then the 版记 alone: the one case where the blank page is needed).
RECORD_CASES = [("notice", 24, "shared"), ("notice", 36, "alone"), ("results", 25, "blank")]


def _sized(kind: str, size: int) -> dict[str, Any]:
    ctx = KINDS[kind][1]()
    if kind == "notice":
        ctx["commend_people"] = [{"name": "张三", "org_name": UNITS[i % 28]} for i in range(size)]
    else:
        ctx["rows"] = [
            {"rank": i, "org_name": UNITS[i % 28], "total": "95.5", "result": "先进单位"}
            for i in range(1, size + 1)
        ]
    return ctx


@pytest.mark.parametrize(("kind", "size", "layout"), RECORD_CASES)
def test_the_record_takes_the_last_even_page_and_no_needless_blank_one(kind, size, layout):
    """GB/T 9704-2012 §7.4: the 版记 on the document's last face (an even page), at its foot;
    §7.5: "公文的版记页前有空白页的，空白页和版记页均不编排页码".  ``render_docx`` lays the
    notice out once to choose: the body's last page when it is even and has room, else a page of
    its own starting on an even page; a blank page only when the body ends on a full even page."""
    docx = render_docx(TEMPLATES / KINDS[kind][0], _sized(kind, size), timeout=60)
    pdf = to_pdf(docx, timeout=180)
    assert pdf is not None
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        pages = [
            {"chars": p.chars, "words": p.extract_words(), "height": p.height} for p in doc.pages
        ]
    count = len(pages)
    assert count % 2 == 0, (kind, size, count)
    assert [n for n, p in enumerate(pages, 1) if _record_top(p) is not None] == [count]
    blank = [n for n, p in enumerate(pages, 1) if _blank(p)]
    shared = bool(_body_words(pages[-1]))
    found = "shared" if shared else ("blank" if blank else "alone")
    assert found == layout, (kind, size, found)
    assert blank in ([], [count - 1]), blank
    if blank:  # needed only when the body's even last page has no room for the 版记
        lowest = max(w["bottom"] for w in _body_words(pages[count - 3]))
        assert lowest > (297 - 35 - RECORD_MM - 3) * MM, (kind, size, "a needless blank page")
    for n, page in enumerate(pages, 1):
        number = _foot_number(page)
        if n in blank or (n == count and not shared):
            assert number is None, (kind, size, n, "no page number here (§7.5)")
        else:
            assert number is not None, (kind, size, n)
            assert "".join(c["text"] for c in number if c["text"].isdigit()) == str(n)
    start = Document(io.BytesIO(docx)).sections[-1]._sectPr.find(qn("w:type"))
    assert start.get(qn("w:val")) == ("nextPage" if shared else "evenPage")


@pytest.mark.parametrize("kind", WITH_RECORD)
def test_a_record_page_of_its_own_starts_even_without_a_page_number(kind):
    """With ``record_alone`` the 版记 is a last section starting on an even page (Word and
    LibreOffice insert the blank page when needed), its footers empty (§7.5); without it the
    document is one section less, numbered to its end."""
    template, ctx = TEMPLATES / KINDS[kind][0], KINDS[kind][1]()
    alone = Document(io.BytesIO(render_docx(template, {**ctx, "record_alone": True})))
    last = alone.sections[-1]
    start = last._sectPr.find(qn("w:type"))
    assert start is not None and start.get(qn("w:val")) == "evenPage"
    for footer in (last.footer, last.even_page_footer):
        assert not footer.is_linked_to_previous
        assert not footer._element.xpath(".//w:fldChar | .//w:instrText")
        assert not "".join(p.text for p in footer.paragraphs).strip()
    shared = Document(io.BytesIO(render_docx(template, {**ctx, "record_alone": False})))
    assert len(shared.sections) == len(alone.sections) - 1
    for footer in (shared.sections[-1].footer, shared.sections[-1].even_page_footer):
        assert footer._element.xpath(".//w:instrText")  # the PAGE field


NUMBER_CHARS = set("0123456789.%-:")


def _figure_split(upper: str, lower: str) -> bool:
    """Whether a figure breaks between the line ``upper`` and the next, ``lower``: inside the
    number ("1730" / "05.13"), from its percent sign, or from its unit ("死亡0" / "人，",
    "1730" / "万㎡", "12万" / "㎡")."""
    if not (upper and lower) or PAGE_NUMBER.match(lower) or PAGE_NUMBER.match(upper):
        return False
    if upper[-1] in NUMBER_CHARS and lower[0] in NUMBER_CHARS:
        return True
    if upper[-1].isdigit() and FIGURE_UNIT.match("0" + lower):
        return True
    return re.search(r"\d万$", upper) is not None and lower[0] in "㎡元"


#: A cell that holds a figure, a date or a registration number (not prose).
FIGURE = re.compile(r"[0-9A-Za-z.%:\-—/]+")


#: The kinds with tables (the reporting notice is prose only).
TABLED = [kind for kind in KINDS if kind != "notice"]


@pytest.mark.parametrize("kind", TABLED)
def test_no_number_breaks_inside_a_table_cell(printed, kind):
    broken = []
    cells = 0
    for n, page in enumerate(printed[kind]["pages"], 1):
        for lines in page["cells"]:
            cells += FIGURE.fullmatch("".join(lines).replace(" ", "")) is not None
            for upper, lower in zip(lines, lines[1:], strict=False):
                if _figure_split(upper.replace(" ", ""), lower.replace(" ", "")):
                    broken.append((n, upper, lower))
    assert cells, f"{kind}: no figure found in a table of the PDF"
    assert not broken, f"{kind}: numbers split across lines in cells: {broken[:10]}"


def _checklist(kind: str) -> dict[str, Any]:
    """What the "done when" list of issue 17 asks of ``kind``, as the PDF must print it: the title
    (as ``title_lines`` breaks it, at the template's characters a line), the 成文日期, where the
    seal goes (填表单位（公章）, 发布单位, or a 通报's 署名 over its 成文日期) and the signature
    lines (填表人 / 批准人, the 考核组组长's line); each an exact line of the PDF."""
    ctx = KINDS[kind][1]()
    if kind in ("quarterly", "annual"):
        return {
            "title": title_lines(ctx["title"], 20),
            "date": ctx["report_date"],
            "seal": [f"填表单位（公章）：{ctx['unit']}"],
            "signatures": [f"填表人：{ctx['clerk']}", f"批准人：{ctx['approver']}"],
        }
    if kind == "public":
        return {
            "title": title_lines(ctx["title"], 20),
            "date": ctx["publication_date"],
            "seal": [f"发布单位：{ctx['unit']}", f"发布日期：{ctx['publication_date']}"],
            "signatures": [],
        }
    if kind in WITH_RECORD:  # a 通报: signed by the department, no 填表人 / 批准人
        title = (
            f"关于{ctx['year']}年度工程质量分析报告报送工作的通报"
            if kind == "notice"
            else f"关于{ctx['year']}年度{ctx['title']}结果的通报"
        )
        date = ctx.get("issued_date") or ctx["approved_date"]
        return {
            "title": title_lines(title, 20),
            "date": date,
            "seal": ["河南省住房和城乡建设厅", date],
            "signatures": [],
        }
    return {  # the 考核评分表
        "title": [ctx["sheet_name"]],
        "date": ctx["date"],
        "seal": [f"考核单位：{ctx['unit']}"],
        "signatures": [f"{ctx['sign_label']}：____________日期：{ctx['date']}"],
    }


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_prints_its_title_date_seal_place_and_signatures(printed, kind):
    """The checklist's items read from the PDF: the title first (after the 草稿 mark of a draft),
    broken only between words; the 成文日期; the seal's place, where a 通报's 署名 and 成文日期
    stand together on a page with the body's text (GB/T 9704-2012 §7.3.5, never alone); the
    signature lines whole; the 版记 in the two 通报 only."""
    pages = printed[kind]["pages"]
    items = _checklist(kind)
    first = [line.replace(" ", "") for line in pages[0]["lines"]]
    offset = 1 if KINDS[kind][2] else 0  # the 草稿 header line comes first
    assert first[offset : offset + len(items["title"])] == items["title"], (kind, first[:4])
    lines = [[line.replace(" ", "") for line in page["lines"]] for page in pages]
    text = [line for page in lines for line in page]
    assert any(items["date"].replace(" ", "") in line for line in text), (kind, "成文日期")
    for line in items["signatures"]:
        assert line in text, (kind, line)
    seal = [line.replace(" ", "") for line in items["seal"]]
    for page_lines in lines:
        at = [
            i
            for i in range(len(page_lines) - len(seal) + 1)
            if all(page_lines[i + k].startswith(part) for k, part in enumerate(seal))
        ]
        if at:
            assert kind not in WITH_RECORD or at[0] > 0, (  # the body's text above them
                kind,
                "the 署名 and 成文日期 stand alone on their page",
            )
            break
    else:
        raise AssertionError((kind, "no seal place", seal))
    records = [n for n, page in enumerate(pages, 1) if _record_top(page) is not None]
    assert records == ([len(pages)] if kind in WITH_RECORD else []), (kind, records)


@pytest.fixture(scope="module")
def flipped() -> dict[str, list[list[str]]]:
    """Every kind printed in its other state (a final document as a draft, a draft as final):
    the text lines of each page."""

    def lines(kind: str) -> list[list[str]]:
        pdf = to_pdf(_render(kind, draft=not KINDS[kind][2]), timeout=180)
        assert pdf is not None
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            return [page.extract_text().splitlines() for page in doc.pages]

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(KINDS, pool.map(lines, KINDS), strict=True))


def test_the_draft_mark_is_on_every_page_of_a_draft_only(printed, flipped):
    """草稿 on every page until the document is frozen, on none after: every kind both ways."""
    for kind, (_template, _factory, draft, _pages) in KINDS.items():
        for page in printed[kind]["pages"]:
            assert any("草稿" in line for line in page["lines"]) == draft, (kind, draft)
        for page_lines in flipped[kind]:
            assert any("草稿" in line for line in page_lines) != draft, (kind, not draft)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_word_file_marks_a_draft_in_its_header(kind):
    for draft in (True, False):
        doc = Document(io.BytesIO(_render(kind, draft)))
        for section in doc.sections:
            for header in (section.header, section.even_page_header):
                text = "".join(p.text for p in header.paragraphs)
                assert ("草稿" in text) == draft, (kind, draft, text)


@pytest.mark.parametrize("kind", TABLED)
def test_table_rows_never_split_and_headers_repeat(printed, kind):
    doc = Document(io.BytesIO(printed[kind]["docx"]))
    assert doc.tables
    for table in doc.tables:
        if table.rows[0].cells[0].text.startswith("抄送："):
            continue  # the 版记 (its own test)
        rows = table._tbl.tr_lst
        assert all(
            tr.trPr is not None and tr.trPr.find(qn("w:cantSplit")) is not None for tr in rows
        )
        assert rows[0].trPr.find(qn("w:tblHeader")) is not None


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_figure_breaks_across_lines_of_the_prose(printed, kind):
    """Figures in the prose stay whole: no break inside a number, nor between it and its percent
    sign or its unit ("12345.67万㎡", "100.00%", "死亡0人"): the Latin-script language of the
    documents is en-US, so LibreOffice breaks a number as a word, and ``to_pdf`` joins a figure
    to its unit (webapp/documents/figures.py).  Tables are checked cell by cell above, and the
    landscape 附表 of a portrait document with them."""
    broken = []
    figures = 0
    pages = printed[kind]["pages"]
    portrait = pages[0]["width"] < pages[0]["height"]
    for n, page in enumerate(pages, 1):
        if portrait and page["width"] > page["height"]:
            continue
        lines = [line.replace(" ", "") for line in page["prose"]]
        figures += sum(
            len(re.findall(r"\d[\d.]*[%万㎡元项件人份年月日分]", line)) for line in lines
        )
        for upper, lower in zip(lines, lines[1:], strict=False):
            if _figure_split(upper, lower):
                broken.append((n, upper, lower))
    assert figures, f"{kind}: no figure in the prose to check"
    assert not broken, broken[:5]
