"""Characters that our text cannot hold, and where they hide in nested input.

PostgreSQL's ``text`` refuses NUL (0x00): a query parameter or JSON string carrying one raised
``DataError`` deep in a query and became a 500, while SQLite stored it happily.  Our text also
ends up in XML (Word documents, Excel exports), and XML 1.0 cannot hold the other C0 control
characters either (tab, LF and CR excepted), nor the noncharacters U+FFFE and U+FFFF.  A lone
surrogate (JSON's ``"\\ud800"`` decodes to one) cannot be encoded as UTF-8 at all.  So the
request edge refuses all of them before anything reads the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

#: C0 controls except tab (09), LF (0A) and CR (0D); surrogates; U+FFFE and U+FFFF.
UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def is_unfit(value: str) -> bool:
    """True when ``value`` holds a character that text fields cannot store."""
    return UNFIT.search(value) is not None


def shown(value: str, limit: int = 60) -> str:
    """``value`` fit to show in a message: unfit characters as ``\\u0000`` escapes, shortened."""
    escaped = UNFIT.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


def unfit_json_paths(value: Any) -> Iterator[str]:
    """Dotted paths (``items.0.name``) of every key or string in a decoded JSON document
    that holds an unfit character; a key is named by its own path.  Iterative, so that a
    deeply nested document cannot exhaust the stack."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            if is_unfit(node):
                yield path
            continue
        children: list[tuple[str, Any]] = []
        if isinstance(node, dict):
            for key, child in node.items():
                child_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and is_unfit(key):
                    yield child_path
                else:
                    children.append((child_path, child))
        elif isinstance(node, list):
            children = [(f"{path}.{i}" if path else str(i), c) for i, c in enumerate(node)]
        stack.extend(reversed(children))  # depth first, in document order
