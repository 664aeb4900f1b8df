"""The figures of the forms: one value type, one rounding rule, one JSON boundary.

Every group of 附表5/6/7 is a **trio** (项数, 面积 万㎡, 造价 万元): a count, and two Decimals with
two decimals.  Rates (备案率, 满意率) are percentages with two decimals, ``None`` (printed "—")
when the denominator is 0.  The one rounding rule (``webapp.core.numbers.round_half_up``): half
up to the hundredth, once, where a figure is made (:func:`round2`).

A row of 附表5/7 is a :class:`SummaryRow`, a row of 附表6 a :class:`CategoryRow`; their arithmetic
(sums of rows as printed, rates recomputed from sums, a half year of two quarters) is written
here once.  JSON (API bodies, snapshots stored in reports and publications) carries the Decimals
as text ("12.34"), exactly as the printed form shows them: ``from_json`` / ``to_json`` are the
boundary, and ``from_json(x).to_json() == x`` for every row the product ever stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, NotRequired, TypedDict

from webapp.core.numbers import CENT, round_half_up

__all__ = ["CENT"]

HUNDRED = Decimal(100)
ZERO = Decimal(0)
#: The groups of a 附表5/7 row, in the printed order.
SUMMARY_GROUPS = ("carried_over", "registered", "under_construction", "completed", "filed")
#: The groups of a 附表6 row, in the printed order.
CATEGORY_GROUPS = ("registered", "completed", "filed", "under_construction")


# JSON shapes (the boundary) -------------------------------------------------------------------
class TrioJSON(TypedDict):
    count: int
    area_10k_m2: str
    cost_10k_yuan: str


class AccidentsJSON(TypedDict):
    count: int
    deaths: int
    loss_10k_yuan: str


class FilingRateJSON(TypedDict):
    count_pct: str | None
    area_pct: str | None


class SummaryGroupsJSON(TypedDict):
    """The project groups of a 附表5/7 row (its JSON and its Word context alike)."""

    org_name: str
    carried_over: TrioJSON
    registered: TrioJSON
    under_construction: TrioJSON
    completed: TrioJSON
    filed: TrioJSON
    accidents: AccidentsJSON


class SummaryRowJSON(SummaryGroupsJSON):
    org_code: str
    filing_rate: FilingRateJSON
    satisfaction_pct: str | None
    satisfied_count: NotRequired[int]
    #: A rolled-up row: 本级, 已接收, 未报, 台账数据
    status: NotRequired[str]
    #: A half-year row: 本期监督 (接转 + 新注册)
    supervised: NotRequired[TrioJSON]


class CategoryRowJSON(TypedDict):
    key: str
    label: str
    registered: TrioJSON
    completed: TrioJSON
    filed: TrioJSON
    under_construction: TrioJSON
    filing_rate_count_pct: str | None


# Numbers ----------------------------------------------------------------------------------------
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
    return round_half_up(value, CENT)


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
    return rate_text(rate_value(numerator, denominator))


def rate_text(value: Decimal | None) -> str | None:
    """A rate as JSON carries it: "66.67", or None."""
    return None if value is None else str(value)


def dash(value: Any) -> str:
    """A rate or figure for a document: "—" when absent."""
    return "—" if value in (None, "") else str(value)


# Values -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trio:
    """项数, 面积 (万㎡) and 造价 (万元) of one group."""

    count: int = 0
    area: Decimal = ZERO
    cost: Decimal = ZERO

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Trio:
        return cls(
            int(data.get("count") or 0),
            decimal(data.get("area_10k_m2")),
            decimal(data.get("cost_10k_yuan")),
        )

    def to_json(self) -> TrioJSON:
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
        return sum(trios, Trio())


@dataclass(frozen=True)
class Accidents:
    """发生工程质量事故: 项数, 死亡人数, 经济损失 (万元)."""

    count: int = 0
    deaths: int = 0
    loss: Decimal = ZERO

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Accidents:
        return cls(
            int(data.get("count") or 0),
            int(data.get("deaths") or 0),
            decimal(data.get("loss_10k_yuan")),
        )

    def to_json(self) -> AccidentsJSON:
        return {"count": self.count, "deaths": self.deaths, "loss_10k_yuan": text(self.loss)}

    def __add__(self, other: Accidents) -> Accidents:
        return Accidents(
            self.count + other.count, self.deaths + other.deaths, self.loss + other.loss
        )

    @staticmethod
    def total(items: Iterable[Accidents]) -> Accidents:
        return sum(items, Accidents())


@dataclass(frozen=True)
class SummaryRow:
    """A row (or the 合计) of 附表5/7, or of a half year's figures.

    The rates are stored, not derived: a row computed from the ledger takes its 面积 rate from
    the exact ㎡, a row taken from an accepted snapshot keeps the rates it was accepted with;
    :meth:`with_rates` recomputes them from the row's own groups (a sum of rows).
    """

    org_code: str
    org_name: str
    carried_over: Trio = Trio()
    registered: Trio = Trio()
    under_construction: Trio = Trio()
    completed: Trio = Trio()
    filed: Trio = Trio()
    filing_count_pct: Decimal | None = None
    filing_area_pct: Decimal | None = None
    satisfaction_pct: Decimal | None = None
    #: The numerator of the satisfaction rate (None: a snapshot from before it was stored).
    satisfied_count: int | None = 0
    accidents: Accidents = Accidents()
    status: str | None = None
    supervised: Trio | None = None

    def group(self, name: str) -> Trio:
        value = getattr(self, name)
        assert isinstance(value, Trio), name
        return value

    @property
    def satisfied(self) -> int:
        return self.satisfied_count or 0

    def with_rates(self) -> SummaryRow:
        """备案率 and 满意率 from the row's own groups (rates never add up)."""
        return replace(
            self,
            filing_count_pct=rate_value(self.filed.count, self.completed.count),
            filing_area_pct=rate_value(self.filed.area, self.completed.area),
            satisfaction_pct=rate_value(self.satisfied, self.filed.count),
        )

    def with_figures_of(self, other: SummaryRow) -> SummaryRow:
        """This row (unit, name, status) showing ``other``'s figures (an accepted 合计)."""
        figures = {
            name: getattr(other, name)
            for name in (*SUMMARY_GROUPS, "filing_count_pct", "filing_area_pct")
        }
        figures |= {"satisfaction_pct": other.satisfaction_pct, "accidents": other.accidents}
        if other.satisfied_count is not None:
            figures["satisfied_count"] = other.satisfied_count
        return replace(self, **figures)

    @staticmethod
    def total(rows: Iterable[SummaryRow], code: str, name: str = "合计") -> SummaryRow:
        """合计 of rows as printed, with the rates recomputed from the sums."""
        rows = list(rows)
        sums = {g: Trio.total(r.group(g) for r in rows) for g in SUMMARY_GROUPS}
        return SummaryRow(
            code,
            name,
            **sums,
            satisfied_count=sum(r.satisfied for r in rows),
            accidents=Accidents.total(r.accidents for r in rows),
        ).with_rates()

    @staticmethod
    def half_year(first: SummaryRow, second: SummaryRow, name: str | None = None) -> SummaryRow:
        """Two consecutive quarters' rows → the half year's: 接转 of the first, 在建 of the
        second, the other groups, 满意 and 事故 summed; rates recomputed from the sums;
        本期监督 = 接转 + 新注册."""
        row = SummaryRow(
            second.org_code or first.org_code,
            name or second.org_name or first.org_name,
            carried_over=first.carried_over,
            registered=first.registered + second.registered,
            under_construction=second.under_construction,
            completed=first.completed + second.completed,
            filed=first.filed + second.filed,
            satisfied_count=first.satisfied + second.satisfied,
            accidents=first.accidents + second.accidents,
        ).with_rates()
        return replace(row, supervised=row.carried_over + row.registered)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SummaryRow:
        rates = data.get("filing_rate") or {}
        supervised = data.get("supervised")
        satisfied = data.get("satisfied_count")
        return cls(
            str(data.get("org_code") or ""),
            str(data.get("org_name") or ""),
            **{g: Trio.from_json(data.get(g) or {}) for g in SUMMARY_GROUPS},
            filing_count_pct=parse(rates.get("count_pct")),
            filing_area_pct=parse(rates.get("area_pct")),
            satisfaction_pct=parse(data.get("satisfaction_pct")),
            satisfied_count=None if satisfied is None else int(satisfied),
            accidents=Accidents.from_json(data.get("accidents") or {}),
            status=data.get("status"),
            supervised=None if supervised is None else Trio.from_json(supervised),
        )

    def to_json(self) -> SummaryRowJSON:
        out: SummaryRowJSON = {
            "org_code": self.org_code,
            "org_name": self.org_name,
            "carried_over": self.carried_over.to_json(),
            "registered": self.registered.to_json(),
            "under_construction": self.under_construction.to_json(),
            "completed": self.completed.to_json(),
            "filed": self.filed.to_json(),
            "filing_rate": {
                "count_pct": rate_text(self.filing_count_pct),
                "area_pct": rate_text(self.filing_area_pct),
            },
            "satisfaction_pct": rate_text(self.satisfaction_pct),
        }  # accidents follows, after satisfied_count: the order the forms print
        if self.satisfied_count is not None:
            out["satisfied_count"] = self.satisfied_count
        out["accidents"] = self.accidents.to_json()
        if self.status is not None:
            out["status"] = self.status
        if self.supervised is not None:
            out["supervised"] = self.supervised.to_json()
        return out


