"""Scoring a sheet with Decimal arithmetic; ranking with shared ranks.

- deduction item: ``min(分值, max(0, start − per_unmet × unmet))`` (so 附件2 带班制度 scores
  ``min(4, max(0, 5 − unmet))``, the domain.md §7 decision);
- additive item: ``min(分值, Σ points of the parts met)``;
- an item not judged counts as fully met (no duty unmet, every part met);
- section and overall totals are sums of the item scores.

Pure functions: the API's "compute without saving", the scoring page and the stored scores all
go through :func:`score_sheet`, so there is one computation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from webapp.assessment.sheet import Item, Sheet
from webapp.core.errors import InvalidInput
from webapp.core.numbers import round_half_up

ZERO = Decimal(0)
K = TypeVar("K")


@dataclass(frozen=True)
class Judgment:
    """What a scorer decided for one item: the duties unmet (deduction) or parts met (additive).

    ``met`` is None when the scorer did not say which parts were met: all of them count.
    """

    unmet: frozenset[str] = frozenset()
    met: frozenset[str] | None = None


@dataclass
class SheetScore:
    items: dict[str, Decimal] = field(default_factory=dict)
    #: keyed by section name (as printed)
    sections: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = ZERO

    def to_dict(self) -> dict[str, Any]:
        """Scores as decimal strings with two places ("97.50")."""
        return {
            "items": {k: cents(v) for k, v in self.items.items()},
            "sections": {k: cents(v) for k, v in self.sections.items()},
            "total": cents(self.total),
        }


def cents(value: Decimal) -> str:
    return str(round_half_up(value))


def score_item(item: Item, judgment: Judgment | None) -> Decimal:
    rule = item.rule
    if rule.kind == "deduction":
        unmet = len(judgment.unmet) if judgment else 0
        assert rule.start is not None and rule.per_unmet is not None
        raw = max(ZERO, rule.start - rule.per_unmet * unmet)
    else:
        met = None if judgment is None else judgment.met
        raw = sum(
            (p.points for p in rule.parts if met is None or p.id in met),
            ZERO,
        )
    return min(item.points, raw)


def score_sheet(sheet: Sheet, judgments: Mapping[str, Judgment]) -> SheetScore:
    unknown = [k for k in judgments if not sheet.has_item(k)]
    if unknown:
        raise InvalidInput(f"评分表中没有考核项目：{'、'.join(unknown)}。", details=unknown)
    result = SheetScore()
    for section in sheet.sections:
        subtotal = ZERO
        for item in section.items:
            value = score_item(item, judgments.get(item.id))
            result.items[item.id] = value
            subtotal += value
        result.sections[section.name] = subtotal
        result.total += subtotal
    return result


def parse_judgments(sheet: Sheet, raw: Mapping[str, Any]) -> dict[str, Judgment]:
    """Turn ``{"<item id>": {"unmet": [...]} | {"met": [...]}}`` into checked judgments."""
    problems: list[str] = []
    out: dict[str, Judgment] = {}
    for item_id, value in raw.items():
        if not sheet.has_item(item_id):
            problems.append(f"评分表中没有考核项目“{item_id}”")
            continue
        item = sheet.item(item_id)
        if not isinstance(value, Mapping):
            problems.append(f"“{item.name}”的判定格式有误")
            continue
        if item.rule.kind == "deduction":
            if "met" in value:
                problems.append(f"“{item.name}”是扣分项，应给出不满足的要求（unmet）")
                continue
            ids = _ids(value.get("unmet"), {d.id for d in item.rule.duties}, item, problems)
            out[item_id] = Judgment(unmet=frozenset(ids))
        else:
            if "unmet" in value:
                problems.append(f"“{item.name}”是加分项，应给出满足的得分点（met）")
                continue
            ids = _ids(value.get("met"), {p.id for p in item.rule.parts}, item, problems)
            out[item_id] = Judgment(met=frozenset(ids))
    if problems:
        raise InvalidInput("评分数据有误：" + "；".join(problems) + "。", details=problems)
    return out


def _ids(value: Any, allowed: set[str], item: Item, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"“{item.name}”的编号须为字符串列表")
        return []
    bad = [v for v in value if v not in allowed]
    if bad:
        problems.append(f"“{item.name}”没有编号为 {'、'.join(bad)} 的条目")
    return sorted(set(value) & allowed)


def judgment_to_dict(item: Item, judgment: Judgment | None) -> dict[str, list[str]]:
    if item.rule.kind == "deduction":
        return {"unmet": sorted(judgment.unmet) if judgment else []}
    met = None if judgment is None else judgment.met
    return {"met": sorted(met) if met is not None else [p.id for p in item.rule.parts]}


def mean(values: Sequence[Decimal]) -> Decimal:
    """Average rounded half-up to 0.01 (several assessors scoring the same item)."""
    if not values:
        return ZERO
    return round_half_up(sum(values, ZERO) / len(values))


def rank(scores: Iterable[tuple[K, Decimal]]) -> dict[K, int]:
    """Competition ranking, highest first; equal scores share a rank (1, 2, 2, 4)."""
    ordered = sorted(scores, key=lambda kv: kv[1], reverse=True)
    ranks: dict[K, int] = {}
    previous: Decimal | None = None
    current = 0
    for position, (key, value) in enumerate(ordered, 1):
        if value != previous:
            current = position
            previous = value
        ranks[key] = current
    return ranks


def top_and_bottom(scores: Mapping[K, Decimal], top: int, bottom: int) -> tuple[list[K], list[K]]:
    """Units among the ``top`` best and the ``bottom`` worst; ties at a boundary are all in.

    A unit is in the top ``n`` when fewer than ``n`` units scored strictly more, and in the
    bottom ``n`` when fewer than ``n`` scored strictly less and it is not in the top (a large
    tie must not put a unit among both the best and the worst).
    """
    values = list(scores.values())
    best = [k for k, v in scores.items() if sum(1 for o in values if o > v) < top]
    worst = [
        k for k, v in scores.items() if sum(1 for o in values if o < v) < bottom and k not in best
    ]
    return best, worst
