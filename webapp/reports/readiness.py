"""Whether a report may go on: its live figures, editability, and what still blocks submission."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from flask import current_app, has_app_context

from webapp.core.models import Role, User
from webapp.core.operations import users_in_role
from webapp.reports.models import Report
from webapp.reports.rollup import build_checks, build_tables, lower_reports
from webapp.reports.sections import DRAFT_MARK, sections
from webapp.reports.state import editable
from webapp.stats import registry
from webapp.stats.checks import Check
from webapp.stats.figures import SummaryRow
from webapp.stats.registry import table_name

#: Default of the setting ``REPORT_MIN_EXPLANATION`` (env ``HQR_REPORT_MIN_EXPLANATION``):
#: characters a warning's or a missing unit's explanation needs, so that it says something.
DEFAULT_MIN_EXPLANATION = 4


def min_explanation() -> int:
    """The shortest explanation accepted, in characters (leading and trailing blanks aside):
    shown beside each field, enforced when saving and again at submission."""
    if has_app_context():
        return int(current_app.config.get("REPORT_MIN_EXPLANATION", DEFAULT_MIN_EXPLANATION))
    return DEFAULT_MIN_EXPLANATION


def figures(report: Report) -> dict[str, Any]:
    """The tables to show: frozen once submitted and not re-opened, live otherwise."""
    if report.snapshot is not None and not editable(report):
        return report.snapshot
    return build_tables(report.org, report.period, report.kind)


def current_checks(report: Report) -> list[Check]:
    """The report's checks as :func:`figures` gives them, without computing the record lists
    (附表1–4, the bulk of a province's figures): what an explanation's save needs."""
    if report.snapshot is not None and not editable(report):
        return list(report.snapshot["checks"])
    return build_checks(report.org, report.period, report.kind)


class Problem(str):
    """A reason the report cannot go on: its text (what the engine's refusal and the API give)
    and the tab of the report's page where it is dealt with, which the pages link to; with
    ``anchor``, the place in that tab (a narrative section's text box, ``s02``), and with
    ``section``, the narrative section it is about."""

    tab: str
    tab_label: str
    anchor: str
    section: str

    def __new__(cls, text: str, tab: str, *, anchor: str = "", section: str = "") -> Problem:
        made = super().__new__(cls, text)
        made.tab = tab
        made.tab_label = TABS[tab]
        made.anchor = anchor or tab
        made.section = section
        return made


#: The report page's tabs a problem can send the user to (anchor → the tab's name).
DATA_TAB = "tab-data"
NARRATIVE_TAB = "tab-narrative"
TABS = {DATA_TAB: "数据与校验", NARRATIVE_TAB: "分析报告"}


def data_problems(report: Report, built: dict[str, Any]) -> list[Problem]:
    """Errors block the step; every warning needs a written explanation; missing lower units too."""
    problems = []
    least = min_explanation()
    for check in built["checks"]:
        if check["severity"] == "error":
            problems.append(
                Problem(f"校验错误（{table_name(check['table'])}）：{check['message']}", DATA_TAB)
            )
        elif check["severity"] == "warning":
            text = (report.explanations or {}).get(check["id"], "").strip()
            if not text:
                problems.append(Problem(f"请对预警作出说明：{check['message']}", DATA_TAB))
            elif len(text) < least:
                problems.append(
                    Problem(
                        f"预警说明不足 {least} 个字，请补充：{check['message']}（现为“{text}”）",
                        DATA_TAB,
                    )
                )
    missing = [u["org_name"] for u in built["lower_units"] if not u["accepted"]]
    if missing and len((report.missing_explanation or "").strip()) < least:
        problems.append(
            Problem(
                f"下级单位未报（{'、'.join(missing)}），"
                f"请填写未报说明（至少 {least} 个字）后再上报。",
                DATA_TAB,
            )
        )
    return problems


def narrative_problems(report: Report) -> list[Problem]:
    empty = [
        title
        for key, title in sections(report.kind)
        if not (report.narrative or {}).get(key, "").strip()
    ]
    problems = (
        [Problem(f"分析报告以下部分尚未填写：{'、'.join(empty)}", NARRATIVE_TAB)] if empty else []
    )
    drafts = [
        title
        for key, title in sections(report.kind)
        if DRAFT_MARK in (report.narrative or {}).get(key, "")
    ]
    if drafts:
        problems.append(
            Problem(
                f"分析报告以下部分仍是系统初稿，请核对改写并删除首行的初稿标记：{'、'.join(drafts)}",
                NARRATIVE_TAB,
            )
        )
    return problems


def readiness(report: Report, *, narrative: bool = True) -> list[Problem]:
    built = build_tables(report.org, report.period, report.kind)
    problems = data_problems(report, built)
    if narrative:
        problems += narrative_problems(report)
    return problems


def reviewers_of(org_id: int) -> list[User]:
    """The enabled reviewers of a unit (who is told that a lower report arrived)."""
    return users_in_role(org_id, Role.REVIEWER)


class SupersededUnit(TypedDict):
    """A lower unit whose accepted figures changed after a report froze its row."""

    org_code: str
    org_name: str
    report_id: int
    #: the row's status when the report froze (已接收: corrected since; 未报: accepted since)
    frozen_status: str


def superseded_lower_units(report: Report, data: Mapping[str, Any]) -> list[SupersededUnit]:
    """The lower units whose accepted figures now differ from the row this frozen report holds
    (empty for a live report: it rolls up what is accepted now).

    A frozen report keeps the figures it was submitted with (domain.md §5); a county corrected
    and accepted again afterwards, or accepted after its city froze it as 未报, leaves the
    city's submitted or accepted 附表5/7 and every roll-up above it on the older figures until
    the city submits again or corrects.  Nothing changes by itself: the page says so, to the
    unit and to the upper level that accepts it, instead of letting a superseded total travel
    up unnoticed."""
    if report.snapshot is None or editable(report):
        return []
    spec = registry.summary_spec(report.kind)
    table = (data.get("tables") or {}).get(spec.key) or {}
    frozen = {r["org_code"]: r for r in table.get("rows") or [] if r.get("status") in WATCHED}
    if not frozen:
        return []
    out: list[SupersededUnit] = []
    for code, lower in sorted(lower_reports(report.org, report.period, report.kind).items()):
        row = frozen.get(code)
        accepted = lower.accepted_snapshot
        if row is None or accepted is None:
            continue
        was = SummaryRow.from_json(row)
        now = was.with_figures_of(SummaryRow.from_json(accepted["tables"][spec.key]["total"]))
        if now.to_json() != was.to_json():
            out.append(
                {
                    "org_code": code,
                    "org_name": row.get("org_name") or lower.org.name,
                    "report_id": lower.id,
                    "frozen_status": str(row.get("status")),
                }
            )
    return out


#: the statuses of a frozen row that a lower unit's later acceptance can supersede
WATCHED = ("已接收", "未报")
