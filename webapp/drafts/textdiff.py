"""What changed between two texts, for people: paragraphs first, then characters inside the
paragraphs that changed (Chinese has no spaces between words, so a word diff would say little).
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

#: Changed paragraph blocks longer than this (both sides together) are shown as removed and
#: added whole: a character diff of very long blocks costs more than it tells.
CHAR_DIFF_LIMIT = 6000


@dataclass(frozen=True)
class Segment:
    #: "equal", "insert" or "delete"
    op: str
    text: str


def _append(out: list[Segment], op: str, text: str) -> None:
    if not text:
        return
    if out and out[-1].op == op:
        out[-1] = Segment(op, out[-1].text + text)
    else:
        out.append(Segment(op, text))


def _chars(out: list[Segment], old: str, new: str) -> None:
    # The common start and end cost nothing to find, and an edit usually sits between them.
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    _append(out, "equal", old[:start])
    middle_old, middle_new = old[start : len(old) - end], new[start : len(new) - end]
    if len(middle_old) + len(middle_new) > CHAR_DIFF_LIMIT:
        _append(out, "delete", middle_old)
        _append(out, "insert", middle_new)
    else:
        matcher = SequenceMatcher(None, middle_old, middle_new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                _append(out, "equal", middle_old[i1:i2])
            else:
                _append(out, "delete", middle_old[i1:i2])
                _append(out, "insert", middle_new[j1:j2])
    _append(out, "equal", old[len(old) - end :] if end else "")


def diff(old: str, new: str) -> list[Segment]:
    """Segments that read as the new text with deletions and insertions marked."""
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    out: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            _append(out, "equal", "".join(a[i1:i2]))
        elif tag == "delete":
            _append(out, "delete", "".join(a[i1:i2]))
        elif tag == "insert":
            _append(out, "insert", "".join(b[j1:j2]))
        else:
            _chars(out, "".join(a[i1:i2]), "".join(b[j1:j2]))
    return out


def counts(segments: list[Segment]) -> tuple[int, int]:
    """Characters added and removed."""
    added = sum(len(s.text) for s in segments if s.op == "insert")
    removed = sum(len(s.text) for s in segments if s.op == "delete")
    return added, removed
