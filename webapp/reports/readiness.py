"""Whether a report may go on: its live figures, editability, and what still blocks submission."""

from __future__ import annotations

from typing import Any

from webapp.core.models import Role, User
from webapp.core.operations import users_in_role
from webapp.reports.models import Report
from webapp.reports.rollup import build_tables
from webapp.reports.sections import DRAFT_MARK, sections
from webapp.reports.state import editable

MIN_EXPLANATION = 4  #: characters: a warning's explanation must say something


def figures(report: Report) -> dict[str, Any]:
    """The tables to show: frozen once submitted and not re-opened, live otherwise."""
    if report.snapshot is not None and not editable(report):
        return report.snapshot
    return build_tables(report.org, report.period, report.kind)


def data_problems(report: Report, built: dict[str, Any]) -> list[str]:
    """Errors block the step; every warning needs a written explanation; missing lower units too."""
    problems = []
    for check in built["checks"]:
        if check["severity"] == "error":
            problems.append(f"校验错误（{check['table']}）：{check['message']}")
        elif check["severity"] == "warning":
            text = (report.explanations or {}).get(check["id"], "").strip()
            if len(text) < MIN_EXPLANATION:
                problems.append(f"请对预警作出说明：{check['message']}")
    missing = [u["org_name"] for u in built["lower_units"] if not u["accepted"]]
    if missing and len((report.missing_explanation or "").strip()) < MIN_EXPLANATION:
        problems.append(f"下级单位未报（{'、'.join(missing)}），请填写未报说明后再上报。")
    return problems


def narrative_problems(report: Report) -> list[str]:
    empty = [
        title
        for key, title in sections(report.kind)
        if not (report.narrative or {}).get(key, "").strip()
    ]
    problems = [f"分析报告以下部分尚未填写：{'、'.join(empty)}"] if empty else []
    drafts = [
        title
        for key, title in sections(report.kind)
        if DRAFT_MARK in (report.narrative or {}).get(key, "")
    ]
    if drafts:
        problems.append(
            f"分析报告以下部分仍是系统初稿，请核对改写并删除首行的初稿标记：{'、'.join(drafts)}"
        )
    return problems


def readiness(report: Report, *, narrative: bool = True) -> list[str]:
    built = build_tables(report.org, report.period, report.kind)
    problems = data_problems(report, built)
    if narrative:
        problems += narrative_problems(report)
    return problems


def reviewers_of(org_id: int) -> list[User]:
    """The enabled reviewers of a unit (who is told that a lower report arrived)."""
    return users_in_role(org_id, Role.REVIEWER)
