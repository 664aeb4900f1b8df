"""Period keys, parsed in one place: a quarter ``2026Q3``, a year ``2026`` (``2026Y`` is read as
the same year), a half year ``2026H1``.

``webapp.stats.periods.Period`` (quarters and years) and ``webapp.publication.periods.HalfYear``
are built from the :class:`PeriodKey` this parser returns, the API's period fields validate and
normalise with it, and every wrong key is told in the same words:
``统计期“2026Q5”格式不正确，应为 2026Q3（季度）或 2026（年度）。``
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from webapp.core.errors import InvalidInput

Kind = Literal["quarter", "year", "half"]

KEY_RE = re.compile(r"^(\d{4})(?:([QqHh])(\d)|[Yy])?$")
_LETTER_KIND: dict[str, Kind] = {"Q": "quarter", "H": "half", "": "year"}
_HIGHEST = {"quarter": 4, "half": 2, "year": 0}
_EXAMPLES = {
    "quarter": "2026Q3（季度）",
    "year": "2026（年度）",
    "half": "2026H1（上半年）或 2026H2（下半年）",
}
QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}
#: Years a key may name.
YEARS = range(1990, 2201)


@dataclass(frozen=True)
class PeriodKey:
    year: int
    kind: Kind
    #: The quarter (1–4) or the half (1–2); 0 for a year.
    number: int = 0

    @property
    def code(self) -> str:
        letter = {"quarter": "Q", "half": "H", "year": ""}[self.kind]
        return f"{self.year}{letter}{self.number or ''}"

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"{self.year}年第{QUARTER_NAMES[self.number]}季度"
        if self.kind == "half":
            return f"{self.year}年{'上' if self.number == 1 else '下'}半年"
        return f"{self.year}年度"


def key_error(text: object, kinds: tuple[Kind, ...], noun: str) -> str:
    """The one wording of a wrong period key."""
    return f"{noun}“{text}”格式不正确，应为 {'或 '.join(_EXAMPLES[k] for k in kinds)}。"


def parse_key(
    text: str, kinds: tuple[Kind, ...] = ("quarter", "year", "half"), noun: str = "期间"
) -> PeriodKey:
    """``"2026Q3"`` → the third quarter of 2026, ``"2026"``/``"2026Y"`` → the year 2026,
    ``"2026H1"`` → its first half; ``InvalidInput`` (in :func:`key_error`'s words, naming the
    period ``noun``) for anything else or a kind not in ``kinds``."""
    match = KEY_RE.match((text or "").strip())
    if match and int(match.group(1)) in YEARS:
        kind = _LETTER_KIND[(match.group(2) or "").upper()]
        number = int(match.group(3) or 0)
        if kind in kinds and (kind == "year" or 1 <= number <= _HIGHEST[kind]):
            return PeriodKey(int(match.group(1)), kind, number)
    raise InvalidInput(key_error(text, kinds, noun))


def period_label(text: object) -> str:
    """A period key as people read it (``2026H2`` → 2026年下半年, ``2026Q3`` → 2026年第三季度,
    ``2026`` → 2026年度); anything that is not a key is returned as it is.  The ``period_label``
    template filter: a key never reaches the screen raw."""
    try:
        return parse_key(str(text or "")).label
    except InvalidInput:
        return "" if text is None else str(text)
