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
from dataclasses import replace
from typing import Any, TypedDict

from sqlalchemy import select

from webapp.core import clock
from webapp.core.models import Org
from webapp.extensions import db
from webapp.reports.models import Report, ReportKind
from webapp.stats import registry
from webapp.stats.checks import ACCEPTED_ROW, OWN_ROW, Check
from webapp.stats.compute import Period, compute, parse_period, run_checks, table_json
from webapp.stats.compute import ledger_checks as stats_ledger_checks
from webapp.stats.figures import CategoryRow, CategoryTable, SummaryRow, SummaryTable

#: Status of a lower unit's row that comes from the ledger because the unit makes no report of
#: this kind (a county in its city's annual report).
LEDGER_ROW = "台账数据"


class LowerUnit(TypedDict):
    """A lower unit's report as the report's page and snapshot list it."""

    org_code: str
    org_name: str
    report_id: int | None
    state: str
    state_label: str
    accepted: bool


class BuiltTables(TypedDict):
    """A report's tables in their JSON shape (by key: table1 …), with their checks."""

    tables: dict[str, dict[str, Any]]
    checks: list[Check]
    lower_units: list[LowerUnit]


def summary_key(kind: str) -> str:
    """``table5`` (quarterly) or ``table7`` (annual): see :mod:`webapp.stats.registry`."""
    return registry.summary_spec(kind).key


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
) -> tuple[SummaryTable, dict[str, dict[str, Any]], dict[str, Report]]:
    """附表5/7 of ``org`` with each accepted lower unit's row taken from its accepted snapshot
    and the 合计 summed from the rows as printed.  Returns (table, accepted children's tables
    as they were accepted, lower reports by code).  Used for the period and for the previous
    one, so that the 接转 = 上期在建 check compares figures built the same way."""
    spec = registry.summary_spec(kind)
    summary = compute(spec.number, org, period)
    assert isinstance(summary, SummaryTable)
    reports = lower_reports(org, period.code, kind)
    expected = {unit.code for unit in lower_units(org) if ReportKind(kind).made_by(unit)}
    children: dict[str, dict[str, Any]] = {}
    rows: list[SummaryRow] = []
    for row in summary.rows:
        code = row.org_code
        if code == org.code:
            rows.append(replace(row, status=OWN_ROW))
            continue
        if code not in expected:
            # Counties make no annual report: their rows are the ledger as of the moment the
            # unit's report is frozen (domain.md §5), never 未报.
            rows.append(replace(row, status=LEDGER_ROW))
            continue
        report = reports.get(code)
        accepted = report.accepted_snapshot if report is not None else None
        if accepted is not None:
            child = accepted["tables"][spec.key]
            accepted_total = SummaryRow.from_json(child["total"])
            rows.append(replace(row.with_figures_of(accepted_total), status=ACCEPTED_ROW))
            children[code] = child
        else:
            rows.append(replace(row, status="未报"))
    summary = replace(
        summary,
        rows=tuple(rows),
        total=SummaryRow.total(rows, org.code),  # as printed
        # 附表7: 截止到年底 figures as of the freeze (domain.md §5): 统计截止时间
        as_of=None if spec.quarterly else clock.now().isoformat(),
    )
    return summary, children, reports


