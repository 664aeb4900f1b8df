"""Staff pages of the 公开 section: the half year's reports, the workspace, withdrawal."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.archive import operations as archive
from webapp.core import audit, clock
from webapp.core.errors import DomainError, NotFound
from webapp.core.permissions import can, require
from webapp.drafts import views as drafts_views
from webapp.drafts.operations import DraftConflict
from webapp.drafts.views import refused_sections
from webapp.engine import register_task_page
from webapp.periodic.views import open_period_form
from webapp.publication import operations as ops
from webapp.publication import publicity
from webapp.publication.document import (
    FILING_LAG_NOTE,
    content,
    document_filename,
    over_100,
    render_document,
)
from webapp.publication.draft import SECTIONS
from webapp.publication.drafting import DRAFT
from webapp.publication.models import ObjectionOutcome, Publication
from webapp.publication.pages import publication_list_page, publication_page, viewable_publication
from webapp.publication.periods import last_ended, parse_half_year
from webapp.web import attachment, page_blueprint, refused_on

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
bp = page_blueprint("publication", __name__)
# the figures' macros (publication/_content.html, staff workspace and public portal alike)
bp.add_app_template_test(over_100, "over_100")
bp.add_app_template_global(over_100, "over_100")
bp.add_app_template_global(FILING_LAG_NOTE, "FILING_LAG_NOTE")


def _task_page(task: Any) -> str | None:
    """A public report's steps (拟稿, 审核, 主要领导审批, 撤回审批) are done on its workspace,
    which shows the summary beside the opinion and the buttons: the inbox and the home page
    link there, so the leader on a phone approves in one tap from the list."""
    pub_id = (task.instance.subject or {}).get("publication_id")
    return url_for("publication.workspace", pub_id=pub_id) if pub_id else None


register_task_page("publication", _task_page)


@bp.route("/")
def index() -> Any:
    try:
        half = parse_half_year(request.args.get("period") or last_ended(clock.today_local()))
    except DomainError as err:
        flash(err.message, "danger")
        half = last_ended(clock.today_local())
    return render_template(
        "publication/index.html",
        half=half,
        page=publication_list_page(current_user, half.code),
        can_open=can(current_user, "publication.open"),
        can_answer=can(current_user, "publication.objection_answer", current_user.org),
    )


@bp.route("/open", methods=["POST"])
@refused_on("publication.index")
def open_period() -> Any:
    require(current_user, "publication.open")
    return open_period_form(ops.open_period, "publication.index")


@bp.route("/<int:pub_id>")
def workspace(pub_id: int) -> Any:
    page = publication_page(current_user, viewable_publication(current_user, pub_id))
    return render_template("publication/publication.html", page=page)


def _acting_on(pub_id: int, permission: str) -> Publication:
    """The publication a write acts on: the role checked first, before loading, then the
    right on the publication's unit."""
    require(current_user, permission)
    pub = ops.get_publication(pub_id, current_user)  # 404 to whoever may not see it
    require(current_user, permission, pub.org)
    return pub


def _section_fields(_pub: Publication) -> dict[str, str]:
    return {key: key for key, _ in SECTIONS}


@bp.route("/<int:pub_id>/sections", methods=["POST"])
@refused_on("publication.workspace", errors=refused_sections(DRAFT, _section_fields))
def save_sections(pub_id: int) -> Any:
    """The draft's form (保存草稿, or without script) or the autosave's JSON: a refusal (too
    long, the report no longer editable) answers the workspace with every text kept."""
    pub = _acting_on(pub_id, "publication.draft")
    fields = _section_fields(pub)
    texts, bases = drafts_views.submission(fields)
    try:
        result = ops.save_sections(current_user, pub, texts, bases)
    except DraftConflict as err:
        back = url_for("publication.workspace", pub_id=pub.id, _anchor="sections")
        return drafts_views.conflict_response(err, fields, back)
    if request.is_json:
        return drafts_views.saved_json(result)
    flash(f"草稿已保存（{len(result.changed)} 处修改）。", "success")
    return redirect(url_for("publication.workspace", pub_id=pub.id))


@bp.route("/<int:pub_id>/regenerate", methods=["POST"])
def regenerate(pub_id: int) -> Any:
    pub = _acting_on(pub_id, "publication.draft")
    ops.regenerate(current_user, pub)
    flash("已根据已接收的季度数据重新生成草稿。", "success")
    return redirect(url_for("publication.workspace", pub_id=pub.id))


@bp.route("/<int:pub_id>/withdrawal", methods=["POST"])
@refused_on("publication.workspace")
def request_withdrawal(pub_id: int) -> Any:
    pub = _acting_on(pub_id, "publication.withdraw_request")
    ops.request_withdrawal(current_user, pub, request.form.get("reason", ""))
    flash("撤回申请已提交，等待主要领导审批。", "success")
    return redirect(url_for("publication.workspace", pub_id=pub.id))


@bp.route("/<int:pub_id>/document.docx")
def document(pub_id: int) -> Any:
    """Staff download: the archived published file, or a preview of the draft."""
    pub = viewable_publication(current_user, pub_id)
    archived = archive.latest("publication", pub.id)
    if archived is not None:
        data, name, stage = archive.read(archived), archived.filename, "published"
    else:
        snap = content(pub)
        data = render_document(snap, None, draft=True)
        name, stage = document_filename(snap).replace(".docx", "（草稿）.docx"), "draft"
    if not data:
        raise NotFound("文件不存在。")
    audit.record_on(
        "publication.document_download",
        pub,
        current_user,
        after={"stage": stage, "subject": f"publication:{pub.id}"},
    )
    return Response(
        data,
        mimetype=DOCX_MIMETYPE,
        headers={"Content-Disposition": attachment(name, "public_report")},
    )


@bp.route("/objections")
def objections() -> Any:
    """异议 on the records this unit approved, to answer (open ones first)."""
    org = current_user.org
    require(current_user, "publication.objection_answer", org)
    return render_template(
        "publication/objections.html",
        org=org,
        items=publicity.objections_for(current_user, org),
        outcomes=list(ObjectionOutcome),
        min_answer=publicity.MIN_OBJECTION,
    )


@bp.route("/objections/<int:objection_id>/answer", methods=["POST"])
@refused_on("publication.objections")
def answer_objection(objection_id: int) -> Any:
    # Who may answer at all first (auditors only read); then the objection's own tier.
    require(current_user, "publication.objection_answer", current_user.org)
    objection = publicity.get_objection(objection_id, current_user)
    publicity.answer_objection(
        current_user, objection, request.form.get("outcome", ""), request.form.get("answer", "")
    )
    flash("已答复异议。", "success")
    return redirect(url_for("publication.objections"))
