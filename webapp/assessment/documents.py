"""The results notice (考核结果通报) as a Word file, from docs_templates/assessment_results.docx.

The template sees only the whitelisted context built here, rendered in a sandboxed,
autoescaping Jinja environment (a unit name cannot inject Word XML or template code).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from webapp.assessment.judging import ranking
from webapp.assessment.models import AssessmentCampaign
from webapp.core import clock
from webapp.documents import render_docx

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "docs_templates"
RESULTS_TEMPLATE = TEMPLATES / "assessment_results.docx"

BASIS = {
    "fujian2": "《河南省保障性安居工程质量管理年活动考核方案》",
    "fujian3": "《河南省保障性安居工程质量监督工作考核办法》",
}


def _score(value: str | None) -> str:
    if value is None:
        return "—"
    text = value
    return text.rstrip("0").rstrip(".") if "." in text else text


def notice_filename(campaign: AssessmentCampaign) -> str:
    return f"{campaign.year}年度考核结果通报.docx"


def notice_context(campaign: AssessmentCampaign) -> dict[str, Any]:
    rows = ranking(campaign)
    names = {u.org.code: u.org.name for u in campaign.units}
    results = campaign.results or {}
    lines = []
    if results.get("advanced"):
        lines.append(
            "河南省保障性安居工程质量监督工作先进单位："
            + "、".join(names[c] for c in results["advanced"])
            + "。"
        )
    if results.get("interview"):
        lines.append(
            "约谈主要领导和分管领导并在全省通报批评："
            + "、".join(names[c] for c in results["interview"])
            + "。"
        )
    by_award: dict[str, list[str]] = {}
    for a in results.get("awards", []):
        label = names.get(a["org_code"], a["org_code"])
        if a.get("person"):
            label = f"{label}{a['person']}"
        by_award.setdefault(a["award"], []).append(label)
    for award, who in by_award.items():
        lines.append(f"{award}：{'、'.join(who)}。")
    if results.get("criticised"):
        lines.append("通报批评：" + "、".join(names[c] for c in results["criticised"]) + "。")
    approved = clock.to_local(campaign.approved_at)
    return {
        "year": campaign.year,
        "title": campaign.kind_label[4:],
        "basis": BASIS.get(campaign.kind, ""),
        "sheet_name": campaign.sheet.name,
        "rows": [
            {
                "rank": r["rank"],
                "org_name": r["org_name"],
                "total": _score(r["total"]),
                "result": "、".join(r["result"]),
            }
            for r in rows
        ],
        "result_lines": lines,
        "opinion": results.get("opinion") or "",
        "approved_date": f"{approved.year}年{approved.month}月{approved.day}日" if approved else "",
    }


def render_results_notice(campaign: AssessmentCampaign) -> bytes:
    # The shared renderer: sandboxed, autoescaped, strict, time-limited, plain-data context.
    return render_docx(RESULTS_TEMPLATE, notice_context(campaign))


def attachment(filename: str) -> str:
    """Content-Disposition for a Chinese file name (RFC 6266 filename*)."""
    return f"attachment; filename=\"notice.docx\"; filename*=UTF-8''{quote(filename)}"
