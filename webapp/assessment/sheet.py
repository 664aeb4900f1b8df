"""Score sheets (评分表) as data: the parsed, validated form of a sheet file.

A sheet file is JSON (see docs/assessment.md): sections with their 分值, items with 分值, the
printed wording and a rule, either a *deduction* ("记N分，不满足一项扣M分，扣完为止") with the
duties listed one by one, or an *additive* rule ("A 记x分；B 记y分") with its parts.

:func:`parse_sheet` refuses a sheet that does not add up (items to their section, sections to
100, the section totals the regulation prints for 附件2/附件3) with a Chinese message naming
every problem.  Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from webapp.core import numbers
from webapp.core.errors import InvalidInput
from webapp.core.text import MAX_JSON_DEPTH, bidi_problem, file_json_problem, strict_json_loads

SHEETS_DIR = Path(__file__).resolve().parent / "sheets"
FORMAT_VERSION = 1
TOTAL = Decimal(100)

KIND_LABELS: dict[str, str] = {
    "fujian2": "附件2 保障性安居工程质量管理年工作考核",
    "fujian3": "附件3 保障性安居工程质量监督工作考核",
}
KIND_SHORT: dict[str, str] = {"fujian2": "附件2", "fujian3": "附件3"}

#: The section totals printed in the regulation (domain.md §7); a sheet of a kind must keep them.
EXPECTED_SECTIONS: dict[str, list[tuple[str, Decimal]]] = {
    "fujian2": [
        ("建设主管部门", Decimal(50)),
        ("施工企业", Decimal(20)),
        ("监理单位", Decimal(15)),
        ("检测机构", Decimal(5)),
        ("其它", Decimal(10)),
    ],
    "fujian3": [
        ("住房城乡建设主管部门", Decimal(60)),
        ("参建各方责任主体", Decimal(30)),
        ("工作亮点和特色", Decimal(10)),
    ],
}

#: Largest sheet file accepted (bytes).
MAX_SHEET_BYTES = 512 * 1024


#: Tiers an item may be declared not applicable to (``not_applicable`` in the sheet file): the
#: items about a unit's own subordinate counties do not apply to a directly administered county,
#: which has none (domain.md §7, Decision "not applicable").
NA_TIERS = {"direct_county": "省直管县（市）"}


@dataclass(frozen=True)
class Duty:
    id: str
    text: str
    #: The duty as it reads for a directly administered county, without a clause about its
    #: (non-existent) subordinate counties (附件3 1.11 c); None: the same text.
    direct_county_text: str | None = None

    def text_for(self, tier: str | None) -> str:
        if tier == "direct_county" and self.direct_county_text:
            return self.direct_county_text
        return self.text


@dataclass(frozen=True)
class Part:
    id: str
    text: str
    points: Decimal


@dataclass(frozen=True)
class Rule:
    kind: Literal["deduction", "additive"]
    #: deduction: 记N分 (may exceed the item's 分值; the score is capped at 分值)
    start: Decimal | None = None
    #: deduction: 不满足一项扣M分
    per_unmet: Decimal | None = None
    duties: tuple[Duty, ...] = ()
    #: additive: the parts, each with its points
    parts: tuple[Part, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "deduction":
            return {
                "kind": "deduction",
                "start": str(self.start),
                "per_unmet": str(self.per_unmet),
                "duties": [
                    {"id": d.id, "text": d.text}
                    | ({"direct_county_text": d.direct_county_text} if d.direct_county_text else {})
                    for d in self.duties
                ],
            }
        return {
            "kind": "additive",
            "parts": [{"id": p.id, "text": p.text, "points": str(p.points)} for p in self.parts],
        }


#: Where the system finds evidence for an item (``evidence_source`` in the sheet file):
#: ``reporting_record`` = the units' reporting-work record (webapp.audit.reporting), for
#: 附件3 按时报送工程质量运行态势分析报告.
EVIDENCE_SOURCES = {
    "reporting_record": "报送工作记录",
    "enforcement_records": "台账中的行政处罚和不良行为记录",
    "lower_reviews": "对下级报告的审核（接收、退回）记录",
    "complaints": "台账中的质量投诉记录（复议、诉讼结果）",
    "materials": "报送的年度工作计划和总结（档案中的上传日期）",
}


@dataclass(frozen=True)
class EvidenceSource:
    #: a key of EVIDENCE_SOURCES
    kind: str
    #: the part (additive) or duty (deduction) the evidence decides
    target: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "target": self.target}


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    #: 分值: the most this item can score
    points: Decimal
    #: 评分内容及评分标准, as printed
    wording: str
    rule: Rule
    #: Why the rule reads the text the way it does, when the text is not plain (shown to users).
    decision: str | None = None
    #: Evidence the system proposes for one part/duty of the item (the assessor may override).
    evidence_source: EvidenceSource | None = None
    #: Tiers (keys of NA_TIERS) to which the item does not apply: not scored, total scaled.
    not_applicable: frozenset[str] = frozenset()

    def applies_to(self, tier: str | None) -> bool:
        return tier not in self.not_applicable


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    points: Decimal
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Sheet:
    kind: str
    year: int
    name: str
    source: str
    sections: tuple[Section, ...]
    _index: dict[str, Item] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for section in self.sections:
            for item in section.items:
                self._index[item.id] = item

    @property
    def items(self) -> list[Item]:
        return [i for s in self.sections for i in s.items]

    def item(self, item_id: str) -> Item:
        return self._index[item_id]

    def has_item(self, item_id: str) -> bool:
        return item_id in self._index

    def applicable_points(self, tier: str | None) -> Decimal:
        """The most a unit of ``tier`` can score before scaling (100 less the items that do
        not apply to it)."""
        return sum((i.points for i in self.items if i.applies_to(tier)), Decimal(0))

    def section_of(self, item_id: str) -> Section:
        return next(s for s in self.sections if any(i.id == item_id for i in s.items))

    def to_dict(self) -> dict[str, Any]:
        """The API shape: sections → items → rule (points as decimal strings)."""
        return {
            "kind": self.kind,
            "year": self.year,
            "name": self.name,
            "source": self.source,
            "sections": [
                {
                    "id": s.id,
                    "name": s.name,
                    "points": str(s.points),
                    "items": [
                        {
                            "id": i.id,
                            "name": i.name,
                            "points": str(i.points),
                            "wording": i.wording,
                            "decision": i.decision,
                            "rule": i.rule.to_dict(),
                            "evidence_source": i.evidence_source.to_dict()
                            if i.evidence_source
                            else None,
                            "not_applicable": sorted(i.not_applicable),
                        }
                        for i in s.items
                    ],
                }
                for s in self.sections
            ],
        }


# Parsing ----------------------------------------------------------------------------------------
class _Problems(list[str]):
    pass


def _decimal(value: Any, where: str, problems: _Problems, *, positive: bool = True) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        problems.append(f"{where}：分值须为数字")
        return Decimal(0)
    try:  # points are stored like scores: NUMERIC(6, 2)
        number = numbers.parse_decimal(value, precision=6, scale=2, exact=True)
    except numbers.NumberError as err:
        problems.append(f"{where}：分值“{str(value)[:20]}”{err}")
        return Decimal(0)
    if number < 0 or (positive and number == 0):
        problems.append(f"{where}：分值须为正数")
        return Decimal(0)
    return number


def _text(obj: dict[str, Any], key: str, where: str, problems: _Problems) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}：缺少“{key}”")
        return ""
    problem = bidi_problem(value)  # the rule of every text input (an imported sheet here)
    if problem:
        problems.append(f"{where}：“{key}”{problem}")
    return value.strip()


def _named_part(
    raw: Any, label: str, parent: str, number: int, problems: _Problems
) -> tuple[str, str, Decimal] | None:
    """A section's or an item's name, its place in the problems (``parent``'s place, then its
    name or else its ``number``) and its points; None when ``raw`` is no object.  ``label``
    names it by position (第2部分, “…”第3项) until its name is known."""
    if not isinstance(raw, dict):
        problems.append(f"{label}格式有误")
        return None
    name = _text(raw, "name", label, problems)
    where = f"{parent}“{name or number}”"
    return name, where, _decimal(raw.get("points"), where, problems)


def _ids_unique(ids: list[str], where: str, problems: _Problems) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            problems.append(f"{where}：编号“{i}”重复")
        seen.add(i)


def _parse_rule(raw: Any, item_points: Decimal, where: str, problems: _Problems) -> Rule:
    if not isinstance(raw, dict):
        problems.append(f"{where}：缺少评分规则 rule")
        return Rule(kind="additive")
    kind = raw.get("kind")
    if kind == "deduction":
        start = _decimal(raw.get("start"), f"{where} 起始分 start", problems)
        per = _decimal(raw.get("per_unmet"), f"{where} 每项扣分 per_unmet", problems)
        duties = []
        for n, d in enumerate(raw.get("duties") or [], 1):
            if not isinstance(d, dict):
                problems.append(f"{where} 第{n}项要求格式有误")
                continue
            variant = d.get("direct_county_text")
            if variant is not None and (not isinstance(variant, str) or not variant.strip()):
                problems.append(f"{where} 第{n}项要求：direct_county_text 须为非空文字")
                variant = None
            duties.append(
                Duty(
                    _text(d, "id", f"{where} 第{n}项要求", problems),
                    _text(d, "text", f"{where} 第{n}项要求", problems),
                    variant.strip() if variant else None,
                )
            )
        if not duties:
            problems.append(f"{where}：扣分项须逐项列出要求（duties）")
        _ids_unique([d.id for d in duties], where, problems)
        if start and start < item_points:
            problems.append(f"{where}：起始分 {start} 低于分值 {item_points}，满分无法得到")
        return Rule(kind="deduction", start=start, per_unmet=per, duties=tuple(duties))
    if kind == "additive":
        parts = []
        for n, p in enumerate(raw.get("parts") or [], 1):
            if not isinstance(p, dict):
                problems.append(f"{where} 第{n}个得分点格式有误")
                continue
            parts.append(
                Part(
                    _text(p, "id", f"{where} 第{n}个得分点", problems),
                    _text(p, "text", f"{where} 第{n}个得分点", problems),
                    _decimal(p.get("points"), f"{where} 第{n}个得分点", problems),
                )
            )
        if not parts:
            problems.append(f"{where}：加分项须列出得分点（parts）")
        _ids_unique([p.id for p in parts], where, problems)
        parts_total = sum((p.points for p in parts), Decimal(0))
        if parts and parts_total != item_points:
            problems.append(f"{where}：各得分点合计 {parts_total} 分，与分值 {item_points} 分不符")
        return Rule(kind="additive", parts=tuple(parts))
    problems.append(f"{where}：规则类型须为 deduction（扣分）或 additive（加分）")
    return Rule(kind="additive")


def _parse_source(raw: Any, rule: Rule, where: str, problems: _Problems) -> EvidenceSource | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("kind") not in EVIDENCE_SOURCES:
        known = "、".join(EVIDENCE_SOURCES)
        problems.append(f"{where}：evidence_source 的 kind 须为 {known}")
        return None
    targets = {d.id for d in rule.duties} | {p.id for p in rule.parts}
    target = str(raw.get("part") or raw.get("duty") or "")
    if target not in targets:
        problems.append(f"{where}：evidence_source 指向的得分点或要求“{target}”不存在")
        return None
    return EvidenceSource(str(raw["kind"]), target)


def _parse_na(raw: Any, where: str, problems: _Problems) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or any(t not in NA_TIERS for t in raw):
        problems.append(f"{where}：not_applicable 须为以下单位类别的列表：{'、'.join(NA_TIERS)}")
        return frozenset()
    return frozenset(raw)


def parse_sheet(data: dict[str, Any] | bytes | str) -> Sheet:
    """Validate and parse a sheet; raise :class:`InvalidInput` naming every problem found."""
    if isinstance(data, bytes | str):
        if len(data) > MAX_SHEET_BYTES:
            raise InvalidInput("评分表文件过大。")
        try:
            data = strict_json_loads(data, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"评分表文件不是有效的 JSON：{exc}") from exc
        except RecursionError as exc:
            raise InvalidInput(f"评分表文件的嵌套层数超过 {MAX_JSON_DEPTH} 层。") from exc
        problem = file_json_problem(data)
        if problem:
            raise InvalidInput(f"评分表{problem}，请修改后重新上传。")
    if not isinstance(data, dict):
        raise InvalidInput("评分表格式有误：顶层须为对象。")
    problems = _Problems()
    if data.get("format") != FORMAT_VERSION:
        problems.append(f"格式版本 format 须为 {FORMAT_VERSION}")
    kind = data.get("kind")
    if kind not in KIND_LABELS:
        problems.append("考核类别 kind 须为 fujian2（附件2）或 fujian3（附件3）")
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        problems.append("年度 year 须为 2000–2100 之间的整数")
        year = 0
    name = _text(data, "name", "评分表", problems)
    source = str(data.get("source") or "")
    sections: list[Section] = []
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        problems.append("评分表须包含考核对象（sections）")
        raw_sections = []
    item_ids: list[str] = []
    for sn, rs in enumerate(raw_sections, 1):
        part = _named_part(rs, f"第{sn}部分", "", sn, problems)
        if part is None:
            continue
        s_name, s_where, s_points = part
        items: list[Item] = []
        for n, ri in enumerate(rs.get("items") or [], 1):
            part = _named_part(ri, f"{s_where}第{n}项", s_where, n, problems)
            if part is None:
                continue
            i_name, where, points = part
            rule = _parse_rule(ri.get("rule"), points, where, problems)
            if rule.kind == "deduction" and rule.start and rule.start > points:
                if not str(ri.get("decision") or "").strip():
                    problems.append(
                        f"{where}：起始分 {rule.start} 高于分值 {points}，须在 decision 中说明取舍"
                    )
            item_id = _text(ri, "id", where, problems)
            item_ids.append(item_id)
            evidence_source = _parse_source(ri.get("evidence_source"), rule, where, problems)
            items.append(
                Item(
                    id=item_id,
                    name=i_name,
                    points=points,
                    wording=_text(ri, "wording", where, problems),
                    rule=rule,
                    decision=(str(ri.get("decision")).strip() or None)
                    if ri.get("decision")
                    else None,
                    evidence_source=evidence_source,
                    not_applicable=_parse_na(ri.get("not_applicable"), where, problems),
                )
            )
        if not items:
            problems.append(f"{s_where}没有考核项目")
        items_total = sum((i.points for i in items), Decimal(0))
        if items and items_total != s_points:
            problems.append(
                f"{s_where}各项分值合计 {items_total} 分，与该部分分值 {s_points} 分不符"
            )
        sections.append(
            Section(id=str(rs.get("id") or sn), name=s_name, points=s_points, items=tuple(items))
        )
    _ids_unique(item_ids, "考核项目", problems)
    total = sum((s.points for s in sections), Decimal(0))
    if sections and total != TOTAL:
        problems.append(f"各部分分值合计 {total} 分，不等于 100 分")
    expected = EXPECTED_SECTIONS.get(kind or "")
    if expected is not None and sections:
        got = [(s.name, s.points) for s in sections]
        if got != expected:
            want = "、".join(f"{n}{p}分" for n, p in expected)
            problems.append(f"{KIND_SHORT[kind]}评分表的考核对象及分值须为：{want}")
    if problems:
        raise InvalidInput("评分表有误：" + "；".join(problems) + "。", details=list(problems))
    return Sheet(kind=kind, year=year, name=name, source=source, sections=tuple(sections))


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def content_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def read_sheet_file(path: Path) -> dict[str, Any]:
    """A sheet file's content as stored (decimals kept as text so nothing is rounded)."""
    raw = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    parse_sheet(raw)
    return json.loads(canonical_json(raw))


def bundled_sheets() -> list[Path]:
    """The sheet files shipped in the repository (loaded by ``flask assessment load-sheets``)."""
    return sorted(SHEETS_DIR.glob("*.json"))