@dataclass(frozen=True)
class CategoryRow:
    """A row of 附表6: one category's four groups and its 备案率（项）."""

    key: str
    label: str
    registered: Trio = Trio()
    completed: Trio = Trio()
    filed: Trio = Trio()
    under_construction: Trio = Trio()
    filing_count_pct: Decimal | None = None

    def group(self, name: str) -> Trio:
        value = getattr(self, name)
        assert isinstance(value, Trio), name
        return value

    def with_rates(self) -> CategoryRow:
        return replace(self, filing_count_pct=rate_value(self.filed.count, self.completed.count))

    def corrected(self, submitted: CategoryRow, live: CategoryRow) -> CategoryRow:
        """This row with one lower unit's live figures replaced by what it submitted."""
        groups = {g: self.group(g) + submitted.group(g) - live.group(g) for g in CATEGORY_GROUPS}
        return replace(self, **groups)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CategoryRow:
        return cls(
            str(data.get("key") or ""),
            str(data.get("label") or ""),
            **{g: Trio.from_json(data.get(g) or {}) for g in CATEGORY_GROUPS},
            filing_count_pct=parse(data.get("filing_rate_count_pct")),
        )

    def to_json(self) -> CategoryRowJSON:
        return {
            "key": self.key,
            "label": self.label,
            "registered": self.registered.to_json(),
            "completed": self.completed.to_json(),
            "filed": self.filed.to_json(),
            "under_construction": self.under_construction.to_json(),
            "filing_rate_count_pct": rate_text(self.filing_count_pct),
        }


