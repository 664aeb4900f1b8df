"""A report's frozen snapshot and its Word document, built from the snapshot only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from webapp.archive import operations as archive
from webapp.archive.models import ArchivedDocument, DocumentKind
from webapp.core import audit, clock
from webapp.core.errors import Conflict, UploadRefused
from webapp.core.models import User
from webapp.core.permissions import require
from webapp.documents import render_docx
from webapp.extensions import db
from webapp.reports.models import Report, ReportKind
from webapp.reports.rollup import build_tables
from webapp.reports.sections import numeral, sections
from webapp.stats import registry
from webapp.stats.compute import parse_period
from webapp.stats.figures import dash


def _last_completer(report: Report, element_id: str) -> User | None:
    from webapp.engine import last_completer

    return last_completer(report.instance_id, element_id)


def freeze(report: Report, approver: User | None) -> dict[str, Any]:
    """The snapshot sent up: figures, checks and their explanations, narrative, signatures."""
    built = build_tables(report.org, report.period, report.kind)
    period = parse_period(report.period)
    clerk = _last_completer(report, "narrative")
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
    }


# The Word document ------------------------------------------------------------------------------
def _trio(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "count": t["count"],
        "area_10k_m2": t["area_10k_m2"],
        "cost_10k_yuan": t["cost_10k_yuan"],
    }


_rate = dash


def _summary_row(row: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return {
        "org_name": name or row["org_name"],
        **{
            g: _trio(row[g])
            for g in ("carried_over", "registered", "under_construction", "completed", "filed")
        },
        "filing_rate": {
            "count_pct": _rate(row["filing_rate"]["count_pct"]),
            "area_pct": _rate(row["filing_rate"]["area_pct"]),
        },
        "satisfaction_pct": _rate(row["satisfaction_pct"]),
        "accidents": dict(row["accidents"]),
    }


def document_context(report: Report, snapshot: dict[str, Any]) -> dict[str, Any]:
    """The whitelisted context of docs/documents.md, built from a snapshot only."""
    tables = snapshot["tables"]
    local = clock.to_local(clock.now())
    kind_title = "季度" if report.kind == ReportKind.QUARTERLY else "年度"
    context: dict[str, Any] = {
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
                "paragraphs": [
                    p.strip() for p in snapshot["narrative"].get(k, "").splitlines() if p.strip()
                ],
            }
            for i, (k, title) in enumerate(sections(report.kind), 1)
        ],
        **{
            spec.word_key: {"rows": registry.word_rows(spec, tables[spec.key])}
            for spec in registry.report_tables(report.kind)
            if spec.shape == registry.LIST
        },
        "t6": {
            "span": "本季" if report.kind == ReportKind.QUARTERLY else "本年",
            "rows": [
                {
                    "label": r["label"],
                    **{
                        g: _trio(r[g])
                        for g in ("registered", "completed", "filed", "under_construction")
                    },
                    "filing_rate_count_pct": _rate(r["filing_rate_count_pct"]),
                }
                for r in tables["table6"]["rows"]
            ],
        },
        "kind_title": kind_title,
    }
    spec = registry.summary_spec(report.kind)
    summary = tables[spec.key]
    context[spec.word_key] = {
        "rows": [_summary_row(r) for r in summary["rows"]],
        "total": _summary_row(summary["total"], "合计"),
    }
    if not spec.quarterly:
        context[spec.word_key]["as_of"] = as_of_label(summary, snapshot)
    return context


def as_of_label(summary: dict[str, Any], snapshot: dict[str, Any] | None = None) -> str:
    """附表7's 统计截止时间: when its 截止到年底 figures were taken from the ledger."""
    stamp = summary.get("as_of") or (snapshot or {}).get("computed_at")
    if not stamp:
        return ""
    local = clock.to_local(datetime.fromisoformat(stamp))
    assert local is not None
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def template_name(report: Report) -> str:
    return f"{report.kind}_report.docx"


def render_document(report: Report, snapshot: dict[str, Any]) -> bytes:
    from webapp.reports.templates_source import active_template

    return render_docx(active_template(template_name(report)), document_context(report, snapshot))


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
    audit.record(
        "report.seal_attach",
        actor=actor,
        org=report.org,
        object_type="report",
        object_id=report.id,
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
