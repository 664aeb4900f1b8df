r"""Text typed by users must not carry invisible bidirectional controls.

U+202E (RIGHT-TO-LEFT OVERRIDE) and its kin reorder what follows them: "工程\u202e名称" prints
reversed in the Word document and the PDF, and a file name can be made to look like another
(``报告\u202excod.exe``).  Chinese official documents never need them, so they are refused,
with a message naming the character, wherever user text comes in: every form field, JSON value
and uploaded file name at the request edge (pages and API alike), and every text cell of an
Excel import.  One rule, :func:`bidi_problem`, serves all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from webapp.core.errors import InvalidInput

#: LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM, ALM.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
REASON = (
    "含有不可见的文字方向控制字符（{codes}），会使文字在文书和 PDF 中颠倒显示，请删除后重新输入"
)


def bidi_problem(text: str) -> str | None:
    """The Chinese reason ``text`` is refused, or None when it carries no bidi control."""
    found = sorted({f"U+{ord(c):04X}" for c in BIDI_CONTROLS.findall(text)})
    return REASON.format(codes="、".join(found)) if found else None


def refuse_bidi(text: str, label: str) -> None:
    """Raise InvalidInput naming ``label`` when ``text`` carries a bidi control."""
    problem = bidi_problem(text)
    if problem:
        raise InvalidInput(f"{label}{problem}。", details={label: problem})


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, str(key)
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def refuse_bidi_in_request(form: Any, files: Any, json_body: Any) -> None:
    """The edge's check of a request: form fields, uploaded file names, JSON strings."""
    for name, value in form.items(multi=True):
        refuse_bidi(value, f"提交的内容（{name}）")
    for name, upload in files.items(multi=True):
        refuse_bidi(upload.filename or "", f"上传文件名（{name}）")
    for path, value in _strings(json_body, ""):
        refuse_bidi(value, f"提交的内容（{path or '请求'}）")