# Tables -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Heading:
    """Whose and which period's table it is (the first keys of every table's JSON)."""

    table: int
    org: str
    org_name: str
    period: str
    period_label: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)  # the fields, in their order

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Heading:
        return cls(
            int(data["table"]),
            str(data["org"]),
            str(data["org_name"]),
            str(data["period"]),
            str(data["period_label"]),
        )


@dataclass(frozen=True)
class SummaryTable:
    """附表5 (a quarter) or 附表7 (a year): a row per direct child unit, the unit's own, 合计."""

    heading: Heading
    rows: tuple[SummaryRow, ...]
    total: SummaryRow
    #: 附表7 of a report: 统计截止时间 of its 截止到年底 figures (ISO time)
    as_of: str | None = None

    def to_json(self) -> dict[str, object]:
        out = {
            **self.heading.to_json(),
            "rows": [r.to_json() for r in self.rows],
            "total": self.total.to_json(),
        }
        if self.as_of is not None:
            out["as_of"] = self.as_of
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SummaryTable:
        return cls(
            Heading.from_json(data),
            tuple(SummaryRow.from_json(r) for r in data.get("rows") or []),
            SummaryRow.from_json(data.get("total") or {}),
            data.get("as_of"),
        )


@dataclass(frozen=True)
class CategoryTable:
    """附表6: one row per category (categories overlap, so there is no 合计 row)."""

    heading: Heading
    rows: tuple[CategoryRow, ...]

    def to_json(self) -> dict[str, object]:
        return {**self.heading.to_json(), "rows": [r.to_json() for r in self.rows]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CategoryTable:
        return cls(
            Heading.from_json(data),
            tuple(CategoryRow.from_json(r) for r in data.get("rows") or []),
        )


@dataclass(frozen=True)
class ListTable:
    """附表1–4: the ledger's records as the form lists them (display text, numbered)."""

    heading: Heading
    columns: tuple[tuple[str, str], ...]
    rows: tuple[Mapping[str, object], ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        return {
            **self.heading.to_json(),
            "columns": [{"key": key, "label": label} for key, label in self.columns],
            "rows": [dict(r) for r in self.rows],
        }


# The JSON rows of the older API (tests and callers that hold JSON) ------------------------------
def add_trios(*trios: Mapping[str, Any]) -> TrioJSON:
    """The sum of trios given as JSON, as JSON."""
    return Trio.total(Trio.from_json(t) for t in trios).to_json()


def sum_rows(rows: Iterable[Mapping[str, Any]], code: str, name: str = "合计") -> SummaryRowJSON:
    """合计 of 附表5/7 rows given as JSON (see :meth:`SummaryRow.total`), as JSON."""
    return SummaryRow.total((SummaryRow.from_json(r) for r in rows), code, name).to_json()
