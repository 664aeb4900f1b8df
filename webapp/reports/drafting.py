"""The report's autosaved texts in the versioned section store (webapp.drafts): the narrative
《工程质量运行态势分析报告》 and the explanations (预警说明, 未报单位说明).

``Report.narrative``, ``Report.explanations`` and ``Report.missing_explanation`` stay what
freezing, the Word document and the checks read: the store writes them in the same transaction
as each new version (``write_cache``), so they are always the current versions' texts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from webapp.drafts.kinds import DraftKind, register_kind
from webapp.periodic.operations import get_document
from webapp.reports.models import Report
from webapp.reports.readiness import figures
from webapp.reports.sections import SECTION_MAX_CHARS, sections
from webapp.reports.state import editable
from webapp.stats.compute import parse_period

#: The explanation of missing lower units (未报说明) among the explanations' keys.
MISSING = "missing_explanation"
EXPLANATION_MAX_CHARS = 2000
LOCKED = "报告当前状态不能修改（已提交审核、已上报或已接收）。如需更正，请发起更正流程。"


def _load(report_id: int) -> Report:
    return get_document(Report, report_id, "报告不存在。")


def _describe(report: Report) -> str:
    return f"{report.org.name} · {parse_period(report.period).label} · {report.kind_enum.label}"


def _write_narrative(report: Report, texts: dict[str, str], at: datetime) -> None:
    report.narrative = {**(report.narrative or {}), **texts}
    report.narrative_saved_at = at


def explanation_titles(report: Report) -> dict[str, str]:
    """The warnings of the report's figures (each needs an explanation), any key explained
    before, and the explanation of missing lower units."""
    titles = {
        c["id"]: f"预警说明（{c['id']}）"
        for c in figures(report)["checks"]
        if c["severity"] == "warning"
    }
    for key in report.explanations or {}:
        titles.setdefault(key, f"预警说明（{key}）")
    titles[MISSING] = "未报单位说明"
    return titles


def _read_explanations(report: Report) -> dict[str, str | None]:
    return {**(report.explanations or {}), MISSING: report.missing_explanation}


def _write_explanations(report: Report, texts: dict[str, str], at: datetime) -> None:
    if MISSING in texts:
        report.missing_explanation = texts[MISSING] or None
    merged = {**(report.explanations or {}), **{k: v for k, v in texts.items() if k != MISSING}}
    # An emptied explanation leaves the map, as a warning never explained.
    report.explanations = {k: v for k, v in merged.items() if v}


def _common() -> dict[str, Any]:
    return {
        "object_type": "report",
        "view_action": "report.view",
        "draft_action": "report.draft",
        "load": _load,
        "editable": editable,
        "locked_message": LOCKED,
        "describe": _describe,
        "page_endpoint": "reports.report_page",
        "page_arg": "report_id",
    }


NARRATIVE = register_kind(
    DraftKind(
        code="report_narrative",
        label="分析报告正文",
        save_action="report.narrative_save",
        restore_action="report.narrative_restore",
        max_chars=SECTION_MAX_CHARS,
        titles=lambda report: dict(sections(report.kind)),
        read_cache=lambda report: dict(report.narrative or {}),
        write_cache=_write_narrative,
        page_anchor="narrative",
        **_common(),
    )
)
EXPLANATIONS = register_kind(
    DraftKind(
        code="report_explanations",
        label="填报说明",
        save_action="report.explain",
        restore_action="report.explain_restore",
        max_chars=EXPLANATION_MAX_CHARS,
        titles=explanation_titles,
        read_cache=_read_explanations,
        write_cache=_write_explanations,
        page_anchor="checks",
        **_common(),
    )
)
