"""Pages of one assessed unit: the self-assessment form, the assessor's scoring page,
evidence files and site visits.  The score sheet is laid out like the printed 评分表."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from webapp.assessment import flow, judging, operations, proposals, sampling
from webapp.assessment import sheet_docx as sheet_docx_module
from webapp.assessment.access import scores_visible
from webapp.assessment.models import CampaignState, ItemScore, Phase, UnitState
from webapp.assessment.sheet import Sheet
from webapp.assessment.views import _refused, bp, format_score
from webapp.core import audit, clock
from webapp.core.errors import DomainError, InvalidInput, PermissionDenied
from webapp.core.permissions import can, require
from webapp.core.text import one_line
from webapp.web import attachment, kept, posted_here, record_refused_upload, refusal, refused_on

_REF_SPLIT = re.compile(r"[,，;；\n]+")


def form_judgments(
    sheet: Sheet, form: MultiDict[str, str]
) -> tuple[dict[str, Any], dict[str, str], dict[str, list[str]]]:
    """The sheet form → judgments (every item judged), notes and evidence references."""
    judgments: dict[str, Any] = {}
    notes: dict[str, str] = {}
    refs: dict[str, list[str]] = {}
    for item in sheet.items:
        if item.rule.kind == "deduction":
            judgments[item.id] = {"unmet": form.getlist(f"unmet-{item.id}")}
        else:
            judgments[item.id] = {"met": form.getlist(f"met-{item.id}")}
        note = form.get(f"note-{item.id}", "").strip()
        if note:
            notes[item.id] = note
        parts = [p.strip() for p in _REF_SPLIT.split(form.get(f"evidence-{item.id}", ""))]
        if any(parts):
            refs[item.id] = [p for p in parts if p]
    return judgments, notes, refs


def _rows(unit: Any, phase: Phase, scorer_id: int | None = None) -> dict[str, ItemScore]:
    return {
        s.item_id: s
        for s in unit.scores
        if s.phase == phase.value and (scorer_id is None or s.scorer_id == scorer_id)
    }


@dataclass(frozen=True)
class TypedRow:
    """One item of a refused score sheet as the user left it (in place of its ItemScore)."""

    unmet: list[str]
    met: list[str]
    note: str
    evidence: list[str]


def typed_rows(sheet: Sheet, form: MultiDict[str, str]) -> dict[str, TypedRow]:
    """Every item's boxes, note and evidence as posted: a refused sheet comes back as typed."""
    return {
        item.id: TypedRow(
            unmet=form.getlist(f"unmet-{item.id}"),
            met=form.getlist(f"met-{item.id}"),
            note=form.get(f"note-{item.id}", ""),
            evidence=[
                p.strip()
                for p in _REF_SPLIT.split(form.get(f"evidence-{item.id}", ""))
                if p.strip()
            ],
        )
        for item in sheet.items
    }


def sheet_errors(sheet: Sheet, form: MultiDict[str, str], err: DomainError) -> dict[str, str]:
    """A refused sheet's reasons next to the items they concern (``note-<item>``: a note too
    long, a departure from the system's proposal without a reason), else for the whole form."""
    errors: dict[str, str] = {}
    by_name = {item.name: item.id for item in sheet.items}
    for item in sheet.items:
        if len(form.get(f"note-{item.id}", "").strip()) > operations.NOTE_MAX:
            errors[f"note-{item.id}"] = f"说明过长（最多 {operations.NOTE_MAX} 字）。"
    if isinstance(err.details, list):
        for name in err.details:
            if name in by_name:
                errors[f"note-{by_name[name]}"] = "评分与系统建议不同，请在说明中写明理由。"
    return errors or {"_": err.message}


def sheet_labels(sheet: Sheet) -> dict[str, str]:
    """What a refused sheet's summary calls its fields."""
    return {f"note-{item.id}": f"{item.name} · 说明" for item in sheet.items} | {
        "summary": "全年活动情况书面总结"
    }


def _sheet_of(unit_id: int) -> Sheet:
    return operations.unit_for(current_user, unit_id, "assessment.view").campaign.sheet.parsed()


def _self_errors(err: DomainError, unit_id: int) -> dict[str, str]:
    """A refused self-assessment (``refused_on``): each item's reason at its note, the summary's
    at the summary."""
    errors = sheet_errors(_sheet_of(unit_id), request.form, err)
    if len(request.form.get("summary", "")) > operations.SUMMARY_MAX:  # at its field
        errors.pop("_", None)
        errors["summary"] = f"书面总结过长（最多 {operations.SUMMARY_MAX} 字）。"
    return errors


def _score_errors(err: DomainError, unit_id: int) -> dict[str, str]:
    """A refused score sheet (``refused_on``): each item's reason at its note."""
    return sheet_errors(_sheet_of(unit_id), request.form, err)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@refused_on("assessment.unit", errors=_self_errors)
