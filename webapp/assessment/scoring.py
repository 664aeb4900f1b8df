"""Scoring a sheet with Decimal arithmetic; ranking with shared ranks.

- deduction item: ``min(分值, max(0, start − per_unmet × unmet))`` (so 附件2 带班制度 scores
  ``min(4, max(0, 5 − unmet))``, the domain.md §7 decision);
- additive item: ``min(分值, Σ points of the parts met)``;
- an item not judged counts as fully met (no duty unmet, every part met);
- section and overall totals are sums of the item scores;
- an item that does not apply to the unit's tier (``not_applicable`` in the sheet: 附件2 1.14 and
  附件3 1.8 for a directly administered county) is not scored; the total is then scaled to 100:
  ``round_half_up(Σ applicable items × 100 / Σ their 分值)`` (domain.md §7, Decision "not
  applicable"), and the raw sum and the applicable points are kept to show the scaling.

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


HUNDRED = Decimal(100)


@dataclass
class SheetScore:
    #: the applicable items' scores (an item that does not apply is absent)
    items: dict[str, Decimal] = field(default_factory=dict)
    #: keyed by section name (as printed)
    sections: dict[str, Decimal] = field(default_factory=dict)
    #: the total on 100: the raw sum, scaled when some items do not apply
    total: Decimal = ZERO
    #: Σ of the applicable items' scores, before scaling
    raw_total: Decimal = ZERO
    #: Σ of the applicable items' 分值 (100 when every item applies)
    applicable: Decimal = HUNDRED
    #: ids of the items that do not apply to the unit
    not_applicable: tuple[str, ...] = ()

    @property
    def scaled(self) -> bool:
        return self.applicable != HUNDRED

    @property
    def scaling(self) -> str:
        """How the total was scaled, in Chinese ('' when it was not)."""
        if not self.scaled:
            return ""
        return (
            f"适用项目满分 {cents(self.applicable)} 分，得 {cents(self.raw_total)} 分，"
            f"折算百分制：{cents(self.raw_total)} × 100 ÷ {cents(self.applicable)} = "
            f"{cents(self.total)} 分"
        )

    def to_dict(self) -> dict[str, Any]:
        """Scores as decimal strings with two places ("97.50")."""
        return {
            "items": {k: cents(v) for k, v in self.items.items()},
            "sections": {k: cents(v) for k, v in self.sections.items()},
            "total": cents(self.total),
            "raw_total": cents(self.raw_total),
            "applicable": cents(self.applicable),
            "not_applicable": list(self.not_applicable),
            "scaling": self.scaling,
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


def score_sheet(
    sheet: Sheet, judgments: Mapping[str, Judgment], tier: str | None = None
) -> SheetScore:
    """Score every item applicable to a unit of ``tier`` from the judgments, then total."""
    unknown = [k for k in judgments if not sheet.has_item(k)]
    if unknown:
        raise InvalidInput(f"评分表中没有考核项目：{'、'.join(unknown)}。", details=unknown)
    return total_up(sheet, {i.id: score_item(i, judgments.get(i.id)) for i in sheet.items}, tier)


def total_up(sheet: Sheet, items: Mapping[str, Decimal], tier: str | None = None) -> SheetScore:
    """Item scores → section subtotals and the total on 100 for a unit of ``tier``.

    An item missing from ``items`` counts 0; an item that does not apply to ``tier`` is left
    out and the total scaled to 100 (two decimals, half up).
    """
    result = SheetScore(applicable=sheet.applicable_points(tier))
    skipped = []
    for section in sheet.sections:
        subtotal = ZERO
        for item in section.items:
            if not item.applies_to(tier):
                skipped.append(item.id)
                continue
            value = items.get(item.id, ZERO)
            result.items[item.id] = value
            subtotal += value
        result.sections[section.name] = subtotal
        result.raw_total += subtotal
    result.not_applicable = tuple(skipped)
    result.total = (
        round_half_up(result.raw_total * HUNDRED / result.applicable)
        if result.scaled and result.applicable
        else result.raw_total
    )
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
