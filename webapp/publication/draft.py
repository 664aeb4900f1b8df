"""The generated draft of the public overall-status report: four sections of plain Chinese text
written from the accepted half-year figures, which the clerk then edits.

Where only a person can write (problems seen, measures planned), the draft leaves a marker
(``TO_FILL``) that must be replaced before the report can go to review.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from webapp.stats.figures import SummaryRow, Trio, round2, text

#: Sections of the public report: (key, heading).
SECTIONS = (
    ("overview", "工程质量总体状况"),
    ("trends", "与上一半年度比较"),
    ("problems", "存在的主要问题"),
    ("measures", "下一步工作措施"),
)
SECTION_KEYS = tuple(k for k, _ in SECTIONS)
SECTION_MAX_CHARS = 6000
#: Placed where the clerk must write; a section still containing it is not finished.
TO_FILL = "【请填写】"
NUMERALS = "一二三四五六七八九十"


def _trio_text(t: Trio) -> str:
    return f"{t.count}项、面积{text(t.area)}万㎡、造价{text(t.cost)}万元"


def _rate(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def _total(fig: Mapping[str, Any]) -> SummaryRow:
    return SummaryRow.from_json(fig["total"])


def overview(fig: Mapping[str, Any]) -> str:
    t = _total(fig)
    acc = t.accidents
    index = fig["index"] or {}
    accidents = (
        f"发生工程质量事故{acc.count}起，死亡{acc.deaths}人，直接经济损失{text(acc.loss)}万元"
        if acc.count
        else "未发生工程质量事故"
    )
    supervised = t.supervised or t.carried_over + t.registered
    return (
        f"{fig['period_label']}，{fig['org_name']}共监督工程{_trio_text(supervised)}，"
        f"其中上期接转{_trio_text(t.carried_over)}，本期新注册{_trio_text(t.registered)}。"
        f"本期竣工验收合格{_trio_text(t.completed)}，办理质量备案{_trio_text(t.filed)}，"
        f"质量备案率（项）{_rate(t.filing_count_pct)}，"
        f"用户满意率{_rate(t.satisfaction_pct)}；期末在建{_trio_text(t.under_construction)}。"
        f"\n本期{accidents}；记录不良行为{fig['bad_records']}条，"
        f"实施行政处罚{fig['penalties']}起。"
        f"\n本期工程质量指数为{index.get('value') or '—'}（满分100，计算方法见附表）。"
    )


def _change(label: str, now: int | Decimal, before: int | Decimal, unit: str) -> str:
    """A figure against the previous half year's; the change in % by the one rounding rule."""
    diff = now - before
    if diff == 0:
        return f"{label}与上期持平（{now}{unit}）"
    word = "增加" if diff > 0 else "减少"
    share = f"，变化{round2(Decimal(abs(diff)) * 100 / before)}%" if before else ""
    return f"{label}{now}{unit}，比上期{word}{abs(diff)}{unit}{share}"


def trends(fig: Mapping[str, Any], previous: Mapping[str, Any] | None) -> str:
    if previous is None or not previous.get("complete"):
        return (
            f"上一半年度的统计数据尚未全部接收，本期暂不作同比分析。{TO_FILL}"
            "（如有可比资料，请补充说明。）"
        )
    t, p = _total(fig), _total(previous)
    parts = [
        _change("新注册工程", t.registered.count, p.registered.count, "项"),
        _change("新注册面积", round2(t.registered.area), round2(p.registered.area), "万㎡"),
        _change("竣工工程", t.completed.count, p.completed.count, "项"),
        _change("质量备案工程", t.filed.count, p.filed.count, "项"),
        _change("质量事故", t.accidents.count, p.accidents.count, "起"),
        _change("不良行为记录", int(fig["bad_records"]), int(previous["bad_records"]), "条"),
    ]
    index_now = (fig.get("index") or {}).get("value")
    index_before = (previous.get("index") or {}).get("value")
    text = f"与{previous['period_label']}相比：" + "；".join(parts) + "。"
    if index_now and index_before:
        text += f"\n工程质量指数由{index_before}变为{index_now}。"
    return text


