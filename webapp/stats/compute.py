"""The public face of the statistics: what the quarterly report and the pages call.

- :func:`compute` ``(n, org, period)`` → 附表n typed (:mod:`webapp.stats.figures`), and
  :func:`compute_table` the same in its JSON shape (n in 1..7);
- :func:`table_with_checks` → the same with ``"checks"`` (previous period and ledger rules);
- :func:`run_checks` (re-exported from :mod:`webapp.stats.checks`) for figures from anywhere;
- :func:`freeze_tables` ``(org, period, kind)`` → a JSON-able snapshot of every table a report
  contains (which ones: :mod:`webapp.stats.registry`), with the check results and ``computed_at``;
- :func:`compare_snapshot` ``(snapshot, live=None)`` → the differences between a snapshot and
  the figures computed now;
- :func:`parse_period` (re-exported from :mod:`webapp.stats.periods`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from sqlalchemy import and_, func, or_, select

from webapp.core import clock
from webapp.core.errors import DomainError, InvalidInput
from webapp.core.models import Org
from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.ledger.fields import UNIT_COST_RANGE
from webapp.ledger.models import FAST_REPORT_LEVELS, Project, QualityAccident
from webapp.stats import registry
from webapp.stats.checks import ERROR, NOTICE, WARNING, Check, run_checks
from webapp.stats.periods import Period, parse_period
from webapp.stats.tables import category_table, group_conditions, summary_table

__all__ = [
    "DomainError",
    "compare_snapshot",
    "compute",
    "compute_table",
    "freeze_tables",
    "parse_period",
    "run_checks",
    "table_with_checks",
]

#: Projects named in one ledger check (the count is always complete).
LEDGER_SAMPLE = 20


class TablesSnapshot(TypedDict):
    """A report's tables frozen from the ledger (:func:`freeze_tables`), in their JSON shape."""

    kind: str
    org: str
    org_name: str
    period: str
    period_label: str
    computed_at: str
    tables: dict[str, dict[str, Any]]
    checks: list[Check]


class Difference(TypedDict):
    """One figure that differs between a snapshot and the figures computed now."""

    table: str
    row: str
    field: str
    snapshot: Any
    live: Any


def _org(org: Org | str) -> Org:
    return org if isinstance(org, Org) else get_org(org)


def compute(n: int, org: Org | str, period: Period | str) -> registry.Table:
    """附表n (see :mod:`webapp.stats.registry`) for ``org``'s subtree and ``period`` ("2026Q3"
    or "2026"), typed."""
    org, period = _org(org), parse_period(period)
    spec = registry.table(n)
    if not spec.accepts(period):
        raise InvalidInput("附表5为季度统计表，附表7为年度统计表，请选择相应的统计期。")
    return spec.compute(org, period)


def table_json(table: registry.Table) -> dict[str, Any]:
    """A table in its JSON shape, with its printed title: the one way a table leaves the
    figures for an API body, a page, a workbook or a snapshot."""
    return {**table.to_json(), "title": registry.table(table.heading.table).title}


def compute_table(n: int, org: Org | str, period: Period | str) -> dict[str, Any]:
    """:func:`compute` in its JSON shape (:func:`table_json`)."""
    return table_json(compute(n, org, period))


