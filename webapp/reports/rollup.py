"""A report's figures: the unit's tables, with accepted lower-level submissions rolled up.

A city's 附表5 has a row per county.  Where the county's report was accepted, that row is the
county's accepted 合计 (the figures it submitted, frozen); otherwise the row shows the live
ledger figures and is marked with the county's state (未报 …).  The 合计 is the sum of the rows
as printed, so the table adds up and the roll-up identity holds by construction.  附表6 of the
unit is corrected the same way: live subtree − live child + accepted child, per category.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from webapp.core import clock
from webapp.core.models import Org
from webapp.extensions import db
from webapp.reports.models import Report, ReportKind
from webapp.stats.service import Period, compute_table, parse_period, run_checks
from webapp.stats.service import ledger_checks as stats_ledger_checks

CENT = Decimal("0.01")
GROUPS = ("carried_over", "registered", "under_construction", "completed", "filed")
T6_GROUPS = ("registered", "completed", "filed", "under_construction")
FIGURES = (*GROUPS, "filing_rate", "satisfaction_pct", "satisfied_count", "accidents")
#: Status of a lower unit's row that comes from the ledger because the unit makes no report of
#: this kind (a county in its city's annual report).
LEDGER_ROW = "台账数据"


def table_numbers(kind: str) -> tuple[int, ...]:
    """Quarterly: 附表1–6 (第十条).

    Annual: 附表1–4 of the year, the annual 附表6 and 附表7 (第十一条)."""
    return (1, 2, 3, 4, 5, 6) if kind == ReportKind.QUARTERLY else (1, 2, 3, 4, 6, 7)


def summary_key(kind: str) -> str:
    return "table5" if kind == ReportKind.QUARTERLY else "table7"


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _pct(num: Decimal, den: Decimal) -> str | None:
    if not den:
        return None
    return _money(num * 100 / den)


def _trio_sum(trios: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "count": sum(int(t["count"]) for t in trios),
        "area_10k_m2": _money(sum((_dec(t["area_10k_m2"]) for t in trios), Decimal(0))),
        "cost_10k_yuan": _money(sum((_dec(t["cost_10k_yuan"]) for t in trios), Decimal(0))),
    }


def _trio_combine(plus: list[dict[str, Any]], minus: list[dict[str, Any]]) -> dict[str, Any]:
    negated = [
        {
            "count": -int(t["count"]),
            "area_10k_m2": -_dec(t["area_10k_m2"]),
            "cost_10k_yuan": -_dec(t["cost_10k_yuan"]),
        }
        for t in minus
    ]
    return _trio_sum(plus + negated)


def sum_summary_rows(rows: list[dict[str, Any]], code: str) -> dict[str, Any]:
    """合计 of 附表5/7 rows as printed, with the rates recomputed from the sums."""
    total: dict[str, Any] = {"org_code": code, "org_name": "合计"}
    for g in GROUPS:
        total[g] = _trio_sum([r[g] for r in rows])
    filed, completed = total["filed"], total["completed"]
    total["filing_rate"] = {
        "count_pct": _pct(Decimal(filed["count"]), Decimal(completed["count"])),
        "area_pct": _pct(_dec(filed["area_10k_m2"]), _dec(completed["area_10k_m2"])),
    }
    satisfied = sum(int(r.get("satisfied_count") or 0) for r in rows)
    total["satisfied_count"] = satisfied
    total["satisfaction_pct"] = _pct(Decimal(satisfied), Decimal(filed["count"]))
    total["accidents"] = {
        "count": sum(int(r["accidents"]["count"]) for r in rows),
        "deaths": sum(int(r["accidents"]["deaths"]) for r in rows),
        "loss_10k_yuan": _money(
            sum((_dec(r["accidents"]["loss_10k_yuan"]) for r in rows), Decimal(0))
        ),
    }
    return total


def lower_units(org: Org) -> list[Org]:
    """The units that report to ``org`` (its direct children)."""
    return list(
        db.session.execute(select(Org).where(Org.parent_id == org.id).order_by(Org.code)).scalars()
    )


def lower_reports(org: Org, period: str, kind: str) -> dict[str, Report]:
    rows = db.session.execute(
        select(Report)
        .join(Org, Report.org_id == Org.id)
        .where(Org.parent_id == org.id, Report.period == period, Report.kind == kind)
    ).scalars()
    return {r.org.code: r for r in rows}


def rolled_up_summary(
    org: Org, period: Period, kind: str
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Report]]:
    """附表5/7 of ``org`` with each accepted lower unit's row taken from its accepted snapshot
    and the 合计 summed from the rows as printed.  Returns (table, accepted children's tables,
    lower reports by code).  Used for the period and for the previous one, so that the
    接转 = 上期在建 check compares figures built the same way."""
    key = summary_key(kind)
    summary = compute_table(7 if key == "table7" else 5, org, period)
    reports = lower_reports(org, period.code, kind)
    expected = {unit.code for unit in lower_units(org) if ReportKind(kind).made_by(unit)}
    children: dict[str, dict[str, Any]] = {}
    for row in summary["rows"]:
        code = row["org_code"]
        if code == org.code:
            row["status"] = "本级"
            continue
        if code not in expected:
            # Counties make no annual report: their rows are the ledger as of the moment the
            # unit's report is frozen (domain.md §5), never 未报.
            row["status"] = LEDGER_ROW
            continue
        report = reports.get(code)
        accepted = report.accepted_snapshot if report is not None else None
        if accepted is not None:
            child_total = accepted["tables"][key]["total"]
            for f in FIGURES:
                if f in child_total:
                    row[f] = child_total[f]
            row["status"] = "已接收"
            children[code] = accepted["tables"][key]
        else:
            row["status"] = "未报"
    summary["total"] = sum_summary_rows(summary["rows"], org.code)
    if key == "table7":
        summary["as_of"] = clock.now().isoformat()  #: 统计截止时间
    return summary, children, reports


#: Within :func:`tables_memo`, build_tables computes each (unit, period, kind) once.
_memo: ContextVar[dict[tuple[int, str, str], dict[str, Any]] | None] = ContextVar(
    "tables_memo", default=None
)


@contextmanager
def tables_memo() -> Iterator[None]:
    """Compute each report's tables once within the block, for a caller that knows nothing
    they read changes inside it (the demo history drives one report's steps at one instant:
    the forms' checks, the freeze and the draft would otherwise compute them five times)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def build_tables(org: Org, period: Period | str, kind: str) -> dict[str, Any]:
    """Every table of the report with checks; lower units' accepted figures rolled up."""
    period = parse_period(period)
    memo = _memo.get()
    if memo is None:
        return _build_tables(org, period, kind)
    key = (org.id, period.code, kind)
    if key not in memo:
        memo[key] = _build_tables(org, period, kind)
    return copy.deepcopy(memo[key])


def _build_tables(org: Org, period: Period, kind: str) -> dict[str, Any]:
    from webapp.reports.state import report_state

    key = summary_key(kind)
    summary, children, reports = rolled_up_summary(org, period, kind)
    tables = {
        f"table{n}": summary if f"table{n}" == key else compute_table(n, org, period)
        for n in table_numbers(kind)
    }
    units = []
    for row in summary["rows"]:
        if row["org_code"] == org.code or row["status"] == LEDGER_ROW:
            continue
        report = reports.get(row["org_code"])
        state = report_state(report) if report is not None else None
        units.append(
            {
                "org_code": row["org_code"],
                "org_name": row["org_name"],
                "report_id": report.id if report else None,
                "state": state.value if state else "not_started",
                "state_label": state.label if state else "未开始",
                "accepted": row["org_code"] in children,
            }
        )
    if children:
        _correct_table6(tables["table6"], org, period, children, reports)
    previous, _, _ = rolled_up_summary(org, period.previous(), kind)
    ledger = stats_ledger_checks(org, period)
    summary["checks"] = run_checks(
        summary,
        previous=previous,
        related={"children": children} if children else None,
        ledger_checks=ledger,
    )
    tables["table6"]["checks"] = run_checks(tables["table6"], related={key: summary})
    checks = [
        {**c, "table": name} for name in (key, "table6") for c in tables[name].get("checks", [])
    ]
    return {"tables": tables, "checks": checks, "lower_units": units}


def _correct_table6(
    table6: dict[str, Any],
    org: Org,
    period: Period,
    children: dict[str, Any],
    reports: dict[str, Report],
) -> None:
    for code in children:
        accepted = reports[code].accepted_snapshot or {}
        submitted = {r["key"]: r for r in accepted["tables"]["table6"]["rows"]}
        live = {r["key"]: r for r in compute_table(6, code, period)["rows"]}
        for row in table6["rows"]:
            k = row["key"]
            for g in T6_GROUPS:
                row[g] = _trio_combine([row[g], submitted[k][g]], [live[k][g]])
    for row in table6["rows"]:
        row["filing_rate_count_pct"] = _pct(
            Decimal(row["filed"]["count"]), Decimal(row["completed"]["count"])
        )
