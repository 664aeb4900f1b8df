"""A number kept on one line with its unit in the printed PDF (issue 17).

LibreOffice breaks a line of Chinese text with its CJK break iterator, which may break between
any two characters but those its forbidden-character rules name: when a line ends just before a
closing mark (``死亡0人，``), it moves the break back one character and leaves ``死亡0`` on one
line and ``人，`` on the next, ignoring a WORD JOINER, a no-break space or the Word file's
``w:noLineBreaksBefore`` (all tried).  A run whose East Asian language is en-US is broken with
the Unicode rules (UAX #14) instead, which keep a WORD JOINER's neighbours together.

So before a Word file is converted, every figure followed by its unit (``0人``, ``12345.67万㎡``,
``100.00%``, ``2026年``) is moved into a run of its own, East Asian language en-US, with a WORD
JOINER (U+2060, zero width, not printed) between its characters' groups.  Only the copy handed
to LibreOffice is changed: the Word file a user downloads keeps its text as rendered.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WORD_JOINER = "\u2060"
#: A figure and the unit that follows it, directly or after a space: 万㎡ / 万元 / 亿元 / 平方米
#: whole, or one ideograph (人, 项, 起, 年, 分 ...), ㎡, a percent or per-mille sign.
FIGURE_UNIT = re.compile(
    r"(\d[\d.,]*)([ \u00a0]?)(万㎡|万元|亿元|平方米|[%‰％㎡\u3400-\u4dbf\u4e00-\u9fff])"
)
#: The parts that hold text: the body, headers, footers, notes.
TEXT_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
#: Elements of w:rPr that follow w:lang in the schema's sequence.
AFTER_LANG = ("eastAsianLayout", "specVanish", "oMath")


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def joined(figure: str, space: str, unit: str) -> str:
    """``figure`` and ``unit`` with a WORD JOINER between each of their groups (a space between
    them becomes a no-break space)."""
    return figure + ("\u00a0" if space else WORD_JOINER) + WORD_JOINER.join(unit)


def _figure_run(run: etree._Element, text: str) -> etree._Element:
    """A copy of ``run`` (its properties) holding ``text``, East Asian language en-US."""
    new = etree.Element(_w("r"))
    rpr = run.find(_w("rPr"))
    rpr = copy.deepcopy(rpr) if rpr is not None else etree.Element(_w("rPr"))
    new.append(rpr)
    lang = rpr.find(_w("lang"))
    if lang is None:
        lang = etree.Element(_w("lang"))
        following = [rpr.find(_w(tag)) for tag in AFTER_LANG]
        following = [el for el in following if el is not None]
        if following:
            following[0].addprevious(lang)
        else:
            rpr.append(lang)
    lang.set(_w("eastAsia"), "en-US")
    t = etree.SubElement(new, _w("t"))
    t.text = text
    return new


def _plain_run(run: etree._Element, text: str) -> etree._Element:
    new = copy.deepcopy(run)
    t = new.find(_w("t"))
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return new


def _split_run(run: etree._Element) -> bool:
    """Split ``run`` around its figures; False when it has none (or is not a plain text run)."""
    content = [child for child in run if child.tag != _w("rPr")]
    if len(content) != 1 or content[0].tag != _w("t") or not content[0].text:
        return False
    text = content[0].text
    if FIGURE_UNIT.search(text) is None:
        return False
    pieces: list[etree._Element] = []
    start = 0
    for match in FIGURE_UNIT.finditer(text):
        if match.start() > start:
            pieces.append(_plain_run(run, text[start : match.start()]))
        pieces.append(_figure_run(run, joined(*match.groups())))
        start = match.end()
    if start < len(text):
        pieces.append(_plain_run(run, text[start:]))
    for piece in pieces:
        run.addprevious(piece)
    run.getparent().remove(run)
    return True


def keep_part(xml: bytes) -> bytes:
    """One part's XML with its figures joined to their units (unchanged if it has none)."""
    root = etree.fromstring(xml)
    changed = False
    for run in list(root.iter(_w("r"))):
        changed |= _split_run(run)
    if not changed:
        return xml
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def keep_figures_together(docx: bytes) -> bytes:
    """``docx`` with every figure joined to its unit (for LibreOffice's conversion only)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if TEXT_PARTS.match(item.filename):
                data = keep_part(data)
            dst.writestr(item, data)
    return out.getvalue()
