"""The figures of the forms: one value type and one rounding rule.

Every group of 附表5/6/7 is a **trio** (项数, 面积 万㎡, 造价 万元): a count, and two Decimals with
two decimals.  Rates (备案率, 满意率) are percentages with two decimals, ``None`` (printed "—")
when the denominator is 0.  The one rounding rule: half up to the hundredth, once, where a figure
is made (:func:`round2`).  JSON (API bodies, snapshots) carries the Decimals as text ("12.34"),
exactly as the printed form shows them; :meth:`Trio.from_json` / :meth:`Trio.to_json` are the
boundary.  Sums of rows as printed (合计 of 附表5/7, a half year of two quarters) are made here,
so the tables add up the same way wherever they are summed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)
#: The groups of a 附表5/7 row, in the printed order.
SUMMARY_GROUPS = ("carried_over", "registered", "under_construction", "completed", "filed")


def parse(value: Any) -> Decimal | None:
    """A figure from anywhere (Decimal, int, "12.34", "—", None) → Decimal, or None if blank or
    not a number."""
    if value is None or value == "" or value == "—":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def decimal(value: Any) -> Decimal:
    """Like :func:`parse`, a blank figure counting as 0."""
    return parse(value) or ZERO


def round2(value: Decimal) -> Decimal:
    """The one rounding rule: half up to the hundredth."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def text(value: Decimal) -> str:
    """A Decimal figure as the form prints it ("1234.50")."""
    return str(round2(value))


def rate_value(numerator: Any, denominator: Any) -> Decimal | None:
    """numerator ÷ denominator × 100, two decimals; None when the denominator is 0."""
    num, den = decimal(numerator), decimal(denominator)
    if not den:
        return None
    return round2(num * HUNDRED / den)


def rate(numerator: Any, denominator: Any) -> str | None:
    """:func:`rate_value` as JSON text (None is printed "—")."""
    value = rate_value(numerator, denominator)
    return None if value is None else str(value)


def dash(value: Any) -> str:
    """A rate or figure for a document: "—" when absent."""
    return "—" if value in (None, "") else str(value)


@dataclass(frozen=True)
class Trio:
    """项数, 面积 (万㎡) and 造价 (万元) of one group."""

    count: int = 0
    area: Decimal = ZERO
    cost: Decimal = ZERO

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trio:
        return cls(
            int(data.get("count") or 0),
            decimal(data.get("area_10k_m2")),
            decimal(data.get("cost_10k_yuan")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "area_10k_m2": text(self.area),
            "cost_10k_yuan": text(self.cost),
        }

    def __add__(self, other: Trio) -> Trio:
        return Trio(self.count + other.count, self.area + other.area, self.cost + other.cost)

    def __neg__(self) -> Trio:
        return Trio(-self.count, -self.area, -self.cost)

    def __sub__(self, other: Trio) -> Trio:
        return self + (-other)

    @staticmethod
    def total(trios: Iterable[Trio]) -> Trio:
        out = Trio()
        for t in trios:
            out = out + t
        return out


def add_trios(*trios: dict[str, Any]) -> dict[str, Any]:
    """The sum of trios given as JSON, as JSON."""
    return Trio.total(Trio.from_json(t) for t in trios).to_json()


def sum_accidents(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    accidents = [r["accidents"] for r in rows]
    return {
        "count": sum(int(a["count"]) for a in accidents),
        "deaths": sum(int(a["deaths"]) for a in accidents),
        "loss_10k_yuan": text(sum((decimal(a["loss_10k_yuan"]) for a in accidents), ZERO)),
    }


def with_rates(row: dict[str, Any]) -> dict[str, Any]:
    """Fill a summary row's 备案率 and 满意率 from its own groups (rates never add up)."""
    filed, completed = row["filed"], row["completed"]
    row["filing_rate"] = {
        "count_pct": rate(filed["count"], completed["count"]),
        "area_pct": rate(filed["area_10k_m2"], completed["area_10k_m2"]),
    }
    row["satisfaction_pct"] = rate(row.get("satisfied_count") or 0, filed["count"])
    return row


def sum_rows(rows: list[dict[str, Any]], code: str, name: str = "合计") -> dict[str, Any]:
    """合计 of 附表5/7 rows as printed, with the rates recomputed from the sums."""
    total: dict[str, Any] = {"org_code": code, "org_name": name}
    for group in SUMMARY_GROUPS:
        total[group] = add_trios(*(r[group] for r in rows))
    total["satisfied_count"] = sum(int(r.get("satisfied_count") or 0) for r in rows)
    total["accidents"] = sum_accidents(rows)
    return with_rates(total)
