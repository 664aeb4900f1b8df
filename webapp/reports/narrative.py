"""A first draft (初稿) of the narrative's figure-based sections, written from the report's own
tables in plain official Chinese, for the clerk to rewrite.

Sections (第十条 7): (2) 本季度工程质量监督管理总体情况 from 附表5 (附表7 in the annual report) and
附表6; (6) 企业不良行为记录及行政处罚的情况 from 附表1 and 附表2; (9) 工程质量事故及投诉情况:
what to write, from 附表5/7's 事故 columns and the complaints ledger (``document.complaints_of``),
whose figures the Word document itself writes at the head of the section (none restated);
(10) 工程质量监督执法情况 from 附表3, 附表4, 附表1 and 附表2.

Every number written is one of the tables' figures, or a sum or a period-on-period change of
them, each listed as a :class:`Fact` with where it comes from; nothing the tables do not hold is
stated.  The text is
deterministic (same tables → same text), starts with ``sections.DRAFT_MARK`` and ends with its
sources.  The previous period's figures are those the checks compare with
(``rollup.rolled_up_summary`` of the previous period).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from webapp.reports.document import complaints_of
from webapp.reports.models import Report
from webapp.reports.readiness import figures
from webapp.reports.rollup import rolled_up_summary, summary_key
from webapp.reports.sections import DRAFT_MARK
from webapp.stats.compute import parse_period, table_json
from webapp.stats.figures import ZERO, decimal, rate_value

#: The sections a first draft can be written for.
DRAFT_SECTIONS = ("s02", "s06", "s09", "s10")


@dataclass(frozen=True)
class Fact:
    """One number of the draft: as written, where it comes from, and the sentence (an index
    into :attr:`SectionDraft.sentences`) that states it."""

    value: str
    source: str
    sentence: int = -1


@dataclass
class SectionDraft:
    section: str
    text: str = ""
    facts: list[Fact] = field(default_factory=list)
    #: the body's sentences (or clauses) as written, in order: the text is their concatenation
    sentences: list[str] = field(default_factory=list)

    def basis(self) -> dict[str, Any]:
        """The figures the draft was written from, as kept with it (``report.first_draft``'s
        audit record; ``webapp.reports.staleness`` compares them with the current tables)."""
        return {
            "facts": [[f.value, f.source, f.sentence] for f in self.facts],
            "sentences": list(self.sentences),
        }


class _Writer:
    """Collects sentences and the facts they state."""

    def __init__(self, section: str) -> None:
        self.draft = SectionDraft(section)
        self.sentences: list[str] = []

    def n(self, value: Any, source: str) -> str:
        """A figure as written (counts as integers, others with two decimals), recorded."""
        text = (
            str(value) if isinstance(value, int) else str(decimal(value).quantize(Decimal("0.01")))
        )
        self.draft.facts.append(Fact(text, source))
        return text

    def say(self, sentence: str) -> None:
        # the facts recorded since the last sentence are the ones this sentence states
        index = len(self.sentences)
        self.draft.facts = [
            Fact(f.value, f.source, index) if f.sentence < 0 else f for f in self.draft.facts
        ]
        self.sentences.append(sentence)

    def done(self, sources: str) -> SectionDraft:
        body = "".join(self.sentences)
        self.draft.sentences = list(self.sentences)
        self.draft.text = f"{DRAFT_MARK}\n{body}\n（数据来源：{sources}。）"
        return self.draft


@dataclass(frozen=True)
class _Words:
    """本季度 or 本年度, and the tables' names, for the report's kind."""

    this: str
    last: str
    carried: str
    summary: str

    @classmethod
    def of(cls, report: Report) -> _Words:
        if report.kind == "annual":
            return cls("本年度", "上年度", "上年度接转", "附表7")
        return cls("本季度", "上季度", "上期接转", "附表5")


def _trio(row: Mapping[str, Any], group: str) -> tuple[int, Decimal, Decimal]:
    t = row.get(group) or {}
    return int(t.get("count") or 0), decimal(t.get("area_10k_m2")), decimal(t.get("cost_10k_yuan"))


def _change(w: _Writer, words: _Words, current: int, previous: int, source: str) -> str:
    """新注册项数较上季度增加Z%（上季度Y项） / 与上季度持平 / 上季度新注册Y项."""
    before = w.n(previous, f"{words.last}{source}")
    if previous == 0:
        return f"{words.last}新注册{before}项"
    if current == previous:
        return f"新注册项数与{words.last}持平（{words.last}{before}项）"
    pct = rate_value(abs(current - previous), previous) or ZERO
    trend = "增加" if current > previous else "减少"
    change = w.n(
        pct, f"（本期{source} − {words.last}{source}）的绝对值 ÷ {words.last}{source} × 100"
    )
    return f"新注册项数较{words.last}{trend}{change}%（{words.last}{before}项）"


def _rate(w: _Writer, value: Any, source: str) -> str | None:
    return None if value in (None, "", "—") else w.n(value, source)


def _overall(
    w: _Writer,
    words: _Words,
    report: Report,
    tables: Mapping[str, Any],
    previous: Mapping[str, Any],
) -> str:
    s = words.summary
    total = tables[summary_key(report.kind)]["total"]
    co, reg, uc = (
        _trio(total, "carried_over"),
        _trio(total, "registered"),
        _trio(total, "under_construction"),
    )
    comp, filed = _trio(total, "completed"), _trio(total, "filed")
    supervised = w.n(co[0] + reg[0], f"{s}合计 上期接转项数 + 本期新注册项数")
    w.say(
        f"{words.this}，{report.org.name}共监督工程{supervised}项，其中{words.carried}"
        f"{w.n(co[0], f'{s}合计 上期接转项数')}项、{words.this}新注册"
        f"{w.n(reg[0], f'{s}合计 本期新注册项数')}项。"
    )
    prev_reg = _trio(previous, "registered")[0]
    w.say(
        f"{words.this}新注册工程面积{w.n(reg[1], f'{s}合计 本期新注册面积')}万㎡、"
        f"造价{w.n(reg[2], f'{s}合计 本期新注册造价')}万元，"
        f"{_change(w, words, reg[0], prev_reg, f'{s}合计 本期新注册项数')}。"
    )
    w.say(
        f"截至期末在建工程{w.n(uc[0], f'{s}合计 本期在建项数')}项、面积"
        f"{w.n(uc[1], f'{s}合计 本期在建面积')}万㎡。"
    )
    if comp[0]:
        rates = total.get("filing_rate") or {}
        count_rate = _rate(w, rates.get("count_pct"), f"{s}合计 备案率（项）")
        # the area rate is written only beside the count rate: recorded only then
        area_rate = (
            None
            if count_rate is None
            else _rate(w, rates.get("area_pct"), f"{s}合计 备案率（面积）")
        )
        sentence = (
            f"{words.this}竣工验收合格工程{w.n(comp[0], f'{s}合计 本期竣工项数')}项、面积"
            f"{w.n(comp[1], f'{s}合计 本期竣工面积')}万㎡，办理质量备案"
            f"{w.n(filed[0], f'{s}合计 本期质量备案项数')}项"
        )
        if count_rate is not None:
            sentence += f"，备案率按项计{count_rate}%"
            if area_rate is not None:
                sentence += f"、按面积计{area_rate}%"
        w.say(sentence + "。")
    else:
        none = w.n(filed[0], f"{s}合计 本期质量备案项数")
        w.say(f"{words.this}无竣工验收合格工程，办理质量备案{none}项。")
    satisfaction = _rate(w, total.get("satisfaction_pct"), f"{s}合计 用户满意率")
    if satisfaction is not None:
        w.say(f"已备案工程用户满意率为{satisfaction}%。")
    rows = {r["key"]: r for r in tables["table6"]["rows"]}
    parts = []
    for key, label in (
        ("residential", "住宅工程"),
        ("affordable_housing", "保障性安居工程"),
        ("public", "公共建筑工程"),
        ("large_public", "大型公共建筑工程"),
        ("steel_structure", "钢结构工程"),
    ):
        count = _trio(rows.get(key) or {}, "registered")[0]
        if count:
            parts.append(f"{label}{w.n(count, f'附表6 {label} 新注册项数')}项")
    if parts:
        w.say(f"按工程类别分，新注册工程中{'、'.join(parts)}（类别之间有交叉）。")
    return f"本单位{s}、附表6；{words.last}数据为{words.last}{s}"


def _behaviour(w: _Writer, words: _Words, tables: Mapping[str, Any]) -> str:
    records = tables["table1"]["rows"]
    if records:
        by_type = Counter(str(r.get("unit_type") or "其他") for r in records)
        units = {str(r.get("responsible_unit") or "") for r in records} - {""}
        w.say(
            f"{words.this}共记录企业不良行为{w.n(len(records), '附表1 记录条数')}条，涉及责任单位"
            f"{w.n(len(units), '附表1 责任单位（去重）数')}家。"
        )
        parts = [
            f"{kind}单位{w.n(n, f'附表1 责任单位类型为{kind}的条数')}条"
            for kind, n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        w.say(f"按责任单位类型分：{'、'.join(parts)}。")
    else:
        w.say(f"{words.this}未记录企业不良行为。")
    penalties = tables["table2"]["rows"]
    if penalties:
        units = {str(r.get("responsible_unit") or "") for r in penalties} - {""}
        w.say(
            f"{words.this}对质量责任主体实施行政处罚{w.n(len(penalties), '附表2 记录条数')}起，"
            f"涉及责任单位{w.n(len(units), '附表2 责任单位（去重）数')}家。"
        )
    else:
        w.say(f"{words.this}未对质量责任主体实施行政处罚。")
    return "本单位附表1、附表2"


def _accidents(w: _Writer, words: _Words, report: Report, data: Mapping[str, Any]) -> str:
    """Section (9) states no figure: the Word document writes the period's accidents and
    complaints at the head of the section itself (``document.section9_sentence``), from the
    snapshot it renders, as the rest of the document reads it.  A draft restating them printed
    them twice, the second time as they were when drafted (stale once the ledger changed before
    submission).  From the figures, the draft asks for what only the clerk can write."""
    tables = data["tables"]
    s = words.summary
    acc = tables[summary_key(report.kind)]["total"].get("accidents") or {}
    c = complaints_of(report, data)
    w.say(f"本部分开头由系统写入{words.this}工程质量事故及投诉数字（随报表冻结），正文不再重复。")
    if int(acc.get("count") or 0):
        w.say("请写明各起工程质量事故的工程名称、事故等级、原因、责任单位及调查处理情况。")
    else:
        w.say("请结合监督检查情况，简要分析工程质量安全形势。")
    if c.received or c.closed or c.open_at_end:
        w.say("请写明投诉反映的主要质量问题、办理情况及未办结投诉的办理安排。")
    if c.overturned:
        w.say("请写明被复议机关或审判机关确认违法、撤销或变更的投诉处理决定及整改情况。")
    return f"本单位{s}事故栏、投诉台账，数字见本部分开头"


def _enforcement(w: _Writer, words: _Words, tables: Mapping[str, Any]) -> str:
    in_progress = tables["table3"]["rows"]
    completed = tables["table4"]["rows"]
    failed = sum(1 for r in completed if r.get("acceptance_result") == "不合格")
    w.say(
        f"{words.this}末监督在建工程{w.n(len(in_progress), '附表3 记录条数')}项；"
        f"竣工工程明细表所列工程{w.n(len(completed), '附表4 记录条数')}项"
    )
    if failed:
        w.say(f"，其中竣工验收结论为不合格的{w.n(failed, '附表4 竣工验收结论为不合格的条数')}项")
    w.say("。")
    w.say(
        f"对质量责任主体实施行政处罚{w.n(len(tables['table2']['rows']), '附表2 记录条数')}起，"
        f"记录不良行为{w.n(len(tables['table1']['rows']), '附表1 记录条数')}条。"
    )
    return "本单位附表1至附表4"


def first_draft(
    report: Report, section: str, data: Mapping[str, Any] | None = None
) -> SectionDraft:
    """The first draft of one of :data:`DRAFT_SECTIONS` from the report's tables (frozen
    once submitted, live while drafting; ``data``: those figures, already computed)."""
    if section not in DRAFT_SECTIONS:
        raise KeyError(section)
    data = figures(report) if data is None else data
    tables = data["tables"]
    # each section writes its sentences into ``w`` and answers where its figures come from
    w, words = _Writer(section), _Words.of(report)
    if section == "s02":
        period = parse_period(report.period)
        previous, _, _ = rolled_up_summary(report.org, period.previous(), report.kind)
        sources = _overall(w, words, report, tables, table_json(previous)["total"])
    elif section == "s06":
        sources = _behaviour(w, words, tables)
    elif section == "s09":
        sources = _accidents(w, words, report, data)
    else:
        sources = _enforcement(w, words, tables)
    return w.done(sources)