def unit(unit_id: int) -> Any:
    """The self-assessment: a refused save comes back here (422) with every box and note as
    ticked and typed (refused_on; the page is its own form's)."""
    u = operations.unit_for(current_user, unit_id, "assessment.view")
    sheet = u.campaign.sheet.parsed()
    if posted_here():
        judgments, notes, refs = form_judgments(sheet, request.form)
        flow.save_self_assessment(
            current_user,
            u.id,
            judgments=judgments,
            summary=request.form.get("summary", ""),
            notes=notes,
            evidence=refs,
        )
        flash(f"自评已保存，自评总分 {format_score(u.self_total)} 分。", "success")
        return redirect(url_for("assessment.unit", unit_id=unit_id))
    refused = refusal("assessment.unit")
    # the self-assessment exists when the unit's process has that step (附件3's has none unless
    # an administrator added it to the BPMN)
    has_self = flow.has_self_assessment(u)
    drafting = (
        can(current_user, "assessment.self", u.org)
        and u.state == UnitState.DRAFT.value
        and u.campaign.state == CampaignState.SELF_ASSESSMENT.value
    )
    editable = drafting and has_self
    visible = scores_visible(current_user, u.campaign.state, u.org)
    step = flow.tasks_by_unit_one(u)
    return render_template(
        "assessment/unit.html",
        step=step,
        u=u,
        c=u.campaign,
        sheet=sheet,
        rows=typed_rows(sheet, request.form) if refused else _rows(u, Phase.SELF),
        errors=refused,
        labels=sheet_labels(sheet),
        typed_summary=kept("assessment.unit", "summary", None),
        self_scores=judging.self_scores(u),
        final=judging.final_scores(u) if visible else None,
        editable=editable,
        has_self=has_self,
        can_submit=drafting and step is not None and step.element_id in ("fill", "materials"),
        can_review=can(current_user, "assessment.self_approve", u.org)
        and u.state == UnitState.SELF_REVIEW.value,
        can_score=can(current_user, "assessment.score", u.org),
        max_mb=operations.max_evidence_bytes() // (1024 * 1024),
        materials=operations.materials(u) if u.campaign.kind == "fujian3" else {},
        material_labels={k: label for k, (_, label) in operations.MATERIALS.items()},
        can_upload_materials=can(current_user, "assessment.self", u.org)
        and u.campaign.state == CampaignState.SELF_ASSESSMENT.value,
    )


@bp.route("/units/<int:unit_id>/materials/<which>", methods=["POST"])
def upload_material(unit_id: int, which: str) -> Any:
    """附件3 1.13: the unit uploads its 工作汇报 or 年度工作计划和总结 (archived, versioned)."""
    operations.unit_for(current_user, unit_id, "assessment.view")
    f = request.files.get("file")
    try:
        doc = operations.upload_material(
            current_user, unit_id, which, f.filename if f else "", f.read() if f else b""
        )
    except DomainError as err:
        _refused(err)
        record_refused_upload(err)
    else:
        late = "（已逾期）" if doc.stage == "late" else ""
        flash(f"已上传{doc.filename}（第 {doc.version} 版）{late}。", "success")
    return redirect(url_for("assessment.unit", unit_id=unit_id))


@bp.route("/units/<int:unit_id>/sheet.docx")
def sheet_docx(unit_id: int) -> Any:
    """The unit's filled score sheet as Word: ``?phase=self`` (自评) or ``final`` (考核组评分,
    which a unit sees only after the results are approved)."""
    u = operations.unit_for(current_user, unit_id, "assessment.view")
    phase = "final" if request.args.get("phase") == "final" else "self"
    if phase == "final" and not scores_visible(current_user, u.campaign.state, u.org):
        raise PermissionDenied("考核结果审批后方可查看考核组评分表。")
    draft = sheet_docx_module.is_draft(u, phase)
    data = sheet_docx_module.render_unit_sheet(u, phase, draft=draft)
    audit.record_on(
        "assessment.sheet_download",
        u,
        current_user,
        org=u.org,
        after={"campaign": u.campaign.id, "phase": phase, "draft": draft},
    )
    label = "自评表" if phase == "self" else "考核评分表"
    name = f"{u.campaign.year}年度{u.org.name}{label}.docx"
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": attachment(name, "assessment")},
    )


@bp.route("/units/<int:unit_id>/self/<action>", methods=["POST"])
@refused_on("assessment.unit", {"comment": "reason"})  # a return's reason (an opinion: optional)
def self_action(unit_id: int, action: str) -> Any:
    messages = {
        "submit": "已提交本单位领导审核。",
        "approve": "自评已审核通过并上报省厅。",
        "return": "已退回填表人修改。",
    }
    if action not in messages:
        return redirect(url_for("assessment.unit", unit_id=unit_id))
    text = request.form.get("reason" if action == "return" else "opinion", "")
    flow.act_on_unit(current_user, unit_id, action, text)
    flash(messages[action], "success")
    return redirect(url_for("assessment.unit", unit_id=unit_id))


