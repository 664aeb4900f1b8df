"""Characters that our text cannot hold, and where they hide in nested input.

PostgreSQL's ``text`` refuses NUL (0x00): a query parameter or JSON string carrying one raised
``DataError`` deep in a query and became a 500, while SQLite stored it happily.  Our text also
ends up in XML (Word documents, Excel exports), and XML 1.0 cannot hold the other C0 control
characters either (tab, LF and CR excepted), nor the noncharacters U+FFFE and U+FFFF.  A lone
surrogate (JSON's ``"\\ud800"`` decodes to one) cannot be encoded as UTF-8 at all.  So the
request edge refuses all of them before anything reads the database.

Bidirectional controls are refused too, for another reason: U+202E (RIGHT-TO-LEFT OVERRIDE)
and its kin reorder what follows them, so "工程<RLO>名称" prints reversed in the Word document
and the PDF, and a file name can be made to look like another (``报告<RLO>xcod.exe``).  Chinese
official documents never need them.  They are refused, with a message naming the character,
wherever user text comes in: every form field, JSON value and uploaded file name at the request
edge (pages and API alike), and every text cell of an Excel import.  One rule,
:func:`bidi_problem`, serves all of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from flask.json.provider import DefaultJSONProvider

#: C0 controls except tab (09), LF (0A) and CR (0D); surrogates; U+FFFE and U+FFFF.
UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def is_unfit(value: str) -> bool:
    """True when ``value`` holds a character that text fields cannot store."""
    return UNFIT.search(value) is not None


#: Line breaks: CR, LF and the ones Unicode adds (NEL, U+2028, U+2029; VT and FF are UNFIT).
LINE_BREAK = re.compile("[\r\n\x85\u2028\u2029]")


def is_unfit_name(value: str) -> bool:
    """True for an uploaded file name our text cannot store or that is not one line.  A file's
    name goes into its download's ``Content-Disposition`` header, which cannot hold a line
    break: an evidence file uploaded as ``"a\\nb.pdf"`` could never be downloaded (a 500)."""
    return is_unfit(value) or LINE_BREAK.search(value) is not None


def one_line(value: str) -> str:
    """``value`` fit for a header line (a mail's subject, a download's file name): every run of
    white space, line breaks included, becomes one space."""
    return " ".join(value.split())


def shown(value: str, limit: int = 60) -> str:
    """``value`` fit to show in a message: unfit characters as ``\\u0000`` escapes, shortened."""
    escaped = UNFIT.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def json_paths_where(value: Any, bad: Callable[[str], bool]) -> Iterator[str]:
    """Dotted paths (``items.0.name``) of every key or string in a decoded JSON document for
    which ``bad`` holds; a key is named by its own path (and its value is not walked).
    Iterative, so that a deeply nested document cannot exhaust the stack."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            if bad(node):
                yield path
            continue
        children: list[tuple[str, Any]] = []
        if isinstance(node, dict):
            for key, child in node.items():
                child_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and bad(key):
                    yield child_path
                else:
                    children.append((child_path, child))
        elif isinstance(node, list):
            children = [(f"{path}.{i}" if path else str(i), c) for i, c in enumerate(node)]
        stack.extend(reversed(children))  # depth first, in document order


def unfit_json_paths(value: Any) -> Iterator[str]:
    """Paths of every key or string of a decoded JSON document holding an unfit character."""
    return json_paths_where(value, is_unfit)


#: How deep a JSON document may nest: our forms go three or four levels down; deeper input only
#: serves to exhaust a recursive reader (the JSON decoder itself, JSON Schema validation).
MAX_JSON_DEPTH = 32
TOO_DEEP = f"请求内容的嵌套层数超过 {MAX_JSON_DEPTH} 层，无法处理，请检查后重试。"


def json_depth(value: Any) -> int:
    """How many containers deep a decoded JSON document nests (a scalar is 0).  Iterative."""
    deepest = 0
    stack: list[tuple[int, Any]] = [(0, value)]
    while stack:
        depth, node = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth + 1)
            stack.extend((depth + 1, child) for child in node)
    return deepest


#: The longest string a JSON body may carry anywhere: the backstop behind each schema's own
#: bound, for the strings of free-form objects (a task's data, a ledger row's fields).  Above
#: every field's own bound (the longest, a report's narrative section, is 20,000 characters), so
#: that a field's own refusal answers first, with its own words (the drafts' "未被截断").
MAX_JSON_TEXT = 50000


def long_json_paths(value: Any, limit: int = MAX_JSON_TEXT) -> Iterator[str]:
    """Paths of every key or string of a decoded JSON document longer than ``limit``."""
    return json_paths_where(value, lambda text: len(text) > limit)