#: Within :func:`tables_memo`, build_tables computes each (unit, period, kind) once.
_memo: ContextVar[dict[tuple[int, str, str], BuiltTables] | None] = ContextVar(
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


def build_tables(org: Org, period: Period | str, kind: str) -> BuiltTables:
    """Every table of the report with checks; lower units' accepted figures rolled up."""
    period = parse_period(period)
    memo = _memo.get()
    if memo is None:
        return _build_tables(org, period, kind)
    key = (org.id, period.code, kind)
    if key not in memo:
        memo[key] = _build_tables(org, period, kind)
    return copy.deepcopy(memo[key])


def build_checks(org: Org, period: Period | str, kind: str) -> list[Check]:
    """The checks :func:`build_tables` gives, without the record lists (附表1–4), which no
    check reads: what saving an explanation needs to know (which warnings the report has)."""
    period = parse_period(period)
    memo = _memo.get()
    if memo is not None and (org.id, period.code, kind) in memo:
        return copy.deepcopy(memo[(org.id, period.code, kind)]["checks"])
    return _build_tables(org, period, kind, lists=False)["checks"]


def _build_tables(org: Org, period: Period, kind: str, *, lists: bool = True) -> BuiltTables:
    from webapp.reports.state import report_state

    key = summary_key(kind)
    summary, children, reports = rolled_up_summary(org, period, kind)
    typed: dict[str, registry.Table] = {
        spec.key: summary if spec.key == key else compute(spec.number, org, period)
        for spec in registry.report_tables(kind)
        if lists or spec.shape != registry.LIST
    }
    units: list[LowerUnit] = []
    for row in summary.rows:
        if row.org_code == org.code or row.status == LEDGER_ROW:
            continue
        report = reports.get(row.org_code)
        state = report_state(report) if report is not None else None
        units.append(
            {
                "org_code": row.org_code,
                "org_name": row.org_name,
                "report_id": report.id if report else None,
                "state": state.value if state else "not_started",
                "state_label": state.label if state else "未开始",
                "accepted": row.org_code in children,
            }
        )
    if children:
        table6 = typed["table6"]
        assert isinstance(table6, CategoryTable)
        typed["table6"] = _correct_table6(
            table6, period, {code: reports[code] for code in children}
        )
    # The tables leave the figures here, once, in their JSON shape; the checks read that shape.
    tables = {name: table_json(table) for name, table in typed.items()}
    previous, _, _ = rolled_up_summary(org, period.previous(), kind)
    previous = _own_row_as_accepted(previous, org, period.previous(), kind)
    ledger = stats_ledger_checks(org, period)
    tables[key]["checks"] = run_checks(
        tables[key],
        previous=table_json(previous),
        related={"children": children} if children else None,
        ledger_checks=ledger,
    )
    tables["table6"]["checks"] = run_checks(tables["table6"], related={key: tables[key]})
    checks: list[Check] = [
        {**c, "table": name} for name in (key, "table6") for c in tables[name].get("checks", [])
    ]
    return {"tables": tables, "checks": checks, "lower_units": units}


def _own_row_as_accepted(
    previous: SummaryTable, org: Org, period: Period, kind: str
) -> SummaryTable:
    """The previous period's table with the unit's own row as its upper level accepted it.

    接转 = 上期在建 compares this period with what the unit reported last period, not with
    the ledger as it is now: a project of the previous period edited since (a corrected area, a
    completion date moved) changes the live figures of a closed period, and the upper level,
    which reads the accepted report, would otherwise meet the difference first, as an error it
    cannot fix.  The row is marked 已接收, so the check says where the difference comes from."""
    report = db.session.execute(
        select(Report).where(
            Report.org_id == org.id, Report.period == period.code, Report.kind == kind
        )
    ).scalar_one_or_none()
    accepted = report.accepted_snapshot if report is not None else None
    if not accepted:
        return previous
    spec = registry.summary_spec(kind)
    frozen = [
        SummaryRow.from_json(row)
        for row in accepted["tables"][spec.key].get("rows", [])
        if row.get("org_code") == org.code
    ]
    if not frozen:
        return previous
    rows = tuple(
        replace(row.with_figures_of(frozen[0]), status=ACCEPTED_ROW)
        if row.org_code == org.code
        else row
        for row in previous.rows
    )
    return replace(previous, rows=rows, total=SummaryRow.total(rows, org.code))


def _correct_table6(
    table6: CategoryTable, period: Period, accepted: dict[str, Report]
) -> CategoryTable:
    """附表6 with each accepted lower unit's live figures replaced by the ones it submitted."""
    rows = {r.key: r for r in table6.rows}
    for code, report in accepted.items():
        snapshot = report.accepted_snapshot or {}
        submitted = CategoryTable.from_json(snapshot["tables"]["table6"])
        by_key: dict[str, CategoryRow] = {r.key: r for r in submitted.rows}
        live = compute(6, code, period)
        assert isinstance(live, CategoryTable)
        for row in live.rows:
            rows[row.key] = rows[row.key].corrected(by_key[row.key], row)
    return replace(table6, rows=tuple(rows[r.key].with_rates() for r in table6.rows))