def problems(fig: Mapping[str, Any]) -> str:
    t = _total(fig)
    found = []
    rate = t.filing_count_pct
    if rate is not None and rate < 100:
        found.append(f"部分竣工工程未及时办理质量备案（备案率{rate}%）")
    if t.satisfaction_pct is not None and t.satisfaction_pct < 90:
        found.append(f"用户满意率为{t.satisfaction_pct}%，仍有提升空间")
    if t.accidents.count:
        found.append(f"发生工程质量事故{t.accidents.count}起")
    if fig["bad_records"]:
        found.append(f"工程参建各方存在不良行为{fig['bad_records']}条")
    head = "；".join(found) + "。" if found else ""
    return f"{head}{TO_FILL}（请结合本地监督检查情况，说明存在的主要问题。）"


def measures() -> str:
    return f"{TO_FILL}（请说明下一步加强工程质量监督管理的具体措施。）"


def generate(fig: Mapping[str, Any], previous: Mapping[str, Any] | None) -> dict[str, str]:
    """The four sections written from complete figures."""
    return {
        "overview": overview(fig),
        "trends": trends(fig, previous),
        "problems": problems(fig),
        "measures": measures(),
    }


#: Any 【…】 placeholder, whatever its words (【请填写】, 【单位名称】…).
PLACEHOLDER = re.compile(r"【[^】]*】")
#: A drafting instruction in the template: the parenthesised text right after a placeholder.
_INSTRUCTION = re.compile(r"【[^】]*】\s*[（(]([^）)]+)[）)]")


def _sample_figures(previous: bool) -> dict[str, Any]:
    """Figures that reach every branch of the generator (a complete half year with events)."""
    one = {"count": 1, "area_10k_m2": "1.00", "cost_10k_yuan": "1.00"}
    total = {
        "org_code": "0",
        "org_name": "样例",
        **{g: one for g in ("carried_over", "registered", "under_construction", "completed")},
        "filed": one,
        "filing_rate": {"count_pct": "50.00", "area_pct": "50.00"},
        "satisfaction_pct": "50.00",
        "satisfied_count": 0,
        "accidents": {"count": 1, "deaths": 0, "loss_10k_yuan": "1.00"},
    }
    return {
        "period_label": "样例",
        "org_name": "样例",
        "complete": previous,
        "total": total,
        "bad_records": 1,
        "penalties": 1,
        "index": {"value": "50.00"},
    }


@cache
def template_instructions() -> tuple[str, ...]:
    """The drafting instructions the template (:func:`generate`) writes, derived from its own
    output on sample figures (with and without a previous half year): every parenthesised
    text that follows a 【…】 placeholder.  A new instruction in the template is caught without
    listing it anywhere."""
    found: list[str] = []
    for previous in (None, _sample_figures(True)):
        for written in generate(_sample_figures(True), previous).values():
            found += [m.strip() for m in _INSTRUCTION.findall(written)]
    return tuple(dict.fromkeys(found))


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def leftovers(text: str) -> list[str]:
    """The template's drafting text still in ``text``: 【…】 placeholders and instructions
    (compared without spaces, whichever parentheses surround them)."""
    found = list(dict.fromkeys(PLACEHOLDER.findall(text or "")))
    flat = _squeeze(text or "")
    found += [f"（{i}）" for i in template_instructions() if _squeeze(i) in flat]
    return found


def unfinished(sections: Mapping[str, str]) -> list[str]:
    """Headings of the sections still empty or still containing the template's drafting text."""
    return [
        heading
        for key, heading in SECTIONS
        if not (sections.get(key) or "").strip() or leftovers(sections.get(key) or "")
    ]


def drafting_problems(sections: Mapping[str, str]) -> list[str]:
    """One message per section that still holds the template's drafting text, naming it."""
    problems = []
    for i, (key, heading) in enumerate(SECTIONS):
        text = sections.get(key) or ""
        if not text.strip():
            problems.append(f"“{NUMERALS[i]}、{heading}”尚未填写。")
        elif found := leftovers(text):
            problems.append(
                f"“{NUMERALS[i]}、{heading}”仍有模板的填写提示：{'、'.join(found)}，"
                "请替换为实际内容后再提交。"
            )
    return problems


def numbered(sections: dict[str, str]) -> list[dict[str, Any]]:
    """The sections as documents show them: number, heading, paragraphs."""
    return [
        {
            "key": key,
            "number": NUMERALS[i],
            "heading": heading,
            "paragraphs": [p.strip() for p in (sections.get(key) or "").split("\n") if p.strip()],
        }
        for i, (key, heading) in enumerate(SECTIONS)
    ]
