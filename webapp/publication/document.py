"""What a publication is made of: figures (live draft or frozen), the snapshot, the Word file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

from webapp.core import clock
from webapp.documents import render_docx
from webapp.publication.draft import SECTIONS, numbered
from webapp.publication.figures import HalfYearJSON, half_year_figures
from webapp.publication.index import worked_example
from webapp.publication.models import Publication
from webapp.publication.periods import parse_half_year
from webapp.publication.publicity import PublicRecordFields, RecordsJSON, records_to_publish
from webapp.publication.state import editable
from webapp.stats.figures import SummaryRow, Trio, dash

TEMPLATE_NAME = "public_report.docx"
TEMPLATES = Path(__file__).resolve().parent.parent.parent / "docs_templates"


class PreviousJSON(TypedDict):
    """The previous half year, as far as the trend section needs it."""

    period: str
    period_label: str
    complete: bool
    index: str | None


class PublicationSnapshot(TypedDict):
    """What a publication freezes (``Publication.snapshot``): JSON, read back by its pages and
    its Word document (``live`` marks the draft computed for a page while editable)."""

    org: str
    org_name: str
    period: str
    period_label: str
    frozen_at: str
    figures: HalfYearJSON
    previous: PreviousJSON
    sections: dict[str, str]
    records: RecordsJSON
    live: NotRequired[bool]


def live_figures(pub: Publication) -> HalfYearJSON:
    half = parse_half_year(pub.period)
    return half_year_figures(pub.org, half)


def previous_figures(pub: Publication) -> HalfYearJSON:
    return half_year_figures(pub.org, parse_half_year(pub.period).previous())


def freeze(pub: Publication) -> PublicationSnapshot:
    """The snapshot reviewed, approved and published: figures, index, text, records."""
    fig = live_figures(pub)
    previous = previous_figures(pub)
    return {
        "org": pub.org.code,
        "org_name": pub.org.name,
        "period": pub.period,
        "period_label": fig["period_label"],
        "frozen_at": clock.now().isoformat(),
        "figures": fig,
        "previous": {
            "period": previous["period"],
            "period_label": previous["period_label"],
            "complete": previous["complete"],
            "index": (previous.get("index") or {}).get("value"),
        },
        "sections": {key: (pub.sections or {}).get(key, "") for key, _ in SECTIONS},
        "records": records_to_publish(pub.org, pub.period),
    }


def content(pub: Publication) -> PublicationSnapshot:
    """What a page shows: the frozen snapshot once submitted, the live draft while editable."""
    if pub.snapshot is not None and not editable(pub):
        stored: PublicationSnapshot = pub.snapshot  # JSON in the shape freeze made
        return stored
    snap = freeze(pub)
    snap["live"] = True
    return snap


# The Word document ------------------------------------------------------------------------------
def chinese_date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "（未发布）"


class TrioWord(TypedDict):
    count: str
    area: str
    cost: str


class GroupWord(TrioWord):
    label: str


class AccidentsWord(TypedDict):
    count: str
    deaths: str
    loss_10k_yuan: str


class SectionWord(TypedDict):
    number: str
    heading: str
    paragraphs: list[str]


class IndexPartWord(TypedDict):
    label: str
    indicator_label: str
    indicator: str
    unit: str
    weight: str
    factor: str
    score: str


class UnitIndexWord(TypedDict):
    name: str
    value: str


#: Printed under a figure or table where a filing rate exceeds 100 %: filings lag completions,
#: so a period may file projects completed in earlier periods (domain.md, 附表5's 备案率 — a
#: warning to the clerk, who explains it; the public reads the reason instead of a bare 200 %).
FILING_LAG_NOTE = (
    "注：备案率超过100%，系本期质量备案的工程中含以前各期竣工的工程（备案滞后于竣工）。"
)


def over_100(value: Any) -> bool:
    """Whether a printed rate (``"200.00"``, a Decimal, None or ``"—"``) exceeds 100."""
    try:
        return value is not None and Decimal(str(value)) > 100
    except InvalidOperation:
        return False


def filing_note(rows: Iterable[SummaryRow]) -> str:
    """:data:`FILING_LAG_NOTE` when a row's filing rate (projects or area) exceeds 100."""
    lagging = any(over_100(r.filing_count_pct) or over_100(r.filing_area_pct) for r in rows)
    return FILING_LAG_NOTE if lagging else ""


