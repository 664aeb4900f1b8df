"""The results notice (考核结果通报) as a Word file, from docs_templates/assessment_results.docx,
and its publication to the assessed units (:func:`publish_results_notice`).

The template sees only the whitelisted context built here, rendered in a sandboxed,
autoescaping Jinja environment (a unit name cannot inject Word XML or template code).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from webapp.archive import operations as archive
from webapp.assessment.judging import ranking
from webapp.assessment.models import AssessmentCampaign, CampaignState
from webapp.assessment.operations import audit_change, get_campaign, notify_staff_of
from webapp.core import clock
from webapp.core.errors import Conflict
from webapp.core.models import Role, User
from webapp.documents import Rendered, render_laid_out

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
    for measure in ("约谈主要领导", "限制评先评奖"):
        who = [
            names[lag["org_code"]]
            for lag in results.get("laggards", [])
            if measure in lag["measures"]
        ]
        if who:
            lines.append(f"工作落后地区，{measure}：{'、'.join(who)}。")
    scaled = [r for r in rows if r.get("scaling")]
    for r in scaled:
        lines.append(f"{r['org_name']}（省直管县（市），部分项目不适用）：{r['scaling']}。")
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


def render_results_notice(campaign: AssessmentCampaign, *, draft: bool = False) -> bytes:
    return results_notice(campaign, draft=draft).docx


def results_notice(campaign: AssessmentCampaign, *, draft: bool = False) -> Rendered:
    """The notice's Word file, with the PDF of its 版记 layout when LibreOffice made one."""
    # The shared renderer: sandboxed, autoescaped, strict, time-limited, plain-data context.
    # Rendered once the results are approved (final): no 草稿 mark unless asked.
    return render_laid_out(RESULTS_TEMPLATE, notice_context(campaign), draft=draft)


def publish_results_notice(
    actor: User | None, campaign_id: int, instance_id: int
) -> dict[str, Any]:
    """Generate the approved results notice (Word) and publish it to every assessed unit's
    staff (``actor=None``: the system, the process's step after the approval)."""
    campaign = get_campaign(campaign_id)
    if campaign.state != CampaignState.APPROVED.value:
        raise Conflict("考核结果尚未审批，不能通报。")
    rendered = results_notice(campaign)
    data = rendered.docx
    archived = archive.store(
        "assessment_campaign",
        campaign.id,
        data,
        filename=notice_filename(campaign),
        stage="published",
        actor=actor,
        pdf=rendered.pdf,  # its first PDF download then renders nothing
    )
    digest = archived.sha256
    messages = {
        unit.org_id: (
            f"{campaign.title}结果已通报：本单位得分 {unit.final_score}，名次 {unit.rank}。"
            "可在“考核”中查看得分并下载结果通报。"
        )
        for unit in campaign.units
    }
    roles = (Role.CLERK, Role.REVIEWER, Role.LEADER)
    notified = notify_staff_of(messages, roles, "assessment_notice", instance_id)
    audit_change(
        "assessment.notice_publish",
        actor,
        campaign,
        after={"sha256": digest, "size": len(data), "units": len(campaign.units)},
    )
    return {"notice_sha256": digest, "notified": notified}
