"""One unit's filled score sheet as a Word document (docs_templates/assessment_sheet.docx),
laid out as the printed 评分表, rendered through :func:`webapp.documents.render_docx` only.

Two versions: the unit's self-assessment (自评) and the final scores (考核组评分: the assessors'
average, then the province's overrides), each item with what was judged unmet or met, the
notes and evidence references, so that the printed sheet adds up and says why.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from webapp.assessment.judging import final_scores, overrides, self_scores
from webapp.assessment.models import ItemScore, Phase, UnitAssessment, UnitState
from webapp.assessment.sampling import made_up_note
from webapp.assessment.scoring import SheetScore
from webapp.assessment.sheet import Item
from webapp.core import clock
from webapp.core.errors import Conflict
from webapp.documents import render_docx

TEMPLATE = (
    Path(__file__).resolve().parent.parent.parent / "docs_templates" / "assessment_sheet.docx"
)
CHINESE_NUMBERS = "一二三四五六七八九十"


def _score(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _judged(item: Item, row: ItemScore) -> str:
    if item.rule.kind == "deduction":
        texts = [d.text for d in item.rule.duties if d.id in (row.unmet or [])]
        return "不满足：" + "；".join(texts) if texts else "各项要求均满足"
    met = row.met
    if met is None:
        return "各得分点均做到"
    texts = [p.text for p in item.rule.parts if p.id in met]
    return "已做到：" + "；".join(texts) if texts else "各得分点均未做到"


def _lines(item: Item, rows: list[ItemScore], named: bool) -> list[str]:
    out = []
    for row in rows:
        who = f"{row.scorer.full_name}：" if named else ""
        line = f"{who}{_judged(item, row)}（{_score(row.score)}分）"
        if row.note:
            line += f"；说明：{row.note}"
        if row.evidence:
            line += f"；佐证：{'、'.join(row.evidence)}"
        out.append(line)
    return out


def sheet_context(unit: UnitAssessment, phase: str) -> dict[str, Any]:
    """The template's context (plain strings) for ``phase`` = ``self`` or ``final``."""
    campaign = unit.campaign
    sheet = campaign.sheet.parsed()
    wanted = Phase.SELF.value if phase == "self" else Phase.ASSESSOR.value
    scores: SheetScore | None = self_scores(unit) if phase == "self" else final_scores(unit)
    if scores is None:
        what = "自评" if phase == "self" else "考核组评分"
        raise Conflict(f"{unit.org.name}尚无{what}，不能生成评分表。")
    rows = [s for s in unit.scores if s.phase == wanted]
    scorers = sorted({s.scorer.full_name for s in rows})
    changed = overrides(unit) if phase == "final" else {}
    sections = []
    for n, section in enumerate(sheet.sections):
        items = []
        for item in section.items:
            lines = _lines(item, [r for r in rows if r.item_id == item.id], len(scorers) > 1)
            if item.id in changed:
                o = changed[item.id]
                lines.append(
                    f"省厅调整：{_score(o.before)}分 → {_score(o.after)}分；理由：{o.reason}"
                )
            items.append(
                {
                    "name": item.name,
                    "wording": item.wording,
                    "points": _score(item.points),
                    "score": "不适用"
                    if item.id in scores.not_applicable
                    else _score(scores.items.get(item.id)),
                    "lines": lines,
                }
            )
        sections.append(
            {
                "seq": CHINESE_NUMBERS[n] if n < len(CHINESE_NUMBERS) else str(n + 1),
                "name": section.name,
                "points": _score(section.points),
                "subtotal": _score(scores.sections.get(section.name)),
                "rows": items,
            }
        )
    sites = [
        f"{s.project_name}（{s.project_ref}{'，所辖县（市）' if s.in_county else ''}"
        f"{f'，{s.completed_on.isoformat()} 竣工' if s.completed_on else ''}）"
        + (f"：{s.visit_date.isoformat()} 检查，{s.findings or '无问题'}" if s.visit_date else "")
        for s in unit.sites
    ]
    notes = []
    made_up = made_up_note(unit) if phase == "final" else ""
    if made_up:
        notes.append(f"现场抽查：{made_up}")
    if scores.scaled:
        notes.append(f"本单位不适用的项目不评分，总分折算为百分制：{scores.scaling}。")
    if phase == "self" and unit.self_summary:
        notes.append(f"全年活动情况书面总结：{unit.self_summary}")
    if phase == "final" and unit.rank is not None and campaign.state == "approved":
        notes.append(f"名次：第{unit.rank}名。" + "、".join(unit.result or []))
    today = clock.today_local()
    return {
        "sheet_name": sheet.name,
        "phase_label": "单位自评" if phase == "self" else "考核组评分",
        "unit": unit.org.name,
        "year": campaign.year,
        "scorer_label": "填表人" if phase == "self" else "考核人员",
        "scorers": "、".join(scorers),
        "sections": sections,
        "max_total": "100",
        "total": _score(scores.total),
        "sites": sites if phase == "final" else [],
        "notes": notes,
        "sign_label": "单位负责人" if phase == "self" else "考核组组长",
        "date": f"{today.year}年{today.month}月{today.day}日",
    }


def is_draft(unit: UnitAssessment, phase: str) -> bool:
    """A sheet is a draft (草稿 mark) until it is final: the self-assessment until the unit
    submitted it, the assessors' scores until the results are approved."""
    if phase == "self":
        return unit.state in (UnitState.DRAFT.value, UnitState.SELF_REVIEW.value)
    return unit.campaign.state != "approved"


def render_unit_sheet(unit: UnitAssessment, phase: str, *, draft: bool = False) -> bytes:
    # The shared renderer: sandboxed, autoescaped, strict, time-limited, plain-data context.
    return render_docx(TEMPLATE, sheet_context(unit, phase), draft=draft)