class UnitWord(TypedDict):
    name: str
    registered: str
    completed: str
    filed: str
    filing_rate: str
    satisfaction: str
    accidents: str


class RecordWord(PublicRecordFields):
    seq: str


class PublicContext(TypedDict):
    """The whitelisted context of public_report.docx (docs/publication.md): text only."""

    title: str
    unit: str
    period_label: str
    publication_date: str
    sections: list[SectionWord]
    groups: list[GroupWord]
    filing_rate: str
    filing_rate_area: str
    #: :data:`FILING_LAG_NOTE` when the total's or a unit's filing rate exceeds 100, else ''
    filing_note: str
    satisfaction: str
    accidents: AccidentsWord
    bad_records: str
    penalties: str
    index_value: str
    index_parts: list[IndexPartWord]
    index_example: list[str]
    index_units: list[UnitIndexWord]
    has_units: bool
    units: list[UnitWord]
    has_records: bool
    bad: list[RecordWord]
    good: list[RecordWord]


def _group(label: str, t: Trio) -> GroupWord:
    trio = t.to_json()
    return {
        "label": label,
        "count": str(trio["count"]),
        "area": trio["area_10k_m2"],
        "cost": trio["cost_10k_yuan"],
    }


GROUP_LABELS = (
    ("carried_over", "上期接转工程"),
    ("registered", "本期新注册工程"),
    ("supervised", "本期监督工程合计"),
    ("completed", "本期竣工工程"),
    ("filed", "本期质量备案工程"),
    ("under_construction", "期末在建工程"),
)


def _unit(row: SummaryRow) -> UnitWord:
    return {
        "name": row.org_name,
        "registered": str(row.registered.count),
        "completed": str(row.completed.count),
        "filed": str(row.filed.count),
        "filing_rate": dash(row.filing_count_pct),
        "satisfaction": dash(row.satisfaction_pct),
        "accidents": str(row.accidents.count),
    }


def document_context(snapshot: Mapping[str, Any], published_on: date | None) -> PublicContext:
    """The whitelisted context of public_report.docx (docs/publication.md), from a snapshot
    (one stored in any earlier half year loads: the figures are read through their typed rows)."""
    fig = snapshot["figures"]
    if fig.get("total") is None:
        from webapp.core.errors import Conflict

        raise Conflict("两个季度的统计数据尚未全部接收，不能生成公开报告。")
    total = SummaryRow.from_json(fig["total"])
    supervised = total.supervised or total.carried_over + total.registered
    index = fig.get("index")
    units = [SummaryRow.from_json(r) for r in fig["rows"] if r["org_code"] != snapshot["org"]]
    records = snapshot.get("records") or {"bad": [], "good": []}
    accidents = total.accidents.to_json()
    return {
        "title": f"{snapshot['org_name']}{snapshot['period_label']}建设工程质量总体状况报告",
        "unit": snapshot["org_name"],
        "period_label": snapshot["period_label"],
        "publication_date": chinese_date(published_on),
        "sections": [
            {"number": s["number"], "heading": s["heading"], "paragraphs": s["paragraphs"]}
            for s in numbered(snapshot["sections"])
        ],
        "groups": [
            _group(label, supervised if key == "supervised" else total.group(key))
            for key, label in GROUP_LABELS
        ],
        "filing_rate": dash(total.filing_count_pct),
        "filing_rate_area": dash(total.filing_area_pct),
        "filing_note": filing_note([total, *units]),
        "satisfaction": dash(total.satisfaction_pct),
        "accidents": {
            "count": str(accidents["count"]),
            "deaths": str(accidents["deaths"]),
            "loss_10k_yuan": accidents["loss_10k_yuan"],
        },
        "bad_records": str(fig["bad_records"]),
        "penalties": str(fig["penalties"]),
        "index_value": (index or {}).get("value") or "—",
        "index_example": worked_example(index) if index else [],
        "index_units": [
            {"name": u["org_name"], "value": u["value"] or "—"}
            for u in fig.get("unit_indexes") or []
        ],
        "index_parts": [
            {
                "label": p["label"],
                "indicator_label": p["indicator_label"],
                "indicator": p["indicator"] if p["applicable"] else "—",
                "unit": p["unit"],
                "weight": p["weight"],
                "factor": p["factor"] or "—",
                "score": p["score"] if p["applicable"] else p["note"],
            }
            for p in (index or {}).get("parts", [])
        ],
        "has_units": bool(units),
        "units": [_unit(r) for r in units],
        "has_records": bool(records["bad"] or records["good"]),
        "bad": [_record_word(i, r) for i, r in enumerate(records["bad"], 1)],
        "good": [_record_word(i, r) for i, r in enumerate(records["good"], 1)],
    }


