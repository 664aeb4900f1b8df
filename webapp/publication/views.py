"""Staff pages of the 公开 section: the half year's reports, the workspace, withdrawal."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp.archive import operations as archive
from webapp.core import audit, clock
from webapp.core.errors import DomainError, NotFound, PermissionDenied
from webapp.core.models import Org
from webapp.core.permissions import can, require
from webapp.drafts import operations as drafts
from webapp.drafts import views as drafts_views
from webapp.drafts.operations import DraftConflict
from webapp.extensions import db
from webapp.publication import operations as ops
from webapp.publication.document import content, document_filename, render_document
from webapp.publication.draft import SECTIONS
from webapp.publication.drafting import DRAFT
from webapp.publication.flow import draft_problems
from webapp.publication.models import Publication
from webapp.publication.periods import last_ended, parse_half_year, withdrawable_from
from webapp.publication.state import editable, publication_state

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
bp = Blueprint("publication", __name__, url_prefix="/publication", template_folder="templates")


@bp.before_request
@login_required
def _login() -> None:
    return None


def _viewable(pub_id: int) -> Publication:
    pub = ops.get_publication(pub_id)
    if not ops.can_view(current_user, pub):
        raise PermissionDenied("您无权查看该公开报告。")
    return pub


@bp.route("/")
def index() -> Any:
    try:
        half = parse_half_year(request.args.get("period") or last_ended(clock.today_local()))
    except DomainError as err:
        flash(err.message, "danger")
        half = last_ended(clock.today_local())
    org = current_user.org
    # Administrators and auditors open this page too (to open a half year), without the
    # right to read the unit's drafts: they see none.
    visible = can(current_user, "publication.view", org)
    mine = ops.find_publication(org, half.code) if visible else None
    history = (
        list(
            db.session.execute(
                select(Publication)
                .where(Publication.org_id == org.id)
                .order_by(Publication.period.desc())
            ).scalars()
        )
        if visible
        else []
    )
    board = []
    if can(current_user, "publication.view", org):
        rows = db.session.execute(
            select(Publication)
            .join(Org, Publication.org_id == Org.id)
            .where(Org.parent_id == org.id, Publication.period == half.code)
            .order_by(Org.code)
        ).scalars()
        board = list(rows)
    return render_template(
        "publication/index.html",
        half=half,
        mine=mine,
        history=history,
        board=board,
        state_of=publication_state,
        can_open=can(current_user, "publication.open"),
    )


@bp.route("/open", methods=["POST"])
def open_period() -> Any:
    require(current_user, "publication.open")
    period = (request.form.get("period") or "").strip()
    counts = ops.open_period(current_user, period)
    flash(
        f"已开启 {period}：新开启 {counts['opened']} 个单位，原已开启 {counts['existing']} 个。",
        "success",
    )
    return redirect(url_for("publication.index", period=period))


def _open_tasks(pub: Publication) -> list[Any]:
    from webapp.engine import HumanTask, can_work

    if pub.instance_id is None:
        return []
    tasks = db.session.execute(
        select(HumanTask).where(
            HumanTask.instance_id == pub.instance_id, HumanTask.state.in_(("ready", "claimed"))
        )
    ).scalars()
    return [t for t in tasks if can_work(current_user, t)]


@bp.route("/<int:pub_id>")
def workspace(pub_id: int) -> Any:
    pub = _viewable(pub_id)
    state = publication_state(pub)
    can_edit = editable(pub) and can(current_user, "publication.draft", pub.org)
    data = content(pub)
    first = withdrawable_from(pub.publication_date) if pub.publication_date else None
    return render_template(
        "publication/publication.html",
        pub=pub,
        state=state,
        data=data,
        sections=SECTIONS,
        versions=drafts.current_versions(DRAFT, pub),
        can_edit=can_edit,
        problems=draft_problems(pub) if editable(pub) else [],
        tasks=_open_tasks(pub),
        withdrawable_from=first,
        can_request_withdrawal=state.value == "published"
        and can(current_user, "publication.withdraw_request", pub.org),
        window_open=first is not None and clock.today_local() >= first,
    )


@bp.route("/<int:pub_id>/sections", methods=["POST"])
def save_sections(pub_id: int) -> Any:
    require(current_user, "publication.draft")  # the role first, before loading
    pub = ops.get_publication(pub_id)
    require(current_user, "publication.draft", pub.org)
    fields = {key: key for key, _ in SECTIONS}
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
    require(current_user, "publication.draft")  # the role first, before loading
    pub = ops.get_publication(pub_id)
    require(current_user, "publication.draft", pub.org)
    ops.regenerate(current_user, pub)
    flash("已根据已接收的季度数据重新生成草稿。", "success")
    return redirect(url_for("publication.workspace", pub_id=pub.id))


@bp.route("/<int:pub_id>/withdrawal", methods=["POST"])
def request_withdrawal(pub_id: int) -> Any:
    require(current_user, "publication.withdraw_request")  # the role first, before loading
    pub = ops.get_publication(pub_id)
    require(current_user, "publication.withdraw_request", pub.org)
    ops.request_withdrawal(current_user, pub, request.form.get("reason", ""))
    flash("撤回申请已提交，等待主要领导审批。", "success")
    return redirect(url_for("publication.workspace", pub_id=pub.id))


@bp.route("/<int:pub_id>/document.docx")
def document(pub_id: int) -> Any:
    """Staff download: the archived published file, or a preview of the draft."""
    pub = _viewable(pub_id)
    archived = archive.latest("publication", pub.id)
    if archived is not None:
        data, name, stage = archive.read(archived), archived.filename, "published"
    else:
        snap = content(pub)
        data = render_document(snap, None)
        name, stage = document_filename(snap).replace(".docx", "（草稿）.docx"), "draft"
    if not data:
        raise NotFound("文件不存在。")
    audit.record(
        "publication.document_download",
        actor=current_user,
        org=pub.org,
        object_type="publication",
        object_id=pub.id,
        after={"stage": stage, "subject": f"publication:{pub.id}"},
    )
    return Response(
        data,
        mimetype=DOCX_MIMETYPE,
        headers={
            "Content-Disposition": 'attachment; filename="public_report.docx"; '
            f"filename*=UTF-8''{quote(name)}"
        },
    )
