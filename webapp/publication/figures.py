"""A half year's figures, combined from the two quarters' accepted report snapshots.

For a unit and a half year (Q1+Q2 or Q3+Q4), from each quarter's ``accepted_snapshot`` (the
frozen 附表5 as the upper level accepted it, lower units' accepted figures rolled up):

- 上期接转 = the first quarter's; 期末在建 = the second quarter's (end of the half year);
- 新注册, 竣工, 质量备案, 满意 (``satisfied_count``), 事故 (项数, 死亡, 损失) = the sum of both;
- 备案率 = 备案 ÷ 竣工 × 100 and 满意率 = 满意 ÷ 备案 × 100, recomputed from the sums;
- 不良行为记录 / 行政处罚 = the rows of both quarters' 附表1 / 附表2;
- 竣工验收 (the quality index's acceptance part) = the 附表4 rows of both quarters whose
  acceptance is dated in their quarter (合格 and 不合格), per unit of the 附表5 rows.

Area and cost are added as printed (two decimals), so a half-year figure is the sum of the
quarterly figures as published, and 在建 = 接转 + 新注册 − 竣工 holds because it holds for each
quarter.  Nothing here reads the live ledgers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypedDict

from sqlalchemy import func, select

from webapp.core.models import Org
from webapp.extensions import db
from webapp.ledger.models import AcceptanceResult
from webapp.publication.index import Outcomes, QualityIndex, quality_index
from webapp.publication.periods import HalfYear, parse_half_year
from webapp.reports.models import Report, ReportKind
from webapp.stats.compute import parse_period
from webapp.stats.figures import SummaryRow, SummaryRowJSON, SummaryTable


class QuarterJSON(TypedDict):
    period: str
    report_id: int | None
    accepted: bool
    accepted_at: str | None


class HalfYearJSON(TypedDict):
    """A unit's half-year figures as pages, API bodies and publication snapshots carry them."""

    org: str
    org_name: str
    period: str
    period_label: str
    quarters: list[QuarterJSON]
    complete: bool
    total: SummaryRowJSON | None
    rows: list[SummaryRowJSON]
    bad_records: int | None
    penalties: int | None
    index: QualityIndex | None
    #: Each lower unit's index, for comparison (the index is the unit's own: domain.md §6)
    unit_indexes: list[UnitIndexJSON]


class UnitIndexJSON(TypedDict):
    org_code: str
    org_name: str
    value: str | None


def accepted_reports(org: Org, half: HalfYear) -> dict[str, Report | None]:
    """The quarterly reports of the half year, by quarter code (None when absent)."""
    found = {
        r.period: r
        for r in db.session.execute(
            select(Report).where(
                Report.org_id == org.id,
                Report.kind == ReportKind.QUARTERLY.value,
                Report.period.in_(half.quarters),
            )
        ).scalars()
    }
    return {q: found.get(q) for q in half.quarters}


def units_with_both_quarters(half: HalfYear) -> set[int]:
    """The units (org ids) that have a quarterly report for each quarter of ``half``, in one
    query: only they can have complete figures (:func:`half_year_figures`)."""
    return set(
        db.session.execute(
            select(Report.org_id)
            .where(
                Report.kind == ReportKind.QUARTERLY.value,
                Report.period.in_(half.quarters),
            )
            .group_by(Report.org_id)
            .having(func.count(func.distinct(Report.period)) == len(half.quarters))
        ).scalars()
    )


