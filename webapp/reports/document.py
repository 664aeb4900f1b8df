"""A report's frozen snapshot and its Word document, built from the snapshot only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from webapp.archive import operations as archive
from webapp.archive.models import ArchivedDocument, DocumentKind
from webapp.core import audit, clock
from webapp.core.errors import Conflict, UploadRefused
from webapp.core.models import User
from webapp.core.permissions import require
from webapp.documents import render_docx
from webapp.engine import last_completer
from webapp.extensions import db
from webapp.ledger.figures import ComplaintFigures, complaint_figures
from webapp.reports.models import Report, ReportKind
from webapp.reports.rollup import LowerUnit, build_tables
from webapp.reports.sections import numeral, sections
from webapp.stats import registry
from webapp.stats.checks import Check
from webapp.stats.compute import parse_period
from webapp.stats.figures import (
    CategoryRow,
    CategoryTable,
    SummaryGroupsJSON,
    SummaryRow,
    SummaryTable,
    Trio,
    TrioJSON,
    dash,
)


class ReportSnapshot(TypedDict):
    """What a report freezes (``Report.snapshot``, ``accepted_snapshot``): JSON, read back by
    roll-ups, half years, pages and the Word document of every later day."""

    kind: str
    org: str
    org_name: str
    period: str
    period_label: str
    round: int
    computed_at: str
    #: The tables by key (table1 …) in their JSON shape (:mod:`webapp.stats.figures`)
    tables: dict[str, dict[str, Any]]
    checks: list[Check]
    lower_units: list[LowerUnit]
    explanations: dict[str, str]
    missing_explanation: str
    narrative: dict[str, str]
    clerk: str
    approver: str
    #: Section (9): the complaints ledger's figures of the period (snapshots before it lack it)
    complaints: NotRequired[dict[str, int]]
    #: 第十四条: the quarter's analysis meeting (held_on, attendees, conclusions), or None
    meeting: NotRequired[dict[str, str] | None]


def complaints_of(report: Report, data: Mapping[str, Any]) -> ComplaintFigures:
    """Section (9)'s complaint figures: frozen with the snapshot, else live from the ledger of
    the unit's subtree (a roll-up reads the ledger: complaints are not in the lower units'
    forms)."""
    if "complaints" in data:
        return ComplaintFigures.from_json(data["complaints"])
    period = parse_period(report.period)
    return complaint_figures(report.org, period.start, period.end)


def meeting_of(report: Report, data: Mapping[str, Any]) -> dict[str, str] | None:
    """The meeting as frozen with the snapshot, else as recorded now."""
    if "meeting" in data:
        return data["meeting"]
    return report.meeting.to_json() if report.meeting is not None else None


def accidents_of(report: Report, data: Mapping[str, Any]) -> dict[str, Any]:
    """Section (9)'s accident figures: the 合计 row of 附表5/7 (count, deaths, loss)."""
    summary = data["tables"][registry.summary_spec(report.kind).key]
    return dict(summary["total"]["accidents"])


def section9_sentence(accidents: Mapping[str, Any], complaints: ComplaintFigures) -> str:
    """Accidents and complaints of the period as the report states them in section (9)."""
    return (
        f"本期发生工程质量事故 {accidents['count']} 起，死亡 {accidents['deaths']} 人，"
        f"直接经济损失 {accidents['loss_10k_yuan']} 万元；" + complaints.sentence
    )


def meeting_sentences(meeting: Mapping[str, str]) -> list[str]:
    """The meeting as paragraphs of section (2) of the Word document."""
    held = datetime.fromisoformat(meeting["held_on"])
    return [
        f"{held.year}年{held.month}月{held.day}日召开本季度建设工程质量分析会"
        f"（第十四条）。参会人员：{meeting['attendees']}",
        f"会议结论：{meeting['conclusions']}",
    ]


def freeze(report: Report, approver: User | None) -> ReportSnapshot:
    """The snapshot sent up: figures, checks and their explanations, narrative, signatures."""
    built = build_tables(report.org, report.period, report.kind)
    period = parse_period(report.period)
    clerk = last_completer(report.instance_id, "narrative")
    return {
        "kind": report.kind,
        "org": report.org.code,
        "org_name": report.org.name,
        "period": period.code,
        "period_label": period.label,
        "round": report.round,
        "computed_at": clock.now().isoformat(),
        "tables": built["tables"],
        "checks": built["checks"],
        "lower_units": built["lower_units"],
        "explanations": dict(report.explanations or {}),
        "missing_explanation": report.missing_explanation or "",
        "narrative": {
            key: (report.narrative or {}).get(key, "") for key, _ in sections(report.kind)
        },
        "clerk": clerk.full_name if clerk else "",
        "approver": approver.full_name if approver else "",
        "complaints": complaint_figures(report.org, period.start, period.end).to_json(),
        "meeting": report.meeting.to_json() if report.meeting is not None else None,
    }