def _record_word(seq: int, r: Mapping[str, Any]) -> RecordWord:
    """A frozen record as the Word file prints it (the public fields only, whitelisted)."""
    fields = {key: str(r.get(key) or "") for key in PublicRecordFields.__annotations__}
    return cast(RecordWord, {"seq": str(seq), **fields})


def active_template(name: str = TEMPLATE_NAME) -> bytes:
    """The administrators' active uploaded version (文书模板), else docs_templates/: the same
    source as the reports' templates."""
    from webapp.reports.templates_source import active_template as active

    return active(name)


def sample_context() -> PublicContext:
    """A complete context of public_report.docx, to validate uploaded template versions."""
    trio = {"count": "8", "area": "9.92", "cost": "47770.37"}
    return {
        "title": "郑州市2026年下半年建设工程质量总体状况报告",
        "unit": "郑州市",
        "period_label": "2026年下半年",
        "publication_date": "2027年1月5日",
        "sections": [{"number": "一", "heading": "总体情况", "paragraphs": ['R&D <部门> "x"']}],
        "groups": [{"label": label, **trio} for _key, label in GROUP_LABELS],
        "filing_rate": "95.00",
        "filing_rate_area": "96.10",
        "filing_note": "",
        "satisfaction": "90.00",
        "accidents": {"count": "1", "deaths": "0", "loss_10k_yuan": "12.00"},
        "bad_records": "2",
        "penalties": "1",
        "index_value": "93.10",
        "index_parts": [
            {
                "label": "竣工验收合格率",
                "indicator_label": "合格 ÷ 本期竣工验收",
                "indicator": "95.00",
                "unit": "%",
                "weight": "30",
                "factor": "—",
                "score": "95.00",
            }
        ],
        "index_example": ["竣工验收合格率（权重 30）：19 ÷ 20 × 100 = 95.00%，得分 95.00。"],
        "index_units": [{"name": "中原区", "value": "96.00"}],
        "has_units": True,
        "units": [
            {
                "name": "中原区",
                "registered": "3",
                "completed": "2",
                "filed": "2",
                "filing_rate": "100.00",
                "satisfaction": "100.00",
                "accidents": "0",
            }
        ],
        "has_records": True,
        "bad": [
            {
                "seq": "1",
                "record_no": "BL-1",
                "enterprise": "某建设公司",
                "unit_type": "施工",
                "person_name": "张某",
                "person_title": "项目经理",
                "project_name": "某住宅小区",
                "fact": "未按图施工",
                "clause": "第十条",
                "recorded_on": "2026-08-01",
            }
        ],
        "good": [
            {
                "seq": "1",
                "enterprise": "某建设公司",
                "fact": "获评中州杯",
                "recorded_on": "2026-09-01",
                "authority": "郑州市",
            }
        ],
    }


def render_document(
    snapshot: Mapping[str, Any], published_on: date | None, *, draft: bool = False
) -> bytes:
    context = document_context(snapshot, published_on)
    return render_docx(active_template(), context, draft=draft)


def document_filename(snapshot: Mapping[str, Any]) -> str:
    return f"{snapshot['org_name']}{snapshot['period_label']}建设工程质量总体状况报告.docx"