def half_year_figures(org: Org, half: HalfYear | str) -> HalfYearJSON:
    """The unit's half-year figures and quality index; ``complete`` is False (and ``total``
    None) until both quarters' reports have been accepted."""
    half = parse_half_year(half)
    reports = accepted_reports(org, half)
    quarters: list[QuarterJSON] = []
    snapshots = []
    for code, report in reports.items():
        snap = report.accepted_snapshot if report is not None else None
        quarters.append(
            {
                "period": code,
                "report_id": report.id if report is not None else None,
                "accepted": snap is not None,
                "accepted_at": report.accepted_at.isoformat()
                if report is not None and report.accepted_at
                else None,
            }
        )
        if snap is not None:
            snapshots.append(snap)
    out: HalfYearJSON = {
        "org": org.code,
        "org_name": org.name,
        "period": half.code,
        "period_label": half.label,
        "quarters": quarters,
        "complete": len(snapshots) == 2,
        "total": None,
        "rows": [],
        "bad_records": None,
        "penalties": None,
        "index": None,
        "unit_indexes": [],
    }
    if len(snapshots) != 2:
        return out
    first, second = (SummaryTable.from_json(s["tables"]["table5"]) for s in snapshots)
    total = SummaryRow.half_year(first.total, second.total, "合计")
    rows = half_year_rows(first.rows, second.rows)
    out["rows"] = [row.to_json() for row in rows]
    out["total"] = total.to_json()
    out["bad_records"] = sum(len(s["tables"]["table1"]["rows"]) for s in snapshots)
    out["penalties"] = sum(len(s["tables"]["table2"]["rows"]) for s in snapshots)
    concluded, passed = acceptances(
        org, rows, [(r.period, r.accepted_snapshot) for r in reports.values() if r]
    )
    out["index"] = quality_index(Outcomes.of(total, sum(concluded.values()), sum(passed.values())))
    out["unit_indexes"] = [
        {
            "org_code": row.org_code,
            "org_name": row.org_name,
            "value": quality_index(Outcomes.of(row, concluded[row.org_code], passed[row.org_code]))[
                "value"
            ],
        }
        for row in rows
        if row.org_code != org.code
    ]
    return out


def half_year_rows(first: list[SummaryRow], second: list[SummaryRow]) -> list[SummaryRow]:
    """The half year's row of every unit of either quarter, so that the rows add up to the
    total: a unit in one quarter only (the unit tree changed between them: a new county, two
    merged) counts as an empty row in the other, in the second quarter's order, then the first's.
    (Only units of both quarters were kept before: their total held figures no row showed.)"""
    firsts = {r.org_code: r for r in first}
    seconds = {r.org_code: r for r in second}
    codes = [*seconds, *(code for code in firsts if code not in seconds)]
    return [
        SummaryRow.half_year(
            firsts.get(code) or SummaryRow(code, seconds[code].org_name),
            seconds.get(code) or SummaryRow(code, firsts[code].org_name),
        )
        for code in codes
    ]


def _in_quarter(day: Any, start: date, end: date) -> bool:
    try:
        return start <= date.fromisoformat(str(day)) <= end
    except ValueError:
        return False


def acceptances(
    org: Org, rows: Iterable[SummaryRow], snapshots: Iterable[tuple[str, Mapping[str, Any] | None]]
) -> tuple[Counter[str], Counter[str]]:
    """Acceptances concluded (合格 and 不合格) and passed, by the 附表5 row they belong to: the
    附表4 rows of each accepted quarter whose 竣工验收日期 lies in that quarter (a project filed in
    the quarter but completed earlier is listed there too and is not counted again)."""
    paths = {o.code: o.path for o in db.session.execute(select(Org)).scalars()}
    lower = sorted(
        ((paths.get(r.org_code, ""), r.org_code) for r in rows if r.org_code != org.code),
        reverse=True,
    )

    def row_of(code: str) -> str:
        path = paths.get(code, "")
        return next((c for p, c in lower if p and path.startswith(p)), org.code)

    concluded: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for period_code, snap in snapshots:
        if snap is None:
            continue
        quarter = parse_period(period_code)
        for r in snap["tables"]["table4"]["rows"]:
            result = r.get("acceptance_result") or ""
            if not result or not _in_quarter(r.get("accepted_on"), quarter.start, quarter.end):
                continue
            code = row_of(str(r.get("org_code") or ""))
            concluded[code] += 1
            passed[code] += result == AcceptanceResult.PASSED.value
    return concluded, passed


def accepted_bad_records(org: Org, half: HalfYear) -> list[dict[str, Any]]:
    """附表1 rows of the half year's accepted quarterly snapshots that carry an approval date."""
    rows: list[dict[str, Any]] = []
    for report in accepted_reports(org, half).values():
        snap = report.accepted_snapshot if report is not None else None
        if snap is None:
            continue
        rows += [r for r in snap["tables"]["table1"]["rows"] if r.get("approved_on")]
    return rows