# The Word document ------------------------------------------------------------------------------
class FilingRateWord(TypedDict):
    count_pct: str
    area_pct: str


class SummaryWordRow(SummaryGroupsJSON):
    """A row of 附表5/7 in the Word context: figures as printed, "—" for an absent rate."""

    filing_rate: FilingRateWord
    satisfaction_pct: str


class SummaryWord(TypedDict):
    rows: list[SummaryWordRow]
    total: SummaryWordRow
    #: 附表7: 统计截止时间
    as_of: NotRequired[str]


class CategoryWordRow(TypedDict):
    label: str
    registered: TrioJSON
    completed: TrioJSON
    filed: TrioJSON
    under_construction: TrioJSON
    filing_rate_count_pct: str


class CategoryWord(TypedDict):
    #: 本季 or 本年
    span: str
    rows: list[CategoryWordRow]


class ListWord(TypedDict):
    rows: list[dict[str, Any]]


class NarrativeWord(TypedDict):
    number: str
    heading: str
    paragraphs: list[str]


class ReportContext(TypedDict, total=False):
    """The whitelisted context of the report templates (docs/documents.md); t1–t7 are the
    registry's tables of the report (:attr:`TableSpec.word_key`)."""

    title: str
    unit: str
    period_label: str
    clerk: str
    approver: str
    report_date: str
    narrative: list[NarrativeWord]
    kind_title: str
    t1: ListWord
    t2: ListWord
    t3: ListWord
    t4: ListWord
    t5: SummaryWord
    t6: CategoryWord
    t7: SummaryWord


def _trio(t: Trio) -> TrioJSON:
    return t.to_json()


def _summary_row(row: SummaryRow, name: str | None = None) -> SummaryWordRow:
    return {
        "org_name": name or row.org_name,
        "carried_over": _trio(row.carried_over),
        "registered": _trio(row.registered),
        "under_construction": _trio(row.under_construction),
        "completed": _trio(row.completed),
        "filed": _trio(row.filed),
        "filing_rate": {
            "count_pct": dash(row.filing_count_pct),
            "area_pct": dash(row.filing_area_pct),
        },
        "satisfaction_pct": dash(row.satisfaction_pct),
        "accidents": row.accidents.to_json(),
    }


def _category_row(row: CategoryRow) -> CategoryWordRow:
    return {
        "label": row.label,
        "registered": _trio(row.registered),
        "completed": _trio(row.completed),
        "filed": _trio(row.filed),
        "under_construction": _trio(row.under_construction),
        "filing_rate_count_pct": dash(row.filing_count_pct),
    }


def document_context(report: Report, snapshot: Mapping[str, Any]) -> ReportContext:
    """The whitelisted context of docs/documents.md, built from a snapshot only (one stored in
    any earlier period loads: the tables are read through their typed rows)."""
    tables = snapshot["tables"]
    local = clock.to_local(clock.now())
    kind_title = "季度" if report.kind == ReportKind.QUARTERLY else "年度"
    # Paragraphs the system writes at the head of a section: section (9) states the period's
    # accidents and complaints from the ledgers, section (2) the quarter's meeting (第十四条).
    generated = {
        "s09": [section9_sentence(accidents_of(report, snapshot), complaints_of(report, snapshot))]
    }
    meeting = meeting_of(report, snapshot)
    if meeting:
        generated["s02"] = meeting_sentences(meeting)
    context: ReportContext = {
        "title": f"{snapshot['org_name']}{snapshot['period_label']}工程质量运行态势分析报告",
        "unit": snapshot["org_name"],
        "period_label": snapshot["period_label"],
        "clerk": snapshot.get("clerk", ""),
        "approver": snapshot.get("approver", ""),
        "report_date": f"{local.year}年{local.month}月{local.day}日" if local else "",
        "narrative": [
            {
                "number": numeral(i),
                "heading": title,
                "paragraphs": generated.get(k, [])
                + [p.strip() for p in snapshot["narrative"].get(k, "").splitlines() if p.strip()],
            }
            for i, (k, title) in enumerate(sections(report.kind), 1)
        ],
    }
    for spec in registry.report_tables(report.kind):
        if spec.shape == registry.LIST:
            list_word: ListWord = {"rows": registry.word_rows(spec, tables[spec.key])}
            context[spec.word_key] = list_word
    table6 = CategoryTable.from_json(tables["table6"])
    context["t6"] = {
        "span": "本季" if report.kind == ReportKind.QUARTERLY else "本年",
        "rows": [_category_row(r) for r in table6.rows],
    }
    context["kind_title"] = kind_title
    spec = registry.summary_spec(report.kind)
    summary = SummaryTable.from_json(tables[spec.key])
    word: SummaryWord = {
        "rows": [_summary_row(r) for r in summary.rows],
        "total": _summary_row(summary.total, "合计"),
    }
    if not spec.quarterly:
        word["as_of"] = as_of_label(tables[spec.key], snapshot)
    context[spec.word_key] = word
    return context


