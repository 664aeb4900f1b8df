"""The report's autosaved texts in the versioned section store (webapp.drafts): the narrative
《工程质量运行态势分析报告》 and the explanations (预警说明, 未报单位说明).

``Report.narrative``, ``Report.explanations`` and ``Report.missing_explanation`` stay what
freezing, the Word document and the checks read: the store writes them in the same transaction
as each new version (``write_cache``), so they are always the current versions' texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from webapp.core.errors import InvalidInput
from webapp.drafts.kinds import DraftKind, json_column_cache, register_kind
from webapp.periodic.operations import get_document
from webapp.reports.access import may_know
from webapp.reports.models import Report
from webapp.reports.readiness import current_checks, min_explanation
from webapp.reports.sections import SECTION_MAX_CHARS, sections
from webapp.reports.state import editable
from webapp.stats.checks import rule_name
from webapp.stats.compute import parse_period

#: The explanation of missing lower units (未报说明) among the explanations' keys.
MISSING = "missing_explanation"
EXPLANATION_MAX_CHARS = 2000
LOCKED = "报告当前状态不能修改（已提交审核、已上报或已接收）。如需更正，请发起更正流程。"


#: A report id that does not exist, or a report the user may not see (reports.operations).
REPORT_MISSING = "报告不存在。"


def _load(report_id: int) -> Report:
    return get_document(Report, report_id, REPORT_MISSING)


def _describe(report: Report) -> str:
    return f"{report.org.name} · {parse_period(report.period).label} · {report.kind_enum.label}"


def explanation_title(key: str) -> str:
    """预警说明：<the rule's Chinese name> (the check id is the key, never shown)."""
    return "未报单位说明" if key == MISSING else f"预警说明：{rule_name(key)}"


def explanation_titles(report: Report) -> dict[str, str]:
    """The warnings of the report's figures (each needs an explanation), any key explained
    before, and the explanation of missing lower units.  Computed without the record lists
    (:func:`current_checks`): every autosave asks."""
    titles = {
        c["id"]: explanation_title(c["id"])
        for c in current_checks(report)
        if c["severity"] == "warning"
    }
    for key in report.explanations or {}:
        titles.setdefault(key, explanation_title(key))
    titles[MISSING] = "未报单位说明"
    return titles


def refuse_short(texts: Mapping[str, str]) -> None:
    """An explanation shorter than the minimum (a setting, shown beside each field) is refused
    when saving, with the reason, instead of being saved and then refused at submission.
    An emptied text is no explanation and may be saved (the warning is unexplained again)."""
    least = min_explanation()
    short = {key: n for key, text in texts.items() if 0 < (n := len(text.strip())) < least}
    if short:
        names = "、".join(f"“{explanation_title(k)}”（{n} 个字）" for k, n in short.items())
        raise InvalidInput(
            f"{names}过短：填报说明至少 {least} 个字，请写明原因后再保存（本次未保存）。",
            details={"too_short": short, "min_chars": least},
        )


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
        "known": may_know,
        "draft_action": "report.draft",
        "load": _load,
        "missing": REPORT_MISSING,
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
        **json_column_cache("narrative"),
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
        validate=refuse_short,
        **_common(),
    )
)