def ledger_checks(org: Org, period: Period) -> list[Check]:
    """Per-project rules (domain.md §4 rule 5) over the projects the period's tables count."""
    conds = group_conditions(period)
    active = and_(
        Org.path.like(org.path + "%"),
        or_(conds["carried_over"], conds["registered"], conds["completed"], conds["filed"]),
    )
    base = select(Project.registration_no).join(Org, Project.org_id == Org.id).where(active)
    bad_dates = or_(
        Project.accepted_on < Project.registered_on,
        Project.filed_on < Project.accepted_on,
        and_(Project.filed_on.is_not(None), Project.accepted_on.is_(None)),
        Project.area_m2 <= 0,
        Project.cost_10k_yuan <= 0,
    )
    low, high = UNIT_COST_RANGE
    per_m2 = Project.cost_10k_yuan * 10000
    odd_cost = and_(
        Project.area_m2 > 0, or_(per_m2 < Project.area_m2 * low, per_m2 > Project.area_m2 * high)
    )
    out: list[Check] = []
    for cid, severity, cond, message in (
        ("ledger.dates", ERROR, bad_dates, "项工程的日期顺序、面积或造价不符合规则"),
        ("ledger.unit_cost", WARNING, odd_cost, "项工程每平方米造价超出 500–50,000 元，请核实"),
    ):
        count = db.session.execute(
            select(func.count()).select_from(base.where(cond).subquery())
        ).scalar_one()
        if count:
            sample = db.session.execute(
                base.where(cond).order_by(Project.registration_no).limit(LEDGER_SAMPLE)
            ).scalars()
            out.append(
                {
                    "id": cid,
                    "severity": severity,
                    "rows": list(sample),
                    "message": f"{count} {message}",
                }
            )
    fast = db.session.execute(
        select(QualityAccident.project_name, QualityAccident.level)
        .join(Org, QualityAccident.org_id == Org.id)
        .where(
            Org.path.like(org.path + "%"),
            QualityAccident.occurred_on.between(period.start, period.end),
            QualityAccident.level.in_([lvl.value for lvl in FAST_REPORT_LEVELS]),
        )
        .order_by(QualityAccident.occurred_on, QualityAccident.id)  # named in this order
    ).all()
    if fast:
        names = "、".join(f"{name}（{level}）" for name, level in fast)
        out.append(
            {
                "id": "accidents.fast_report",
                "severity": NOTICE,
                "rows": [],
                "message": f"本期有较大及以上质量事故：{names}；须在2小时内逐级上报",
            }
        )
    return out


def table_with_checks(n: int, org: Org | str, period: Period | str) -> dict[str, Any]:
    """附表n with ``"checks"`` (the previous period and the ledger rules included)."""
    org, period = _org(org), parse_period(period)
    table = compute_table(n, org, period)
    shape = registry.table(n).shape
    if shape == registry.SUMMARY:
        previous = summary_table(org, period.previous())
        table["checks"] = run_checks(
            table,
            previous=previous,
            ledger_checks=ledger_checks(org, period),
        )
    elif shape == registry.CATEGORY:
        summary = summary_table(org, period)
        table["checks"] = run_checks(
            table,
            previous=category_table(org, period.previous()),
            related={registry.summary_spec(period).key: summary},
        )
    else:
        table["checks"] = []
    return table


def freeze_tables(org: Org | str, period: Period | str, kind: str = "quarterly") -> TablesSnapshot:
    """A JSON-able snapshot of a report's tables (:func:`registry.report_tables`)."""
    specs = registry.report_tables(kind)
    org, period = _org(org), parse_period(period)
    if (kind == "annual") != period.is_year:
        raise InvalidInput("季度报告须选择季度统计期，年度报告须选择年度统计期。")
    tables = {spec.key: table_with_checks(spec.number, org, period) for spec in specs}
    checks: list[Check] = [
        {**c, "table": name} for name, t in tables.items() for c in t.get("checks", [])
    ]
    return {
        "kind": kind,
        "org": org.code,
        "org_name": org.name,
        "period": period.code,
        "period_label": period.label,
        "computed_at": clock.now().isoformat(),
        "tables": tables,
        "checks": checks,
    }


def _row_id(row: dict[str, Any]) -> str:
    for key in ("key", "registration_no", "record_no", "org_code"):
        if row.get(key) not in (None, ""):
            return str(row[key])
    return str(row.get("seq"))


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else k, out)
    else:
        out[prefix] = value


def _table_cells(table: dict[str, Any]) -> dict[tuple[str, str], Any]:
    cells: dict[tuple[str, str], Any] = {}
    rows = list(table.get("rows") or [])
    if table.get("total"):
        rows.append({**table["total"], "org_code": "total"})
    for row in rows:
        flat: dict[str, Any] = {}
        _flatten({k: v for k, v in row.items() if k != "seq"}, "", flat)
        rid = "total" if row.get("org_code") == "total" else _row_id(row)
        for field, v in flat.items():
            cells[(rid, field)] = v
    return cells


def compare_snapshot(
    snapshot: Mapping[str, Any], live: Mapping[str, Any] | None = None
) -> list[Difference]:
    """Every figure that differs between ``snapshot`` and ``live`` (recomputed when None).

    Each difference: {"table", "row", "field", "snapshot", "live"}; a row present on one side
    only shows with None on the other.
    """
    if live is None:
        live = freeze_tables(snapshot["org"], snapshot["period"], snapshot.get("kind", "quarterly"))
    diffs: list[Difference] = []
    names = list(dict.fromkeys([*snapshot.get("tables", {}), *live.get("tables", {})]))
    for name in names:
        old = _table_cells(snapshot.get("tables", {}).get(name) or {})
        new = _table_cells(live.get("tables", {}).get(name) or {})
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                diffs.append(
                    {
                        "table": name,
                        "row": key[0],
                        "field": key[1],
                        "snapshot": old.get(key),
                        "live": new.get(key),
                    }
                )
    return diffs