def as_of_label(summary: Mapping[str, Any], snapshot: Mapping[str, Any] | None = None) -> str:
    """附表7's 统计截止时间: when its 截止到年底 figures were taken from the ledger."""
    stamp = summary.get("as_of") or (snapshot or {}).get("computed_at")
    if not stamp:
        return ""
    local = clock.to_local(datetime.fromisoformat(stamp))
    assert local is not None
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def template_name(report: Report) -> str:
    return f"{report.kind}_report.docx"


def render_document(report: Report, snapshot: dict[str, Any], *, draft: bool = False) -> bytes:
    from webapp.reports.templates_source import active_template

    template = active_template(template_name(report))
    return render_docx(template, document_context(report, snapshot), draft=draft)


def archive_document(
    report: Report, snapshot: dict[str, Any], actor: User | None, stage: str
) -> ArchivedDocument:
    """Render the frozen snapshot's Word file and store it in the document archive."""
    suffix = "" if report.round == 1 else f"（更正{report.round - 1}）"
    doc = archive.store(
        "report",
        report.id,
        render_document(report, snapshot),
        filename=f"{snapshot['org_name']}{snapshot['period_label']}工程质量分析报告{suffix}.docx",
        stage=stage,
        actor=actor,
    )
    db.session.expire(report, ["documents"])
    return doc


def attach_seal(actor: User, report: Report, content: bytes) -> ArchivedDocument:
    """A unit's clerk or reviewer attaches the stamped scan (盖章扫描件) of its frozen submission
    (第十六条, 填表单位（公章）): PDF, PNG or JPEG by content, within SEAL_SCAN_MAX_MB; kept in the
    archive beside the generated file it stamps."""
    from flask import current_app

    from webapp.reports.readiness import editable

    require(actor, "report.seal", report.org)
    doc = archive.latest("report", report.id)
    if doc is None or editable(report):
        raise Conflict("报告尚未上报：上报冻结后方可上传盖章扫描件。")
    limit_mb = float(current_app.config["SEAL_SCAN_MAX_MB"])
    if not content:
        raise UploadRefused("请选择盖章扫描件（PDF、PNG 或 JPEG 文件）。")
    if len(content) > limit_mb * 1024 * 1024:
        raise UploadRefused(f"盖章扫描件不能超过 {limit_mb:g} MB。")
    media_type = archive.sniff(content)
    if media_type is None:
        raise UploadRefused(
            "盖章扫描件须为 PDF、PNG 或 JPEG 文件（按文件内容识别，与扩展名无关）。"
        )
    stem = doc.filename.rsplit(".", 1)[0]
    seal = archive.store(
        "report",
        report.id,
        content,
        filename=f"{stem}（盖章扫描件）.{archive.EXTENSIONS[media_type]}",
        stage=doc.stage,
        actor=actor,
        media_type=media_type,
        kind=DocumentKind.SEAL_SCAN,
        derived_from=doc,
    )
    db.session.expire(report, ["seal_scans"])
    audit.record_on(
        "report.seal_attach",
        report,
        actor,
        after={
            "document": doc.id,
            "version": doc.version,
            "scan": seal.id,
            "media_type": media_type,
            "size": seal.size,
            "sha256": seal.sha256,
            "subject": f"report:{report.id}",
        },
    )
    return seal