@bp.route("/units/<int:unit_id>/evidence", methods=["POST"])
def upload_evidence(unit_id: int) -> Any:
    # Another unit's user is refused (403, audited) before anything about the upload is said.
    operations.unit_for(current_user, unit_id, "assessment.view")
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        flash("请选择要上传的文件。", "danger")
    for f in files:
        try:
            saved = operations.add_evidence(current_user, unit_id, f.filename or "", f.read())
        except DomainError as err:
            _refused(err)
            record_refused_upload(err)
            break
        flash(f"已上传 {saved.original_name}。", "success")
    target = request.form.get("back") == "score"
    return redirect(url_for("assessment.score" if target else "assessment.unit", unit_id=unit_id))


@bp.route("/evidence/<int:file_id>")
def evidence(file_id: int) -> Any:
    f = operations.get_evidence(current_user, file_id)
    audit.record_on(
        "assessment.evidence_download",
        f,
        current_user,
        org=f.unit.org,
        after={"unit": f.unit.id, "name": f.original_name, "sha256": f.sha256},
    )
    # one_line: a name stored before the edge refused line breaks in file names still downloads
    name = one_line(f.original_name)
    return send_file(operations.evidence_path(f), as_attachment=True, download_name=name)


@bp.route("/units/<int:unit_id>/score", methods=["GET", "POST"])
@refused_on("assessment.score", errors=_score_errors)
def score(unit_id: int) -> Any:
    """The unit's score page: an assessor scores on it; the province's leader, who approves the
    results and adjusts an item's score (调整得分), reads it and adjusts there (the sheet read
    only, the site visits without their forms).  A refused save comes back here (422) with
    every box and note as ticked and typed (refused_on; the page is its own form's)."""
    u = operations.get_unit(unit_id, current_user)
    may_score = can(current_user, "assessment.score", u.org)
    may_adjust = can(current_user, "assessment.approve", u.campaign.org)
    if not may_adjust or posted_here():
        # an audited refusal, as before; saving scores is the assessors' alone
        require(current_user, "assessment.score", u.org)
    sheet = u.campaign.sheet.parsed()
    if posted_here():
        judgments, notes, refs = form_judgments(sheet, request.form)
        totals = judging.score_unit(current_user, u.id, judgments, notes=notes, evidence=refs)
        flash(f"已保存评分：{u.org.name} 得分 {format_score(totals['total'])} 分。", "success")
        return redirect(url_for("assessment.score", unit_id=unit_id))
    refused = refusal("assessment.score")
    step = flow.tasks_by_unit_one(u)
    return render_template(
        "assessment/score.html",
        step=step,
        u=u,
        c=u.campaign,
        sheet=sheet,
        rows=typed_rows(sheet, request.form)
        if refused
        else _rows(u, Phase.ASSESSOR, current_user.id),
        errors=refused,
        labels=sheet_labels(sheet),
        self_rows=_rows(u, Phase.SELF),
        final=judging.final_scores(u),
        overrides=judging.overrides(u),
        editable=may_score and u.campaign.state == CampaignState.SCORING.value,
        may_score=may_score,
        can_override=may_adjust,
        today=clock.today_local().isoformat(),
        proposals=proposals.proposals(u, sheet),
        made_up=sampling.made_up_note(u),
    )


@bp.route("/units/<int:unit_id>/override", methods=["POST"])
@refused_on("assessment.score", {"item_id": "item_id", "_": "reason"})
def override(unit_id: int) -> Any:
    form = request.form
    item, score = form.get("item_id", ""), form.get("score", "")
    judging.override_item_score(current_user, unit_id, item, score, form.get("reason", ""))
    flash("已调整得分（已记录调整前后分值及理由）。", "success")
    return redirect(url_for("assessment.score", unit_id=unit_id))


@bp.route("/sites/<int:site_id>/visit", methods=["POST"])
@refused_on(
    "assessment.score",
    page_args=lambda site_id: {"unit_id": sampling.get_site(site_id, current_user).unit_id},
)
def site_visit(site_id: int) -> Any:
    """现场检查 of one sampled site: a refusal answers the unit's score page, under its row.
    Another unit's site answers as a missing one, and the right to score comes before the
    input (a refused date would otherwise render a score page nobody here may read)."""
    site = sampling.get_site(site_id, current_user)
    require(current_user, "assessment.score", site.unit.org)
    try:
        visit_date = date.fromisoformat(request.form.get("visit_date", ""))
    except ValueError:
        reason = "检查日期应为日期，如 2026-12-05。"
        raise InvalidInput(reason, details={"visit_date": reason}) from None
    sampling.record_site_visit(
        current_user, site_id, visit_date=visit_date, findings=request.form.get("findings", "")
    )
    flash("已记录现场检查情况。", "success")
    return redirect(url_for("assessment.score", unit_id=site.unit_id))