def file_json_problem(value: Any) -> str | None:
    """Why a JSON document read from an uploaded file (not a request body, which the request
    edge checks) cannot be kept: nested too deep, or a key or string holding a character our
    text cannot store or a bidi control; None when it is fit.  The same rules as the edge."""
    if json_depth(value) > MAX_JSON_DEPTH:
        return f"文件内容的嵌套层数超过 {MAX_JSON_DEPTH} 层"
    for path in unfit_json_paths(value):
        return f"文件中“{shown(path)}”包含不允许的控制字符（如 NUL）"
    for path, problem in bidi_json_paths(value):
        return f"文件中“{shown(path)}”{problem}"
    return None


#: LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM, ALM.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
REASON = (
    "含有不可见的文字方向控制字符（{codes}），会使文字在文书和 PDF 中颠倒显示，请删除后重新输入"
)


def bidi_problem(text: str) -> str | None:
    """The Chinese reason ``text`` is refused, or None when it carries no bidi control."""
    found = sorted({f"U+{ord(c):04X}" for c in BIDI_CONTROLS.findall(text)})
    return REASON.format(codes="、".join(found)) if found else None


def bidi_json_paths(value: Any) -> Iterator[tuple[str, str]]:
    """(dotted path, reason) of every key or string of a decoded JSON document holding a bidi
    control; a key is named by its own path.  Iterative, as :func:`unfit_json_paths`."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            problem = bidi_problem(node)
            if problem:
                yield path, problem
            continue
        children: list[tuple[str, Any]] = []
        if isinstance(node, dict):
            for key, child in node.items():
                child_path = f"{path}.{key}" if path else str(key)
                problem = bidi_problem(key) if isinstance(key, str) else None
                if problem:
                    yield child_path, problem
                else:
                    children.append((child_path, child))
        elif isinstance(node, list):
            children = [(f"{path}.{i}" if path else str(i), c) for i, c in enumerate(node)]
        stack.extend(reversed(children))


#: A JSON ``\\uXXXX`` escape of an unfit character (:data:`UNFIT`) or a bidi control
#: (:data:`BIDI_CONTROLS`); surrogates are all caught, a valid pair too (then the walks decide).
_ESCAPED_PROBLEM = re.compile(
    r"\\u(?:000[0-8bcef]|001[0-9a-f]|d[89a-f][0-9a-f]{2}|fff[ef]|202[a-e]|206[6-9]|200[ef]|061c)",
    re.IGNORECASE,
)


def plainly_fit_json(raw: str) -> bool:
    """True when the text of a JSON body shows that the document it decodes to holds nothing
    :func:`json_depth`, :func:`long_json_paths`, :func:`unfit_json_paths` and
    :func:`bidi_json_paths` would find, read in C over the text instead of four walks of the
    document: no unfit character or bidi control, as is or escaped; no more containers than
    ``MAX_JSON_DEPTH``; no more characters than ``MAX_JSON_TEXT`` (no string is longer than
    the text).  False means "walk it": the walks then say exactly what and where."""
    return (
        len(raw) <= MAX_JSON_TEXT
        and raw.count("{") + raw.count("[") <= MAX_JSON_DEPTH
        and UNFIT.search(raw) is None
        and BIDI_CONTROLS.search(raw) is None
        and _ESCAPED_PROBLEM.search(raw) is None
    )


def _no_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} 不是有效的 JSON 数值", name, 0)


@lru_cache(maxsize=8)
def _strict_decoder(options: tuple[tuple[str, Any], ...]) -> json.JSONDecoder:
    """One decoder per set of options, built once (``json.loads`` with any option builds a
    new ``JSONDecoder`` on every call, and every API request body comes through here)."""
    return json.JSONDecoder(parse_constant=_no_constant, **dict(options))


def strict_json_loads(text: str | bytes | bytearray, **kwargs: Any) -> Any:
    """``json.loads`` of input from outside, refusing ``NaN``, ``Infinity`` and
    ``-Infinity`` (a ``json.JSONDecodeError``, a ``ValueError``): Python reads them, JSON
    has no such numbers, and a NaN kept in a form's data or a score is a figure no total can
    hold (PostgreSQL's JSON refuses it at the commit, SQLite keeps it).

    Reads as ``json.loads`` does (bytes in UTF-8/16/32, a BOM before text refused), with a
    decoder made once per set of ``kwargs`` (``parse_float=Decimal`` …)."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    elif not isinstance(text, str):
        raise TypeError(f"JSON 须为文本，而不是 {type(text).__name__}")
    elif text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _strict_decoder(tuple(sorted(kwargs.items()))).decode(text)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading request bodies with :func:`strict_json_loads`: a body with
    ``NaN`` is not valid JSON, answered as any other (请求内容不是有效的 JSON)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_json_loads(s, **kwargs)