# The differences in words ---------------------------------------------------------------------
_METRIC_WORDS = {
    "count": "项数",
    "area_10k_m2": "面积（万㎡）",
    "cost_10k_yuan": "造价（万元）",
    "count_pct": "项数",
    "area_pct": "面积",
    "deaths": "死亡人数",
    "loss_10k_yuan": "经济损失（万元）",
}
_TABLE6_WORDS = {
    "registered": "新注册项目",
    "completed": "竣工工程",
    "filed": "质量备案工程",
    "under_construction": "在建工程",
    "filing_rate_count_pct": "质量备案率（%）",
}


class LabelledDifference(Difference):
    table_label: str
    row_label: str
    field_label: str


def _summary_field(field: str, yearly: bool) -> str:
    from webapp.stats.tables import ACCIDENT_LABELS, GROUP_LABELS, RATE_LABELS

    head, _, metric = field.partition(".")
    words = {
        **GROUP_LABELS[yearly],
        "supervised": "本期监督工程",
        "filing_rate": RATE_LABELS[yearly],
        "accidents": ACCIDENT_LABELS[yearly],
        "satisfaction_pct": "用户满意率（%）",
        "satisfied_count": "用户满意项数",
        "org_name": "单位",
        "org_code": "单位",
        "status": "状态",
    }
    return " · ".join(filter(None, (words.get(head, "其他数据"), _METRIC_WORDS.get(metric, ""))))


def _field_words(
    spec: registry.TableSpec, field: str, yearly: bool, columns: dict[str, str]
) -> str:
    if spec.shape == registry.SUMMARY:
        return _summary_field(field, yearly)
    if spec.shape == registry.CATEGORY:
        head, _, metric = field.partition(".")
        words = {**_TABLE6_WORDS, "label": "类别", "key": "类别"}
        return " · ".join(
            filter(None, (words.get(head, "其他数据"), _METRIC_WORDS.get(metric, "")))
        )
    return columns.get(field) or {"org_code": "单位", "org_name": "单位"}.get(field, "其他数据")


def label_differences(
    diffs: list[Difference], snapshot: Mapping[str, Any], live: Mapping[str, Any] | None = None
) -> list[LabelledDifference]:
    """``diffs`` (:func:`compare_snapshot`) with the words a user reads: the table's name
    (附表5 季度统计表), the row's unit, category or number, the column's printed heading —
    never a key of the snapshot's JSON (table5, carried_over.count)."""
    yearly = parse_period(str(snapshot["period"])).is_year
    # The live names first (the snapshot's are as they were); a row gone since, by its own.
    sides = [(live or {}).get("tables") or {}, snapshot.get("tables") or {}]
    out: list[LabelledDifference] = []
    for d in diffs:
        number = d["table"].removeprefix("table")
        try:
            spec: registry.TableSpec | None = registry.table(int(number))
        except (InvalidInput, ValueError):
            spec = None
        tables = [side.get(d["table"]) or {} for side in sides]
        rows = {"total": "合计"}
        columns: dict[str, str] = {}
        for t in tables:
            for c in t.get("columns") or []:
                columns.setdefault(str(c.get("key")), str(c.get("label")))
            for r in t.get("rows") or []:
                if spec is not None and spec.shape == registry.SUMMARY:
                    rid, name = str(r.get("org_code") or ""), str(r.get("org_name") or "")
                elif spec is not None and spec.shape == registry.CATEGORY:
                    rid, name = str(r.get("key") or ""), str(r.get("label") or "")
                else:  # a list: its number (监督注册号, 记录编号) and the project's name
                    rid = _row_id(r)
                    name = " ".join(filter(None, (rid, r.get("name") or r.get("project_name"))))
                if name and rid:
                    rows.setdefault(rid, name)
        if spec is None:
            table_label, field_label = "其他附表", "其他数据"
        else:
            table_label = spec.label
            field_label = _field_words(spec, d["field"], yearly, columns)
        out.append(
            {
                **d,
                "table_label": table_label,
                "row_label": rows.get(d["row"], d["row"]),
                "field_label": field_label,
            }
        )
    return out
