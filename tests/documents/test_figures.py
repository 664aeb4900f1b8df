"""A figure and its unit on one line in the PDF (webapp/documents/figures.py, issue 17)."""

from __future__ import annotations

import io
import re

import pdfplumber
import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from lxml import etree

from webapp.documents import render, to_pdf
from webapp.documents.figures import WORD_JOINER, keep_figures_together, keep_part
from webapp.documents.render import libreoffice

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = f'xmlns:w="{W}"'


def _part(*runs: str) -> bytes:
    body = "".join(runs)
    return f"<w:document {NS}><w:body><w:p>{body}</w:p></w:body></w:document>".encode()


def _runs(xml: bytes) -> list[tuple[str, str | None]]:
    root = etree.fromstring(xml)
    out = []
    for run in root.iter(f"{{{W}}}r"):
        lang = run.find(f"{{{W}}}rPr/{{{W}}}lang")
        text = "".join(t.text or "" for t in run.iter(f"{{{W}}}t"))
        out.append((text, None if lang is None else lang.get(f"{{{W}}}eastAsia")))
    return out


def test_a_figure_moves_into_a_run_of_its_own_joined_to_its_unit():
    text = "事故1起，死亡0人，面积12345.67万㎡。"
    run = f'<w:r><w:rPr><w:sz w:val="32"/></w:rPr><w:t>{text}</w:t></w:r>'
    runs = _runs(keep_part(_part(run)))
    assert runs == [
        ("事故", None),
        (f"1{WORD_JOINER}起", "en-US"),
        ("，死亡", None),
        (f"0{WORD_JOINER}人", "en-US"),
        ("，面积", None),
        (f"12345.67{WORD_JOINER}万{WORD_JOINER}㎡", "en-US"),
        ("。", None),
    ]
    root = etree.fromstring(keep_part(_part(run)))
    assert all(r.find(f"{{{W}}}rPr/{{{W}}}sz") is not None for r in root.iter(f"{{{W}}}r"))


def test_a_space_before_the_unit_becomes_a_no_break_space_and_other_runs_stay():
    runs = _runs(keep_part(_part("<w:r><w:t>首报逾期 1 份</w:t></w:r>")))
    assert runs == [("首报逾期 ", None), ("1\u00a0份", "en-US")]
    plain = _part("<w:r><w:t>郑州市</w:t></w:r>", "<w:r><w:t>1</w:t><w:tab/><w:t>人</w:t></w:r>")
    assert keep_part(plain) == plain  # no figure, or not a plain text run: unchanged


def _probe() -> bytes:
    """Thirty paragraphs that put "死亡0人，" at every place of a line's end."""
    doc = Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Mm(30)
    for k in range(30):
        run = doc.add_paragraph().add_run(f"{k:02d}" + "啊" * k + "，死亡0人，直接" + "啊" * 30)
        run.font.size = Pt(16)
        fonts = OxmlElement("w:rFonts")
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
            fonts.set(qn(attr), "宋体")
        run._element.get_or_add_rPr().insert(0, fonts)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _splits(pdf: bytes) -> list[tuple[str, str]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        lines = [line.replace(" ", "") for p in doc.pages for line in p.extract_text().splitlines()]
    return [
        (a, b)
        for a, b in zip(lines, lines[1:], strict=False)
        if re.search(r"0$", a) and b[:1] == "人"
    ]


def test_libreoffice_breaks_a_figure_from_its_unit_unless_joined(monkeypatch):
    """The reason for the module: LibreOffice's Chinese line breaking leaves "死亡0" at a line's
    end and "人，" on the next; ``to_pdf`` (which joins them) keeps them together."""
    if libreoffice() is None:
        pytest.fail("LibreOffice (soffice) is not installed: run `make system-deps`")
    docx = _probe()
    pdf = to_pdf(docx)
    assert pdf is not None
    assert _splits(pdf) == []
    monkeypatch.setattr(render, "keep_figures_together", lambda data: data)
    unjoined = to_pdf(docx)
    assert unjoined is not None
    assert _splits(unjoined), "LibreOffice no longer splits: figures.py may be unnecessary"
    assert keep_figures_together(docx) != docx
