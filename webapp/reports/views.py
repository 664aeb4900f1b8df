"""Pages of the reports (报表 section): list, workspace, status board (催报), documents."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from webapp.archive import operations as archive
from webapp.archive.models import DocumentKind
from webapp.archive.views import file_response
from webapp.core import audit, clock
from webapp.core.errors import (
    Conflict,
    DomainError,
    Hidden,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from webapp.core.models import Org
from webapp.core.operations import get_org
from webapp.core.permissions import can, require
from webapp.core.urls import safe_next
from webapp.drafts import views as drafts_views
from webapp.drafts.operations import DraftConflict
from webapp.drafts.views import refused_sections
from webapp.engine import register_task_page
from webapp.extensions import db
from webapp.periodic.views import open_period_form
from webapp.reports import operations as ops
from webapp.reports import pages
from webapp.reports.board import board_rows
from webapp.reports.deadlines import current_period_code
from webapp.reports.drafting import EXPLANATIONS, MISSING, NARRATIVE
from webapp.reports.models import Report, ReportKind
from webapp.reports.narrative import DRAFT_SECTIONS
from webapp.reports.pages import report_list_page, viewable_report
from webapp.reports.readiness import editable
from webapp.reports.sections import sections
from webapp.stats.compute import parse_period
from webapp.web import attachment, page_blueprint, refused_on

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
bp = page_blueprint("reports", __name__, writes="report.write")


def _task_page(task: Any) -> str | None:
    """A report's steps are done on the report's page (the narrative step on its tab)."""
    report_id = (task.instance.subject or {}).get("report_id")
    if report_id is None:
        return None
    anchor = "tab-narrative" if task.element_id == "narrative" else None
    return url_for("reports.report_page", report_id=report_id, _anchor=anchor)


def _notice_task_page(task: Any) -> str | None:
    year = (task.instance.subject or {}).get("year")
    return url_for("reports.notice_page", year=year) if year else None


register_task_page("quarterly_report", _task_page)
register_task_page("reporting_notice", _notice_task_page)


def _report_or_404(report_id: int) -> Report:
    return viewable_report(current_user, report_id, summary=True)


@bp.route("/")
def index() -> Any:
    period = request.args.get("period") or current_period_code()
    try:
        parsed = parse_period(period)
    except DomainError as err:
        flash(err.message, "danger")
        parsed = parse_period(current_period_code())
    kind = ReportKind.ANNUAL if parsed.is_year else ReportKind.QUARTERLY
    return render_template(
        "reports/index.html",
        period=parsed,
        page=report_list_page(current_user, parsed.code, kind.value),
        can_open=can(current_user, "report.open"),
        # the statistics are the ledger's readers' (administrators and auditors open periods
        # and read the trail here, and were shown a link to a 403)
        can_stats=can(current_user, "ledger.view"),
    )


@bp.route("/board")
def board() -> Any:
    period = parse_period(request.args.get("period") or current_period_code())
    org = get_org(request.args.get("org") or current_user.org.code)
    # The administrator, who opens the periods, follows the reporting of every unit (issue 18:
    # a 403 before); the reports themselves stay the units' business.
    if not can(current_user, "report.open"):
        require(current_user, "report.view", org)
    rows = board_rows(org, period.code)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.label] = counts.get(r.label, 0) + 1
    return render_template(
        "reports/board.html",
        org=org,
        period=period,
        rows=rows,
        counts=counts,
        may_open=can(current_user, "report.view", org),
        may_remind=any(can(current_user, "report.remind", r.org) for r in rows[:1]),
    )


@bp.route("/open", methods=["POST"])
@refused_on("reports.index")
def open_period() -> Any:
    return open_period_form(ops.open_period, "reports.index")


@bp.route("/<int:report_id>")
def report_page(report_id: int) -> Any:
    report = _report_or_404(report_id)
    page = pages.report_page(
        current_user, report, summary_only=not ops.can_view(current_user, report)
    )
    return render_template(
        "reports/report.html", page=page, missing_key=MISSING, draft_sections=DRAFT_SECTIONS
    )


def _narrative_fields(report: Report) -> dict[str, str]:
    return {key: key for key, _ in sections(report.kind)}


def _explanation_fields(_report: Report) -> dict[str, str]:
    """``exp_<check id>`` and ``missing_explanation`` fields of the form → section keys."""
    fields = {name: name[len("exp_") :] for name in request.form if name.startswith("exp_")}
    if MISSING in request.form:
        fields[MISSING] = MISSING
    return fields


@bp.route("/<int:report_id>/narrative", methods=["POST"])
@refused_on("reports.report_page", errors=refused_sections(NARRATIVE, _narrative_fields))
def save_narrative(report_id: int) -> Any:
    """The narrative's form (its 保存 button, or without script) or the autosave's JSON: a
    refusal (too long, the report no longer editable) answers the page with every text kept."""
    report = _report_or_404(report_id)
    fields = _narrative_fields(report)
    return _autosave(
        report,
        fields,
        lambda texts, bases: ops.save_narrative(current_user, report, texts, bases),
        "narrative",
        "分析报告已保存。",
    )


def _autosave(report: Report, fields: dict[str, str], save: Any, anchor: str, done: str) -> Any:
    """A form or autosave post of sections (``fields``: form field → section key): saved,
    or the conflict page (the autosave's JSON) when someone saved a newer version."""
    texts, bases = drafts_views.submission(fields)
    back = url_for("reports.report_page", report_id=report.id, _anchor=anchor)
    try:
        result = save(texts, bases)
    except DraftConflict as err:
        return drafts_views.conflict_response(err, fields, back)
    if request.is_json:
        return drafts_views.saved_json(result)
    flash(done, "success")
    return redirect(back)


@bp.route("/<int:report_id>/meeting", methods=["POST"])
@refused_on("reports.report_page")
def save_meeting(report_id: int) -> Any:
    """第十四条: the quarter's analysis meeting, recorded with the report."""
    report = _report_or_404(report_id)
    try:
        held_on = date.fromisoformat(request.form.get("held_on", ""))
    except ValueError:
        held_on = None  # the operation says what is missing, with the other fields' problems
    ops.save_meeting(
        current_user,
        report,
        held_on,
        request.form.get("attendees", ""),
        request.form.get("conclusions", ""),
    )
    flash("质量分析会记录已保存。", "success")
    return redirect(url_for("reports.report_page", report_id=report.id, _anchor="meeting"))


@bp.route("/<int:report_id>/reuse", methods=["POST"])
def reuse(report_id: int) -> Any:
    report = _report_or_404(report_id)
    if not ops.previous_narrative(report):
        ops.reuse_previous(current_user, report)  # permission and state checks, no change
        flash(ops.NOTHING_TO_REUSE + "。", "info")
    else:
        changed = ops.reuse_previous(current_user, report)
        flash(f"已引用上期内容到 {len(changed)} 个空白章节。", "success")
    return redirect(url_for("reports.report_page", report_id=report.id, _anchor="narrative"))


@bp.route("/<int:report_id>/first-draft", methods=["POST"])
def first_draft(report_id: int) -> Any:
    """生成初稿 of one section: an empty section is filled; a section with text first shows
    both texts and asks (``overwrite=1`` then replaces it, the old text kept in its history)."""
    report = _report_or_404(report_id)
    section = request.form.get("section", "")
    overwrite = request.form.get("overwrite") == "1"
    back = url_for("reports.report_page", report_id=report.id, _anchor=section)
    try:
        if ops.has_text(report, section) and not overwrite:
            draft = ops.preview_first_draft(current_user, report, section)
            return render_template(
                "reports/first_draft_confirm.html",
                report=report,
                section=section,
                title=dict(sections(report.kind))[section],
                current=(report.narrative or {}).get(section, ""),
                draft=draft,
                back=back,
            )
        ops.write_first_draft(current_user, report, section, overwrite=overwrite)
    except (Conflict, InvalidInput) as err:
        db.session.rollback()
        flash(err.message, "warning")
    else:
        flash("已生成初稿：请核对数字、改写文字，并删除首行的初稿标记。", "success")
    return redirect(back)


@bp.route("/<int:report_id>/explanations", methods=["POST"])
@refused_on("reports.report_page", errors=refused_sections(EXPLANATIONS, _explanation_fields))
def save_explanations(report_id: int) -> Any:
    """Explanations: ``exp_<check id>`` and ``missing_explanation`` fields of the form, or the
    autosave's JSON (check ids and ``missing_explanation`` as section keys); a refusal of the
    form (too short, too long) answers the page with every text kept."""
    report = _report_or_404(report_id)
    fields = _explanation_fields(report)
    return _autosave(
        report,
        fields,
        lambda texts, bases: ops.save_explanations(current_user, report, texts, None, bases),
        "checks",
        "说明已保存。",
    )


@bp.route("/<int:report_id>/correction", methods=["POST"])
@refused_on("reports.report_page")
def correction(report_id: int) -> Any:
    report = _report_or_404(report_id)
    ops.request_correction(current_user, report, request.form.get("reason", ""))
    flash("已发起更正，请在待办中重新填报。", "success")
    return redirect(url_for("reports.report_page", report_id=report.id))


@bp.route("/<int:report_id>/deadline", methods=["POST"])
@refused_on("reports.report_page")
def extend(report_id: int) -> Any:
    """延期 (the upper level or an administrator): a new due date with its reason."""
    report = ops.get_report(report_id, current_user)
    try:
        new_due = date.fromisoformat(request.form.get("due_date", ""))
    except ValueError:
        raise InvalidInput("请填写新的截止日期（年-月-日）。") from None
    ops.extend_deadline(current_user, report, new_due, request.form.get("reason", ""))
    flash(f"已延期：{report.org.name}新的截止时间 {report.due_at:%Y-%m-%d}。", "success")
    return redirect(url_for("reports.report_page", report_id=report.id))


@bp.route("/<int:report_id>/remind", methods=["POST"])
def remind(report_id: int) -> Any:
    report = ops.get_report(report_id, current_user)
    count = ops.remind_unit(current_user, report, request.form.get("message"))
    flash(f"已催办 {report.org.name}（通知 {count} 人）。", "success")
    default = url_for("reports.board", period=report.period)
    return redirect(safe_next(request.form.get("next"), default))


def _record_download(report: Report, **what: Any) -> None:
    """The audit record of a download of the report's document (``what``: stage, format…)."""
    after = {**what, "subject": f"report:{report.id}"}
    audit.record_on("report.document_download", report, current_user, after=after)


def document_response(report: Report, fmt: str = "docx") -> Response:
    """The archived file once submitted (its PDF rendered once, then kept in the archive); a
    preview rendered from live figures before."""
    from webapp.documents import to_pdf
    from webapp.reports.document import freeze, render_document

    if not ops.can_view(current_user, report):
        raise PermissionDenied("您无权下载该报告。")
    doc = archive.latest("report", report.id)
    if doc is not None and not editable(report):
        served = archive.pdf_of(doc, current_user) if fmt == "pdf" else doc
        response = file_response(served, ascii_name=f"report.{fmt}")
        stage = served.stage
    else:
        snapshot = freeze(report, None)
        content = render_document(report, snapshot, draft=True)
        name = f"{report.org.name}{snapshot['period_label']}工程质量分析报告（草稿）.docx"
        stage = "draft"
        mimetype = DOCX_MIMETYPE
        if fmt == "pdf":
            pdf = to_pdf(content)
            if pdf is None:
                raise NotFound("服务器未安装 LibreOffice，请下载 Word 文件。")
            content, name, mimetype = pdf, name[:-5] + ".pdf", "application/pdf"
        response = Response(
            content,
            mimetype=mimetype,
            headers={"Content-Disposition": attachment(name, "report")},
        )
    _record_download(report, stage=stage, format=fmt)
    return response


@bp.route("/<int:report_id>/document.<fmt>")
def document(report_id: int, fmt: str) -> Any:
    if fmt not in ("docx", "pdf"):
        raise NotFound()
    return document_response(ops.get_report(report_id, current_user), fmt)


@bp.route("/documents/<int:doc_id>")
def archived_document(doc_id: int) -> Any:
    """One archived Word file of a report (any version), from the document archive."""
    doc = archive.get(doc_id)
    if doc.owner_kind != "report" or doc.kind != DocumentKind.SOURCE:
        raise NotFound("文件不存在。")
    report = ops.get_report(doc.owner_id)
    if not ops.can_view(current_user, report):
        if not ops.can_view_summary(current_user, report):  # answered as a missing file
            raise Hidden("文件不存在。", action="report.view")
        raise PermissionDenied("您无权下载该报告。")
    response = file_response(doc, ascii_name="report.docx")
    _record_download(report, stage=doc.stage, version=doc.version)
    return response


@bp.route("/<int:report_id>/seal", methods=["POST"])
def attach_seal(report_id: int) -> Any:
    """Attach the stamped scan (盖章扫描件) of the frozen submission."""
    from webapp.reports.document import attach_seal as attach

    report = ops.get_report(report_id, current_user)
    upload = request.files.get("scan")
    limit = int(float(current_app.config["SEAL_SCAN_MAX_MB"]) * 1024 * 1024)
    content = upload.stream.read(limit + 1) if upload is not None else b""
    attach(current_user, report, content)
    flash("盖章扫描件已上传，上级单位可在“文书”中查看。", "success")
    return redirect(url_for("reports.report_page", report_id=report.id) + "#tab-docs")


@bp.app_template_global("report_can_seal")
def report_can_seal(report: Report) -> bool:
    """Whether the current user may attach a stamped scan to the report's frozen file."""
    return (
        bool(report.documents)
        and not editable(report)
        and can(current_user, "report.seal", report.org)
    )


# 通报 of the reporting work (第八条(五)) ---------------------------------------------------------


@bp.route("/notice/<int:year>")
def notice_page(year: int) -> Any:
    from webapp.engine import can_work
    from webapp.reports import notice as nt

    nt.require_view(current_user)
    notice = nt.find_notice(year)
    task = nt.open_task(notice) if notice is not None else None
    lists = (
        {name: getattr(notice, name) or [] for name in nt.LISTS}
        if notice is not None
        else nt.propose(year)
    )
    root = nt.province()
    return render_template(
        "reports/notice.html",
        year=year,
        notice=notice,
        lists=lists,
        list_labels=nt.LISTS,
        task=task if task is not None and can_work(current_user, task) else None,
        can_start=notice is None and can(current_user, "report.draft", root),
        can_edit=notice is not None
        and nt.editable(notice)
        and can(current_user, "report.draft", root),
        units=db.session.execute(select(Org).where(Org.depth == 1).order_by(Org.path)).scalars(),
        years=list(range(clock.today_local().year, clock.today_local().year - 4, -1)),
    )


@bp.route("/notice/<int:year>/start", methods=["POST"])
def notice_start(year: int) -> Any:
    from webapp.reports import notice as nt

    nt.start_notice(current_user, year)
    flash(f"已按系统建议拟定{year}年度通报名单，可增删后提交审核。", "success")
    return redirect(url_for("reports.notice_page", year=year))


@bp.route("/notice/<int:year>/edit", methods=["POST"])
@refused_on("reports.notice_page")
def notice_edit(year: int) -> Any:
    from webapp.reports import notice as nt

    require(current_user, "report.draft", nt.require_view(current_user))
    notice = nt.find_notice(year)
    if notice is None:
        raise NotFound("该年度尚未拟定通报。")
    f = request.form
    nt.edit_list(
        current_user,
        notice,
        f.get("list", ""),
        f.get("op", ""),
        f.get("target", ""),
        f.get("reason", ""),
    )
    flash("名单已修改。", "success")
    return redirect(url_for("reports.notice_page", year=year))


@bp.route("/notice/<int:year>/document.docx")
def notice_document(year: int) -> Any:
    from webapp.reports import notice as nt

    root = nt.require_view(current_user)
    notice = nt.find_notice(year)
    doc = archive.latest("reporting_notice", notice.id) if notice is not None else None
    if notice is None or doc is None:
        raise NotFound("通报尚未印发。")
    response = file_response(doc, ascii_name="notice.docx")
    audit.record_on(
        "notice.document_download", notice, current_user, org=root, after={"year": year}
    )
    return response
