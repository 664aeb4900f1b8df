"""Pages of the 考核 section: campaigns, ranking and results notice, score-sheet versions.

Thin: parse, check permission, call one operation, render.  The unit pages (self-assessment,
scoring) are in :mod:`webapp.assessment.unit_views`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp.archive import operations as archive
from webapp.archive.views import file_response
from webapp.assessment import access, documents, flow, judging, operations, sampling
from webapp.assessment.access import is_province_user, province
from webapp.assessment.judging import AWARDS_FUJIAN2, LAGGARD_MEASURES
from webapp.assessment.models import AssessmentCampaign, ScoreSheet, SiteSample
from webapp.assessment.sheet import KIND_LABELS
from webapp.core import audit, clock
from webapp.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from webapp.core.permissions import can, require
from webapp.extensions import db
from webapp.web import attachment, posted_here, refused_on, year_arg

bp = Blueprint(
    "assessment",
    __name__,
    url_prefix="/assessment",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@bp.before_request
@login_required
def _staff_only() -> None:
    require(current_user, "assessment.view")


@bp.app_template_filter("score")
def format_score(value: Decimal | str | None) -> str:
    """98.50 → 98.5, 84.00 → 84; None → —."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    text = format(number.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _back(campaign_id: int) -> Any:
    return redirect(url_for("assessment.campaign", campaign_id=campaign_id))


def _flash_error(err: DomainError) -> None:
    """Show a refused operation on the next page; nothing of it is committed."""
    db.session.rollback()
    flash(err.message, "danger")


def _refused(err: DomainError) -> None:
    """A refused operation: a permission refusal is the 403 page, a missing object (or one the
    user may not see, answered alike and audited) the 404 page, anything else a message."""
    if isinstance(err, PermissionDenied | NotFound):
        raise err
    _flash_error(err)


def _attempt(action: Callable[[], Any], done: str | Callable[[Any], str]) -> bool:
    """Run ``action``: flash ``done`` (or ``done(its result)``) when it went through, else the
    refusal (``_refused``)."""
    try:
        result = action()
    except DomainError as err:
        _refused(err)
        return False
    flash(done if isinstance(done, str) else done(result), "success")
    return True


# Campaigns --------------------------------------------------------------------------------------
@bp.route("/")
def campaigns() -> Any:
    own_units = {}
    campaigns = list(
        db.session.execute(
            select(AssessmentCampaign).order_by(
                AssessmentCampaign.year.desc(), AssessmentCampaign.kind
            )
        ).scalars()
    )
    for c in campaigns:
        own = next((u for u in c.units if u.org_id == current_user.org_id), None)
        if own is not None:
            own_units[c.id] = own
    return render_template(
        "assessment/campaigns.html",
        campaigns=campaigns,
        own_units=own_units,
        kinds=KIND_LABELS,
        can_manage=can(current_user, "assessment.manage", province()),
        can_sheets=can(current_user, "assessment.sheets"),
        this_year=clock.today_local().year,
        warnings=operations.due_windows(campaigns),
        windows={c.id: operations.assessment_window(c.kind, c.year) for c in campaigns},
        window_warnings={c.id: operations.window_warning(c.kind, c.year, c) for c in campaigns},
    )


def read_form(parsers: dict[str, tuple[Callable[[str], Any], str]]) -> dict[str, Any]:
    """The posted fields ``parsers`` names, each read by its parser (an empty field is left
    out); every one that cannot be read is refused at once, its reason under it."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, (parse, reason) in parsers.items():
        text = request.form.get(name, "").strip()
        if text:
            try:
                values[name] = parse(text)
            except ValueError:
                problems[name] = reason
    if problems:
        raise InvalidInput("；".join(problems.values()), details=problems)
    return values


_COUNT = (int, "抽查数量应为整数。")
#: 附件3's sample sizes (市/其中县/直管县) on the 开启 form.
SAMPLE_SIZES = ("sample_city", "sample_city_county", "sample_direct_county")


@bp.route("/campaigns", methods=["POST"])
@refused_on("assessment.campaigns")
def open_campaign() -> Any:
    kind = request.form.get("kind", "")
    kwargs = read_form(
        {
            "year": (int, "考核年度应为整数，如 2026。"),
            "self_due": (date.fromisoformat, "截止日应为日期，如 2026-11-30。"),
            **({key: _COUNT for key in SAMPLE_SIZES} if kind == "fujian3" else {}),
        }
    )
    year = kwargs.pop("year", None)
    if year is None:
        raise InvalidInput("请填写考核年度。", details={"year": "请填写考核年度。"})
    campaign = flow.start_campaign(current_user, kind, year, ask_new_due=True, **kwargs)
    flash(f"已开启{campaign.title}，共 {len(campaign.units)} 个考核单位。", "success")
    return _back(campaign.id)


@bp.route("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> Any:
    c = operations.get_campaign(campaign_id)
    units = [u for u in c.units if can(current_user, "assessment.view", u.org)]
    if not is_province_user(current_user) and len(units) == 1:
        return redirect(url_for("assessment.unit", unit_id=units[0].id))
    sample = db.session.query(SiteSample).filter_by(campaign_id=c.id).one_or_none()
    instance = flow.province_instance(c)
    return render_template(
        "assessment/campaign.html",
        c=c,
        units=units,
        sample=sample,
        instance=instance,
        unit_tasks=flow.tasks_by_unit(c) if instance is not None else {},
        steps=flow.campaign_tasks(c) if is_province_user(current_user) else [],
        province_view=is_province_user(current_user),
        can_manage=can(current_user, "assessment.manage", c.org),
        can_approve=can(current_user, "assessment.approve", c.org),
        can_score=can(current_user, "assessment.score", c.org),
        awards=AWARDS_FUJIAN2,
        proposed=judging.proposed_results(c),
        has_source=sampling.candidate_source() is not None,
        made_up=sampling.made_up_notes(sample) if sample is not None else {},
        window=operations.assessment_window(c.kind, c.year),
        window_warning=operations.window_warning(c.kind, c.year, c),
    )


@bp.route("/campaigns/<int:campaign_id>/close", methods=["POST"])
def close_self(campaign_id: int) -> Any:
    try:
        flow.act_on_campaign(current_user, campaign_id, "close")
        missing = judging.not_reported(operations.get_campaign(campaign_id))
    except DomainError as err:
        _refused(err)
    else:
        phase = operations.get_campaign(campaign_id).phase_name
        what = "自评" if phase == "自评" else "材料"
        note = f"（{len(missing)} 个单位未上报{what}）" if missing else ""
        flash(f"{phase}阶段已结束，进入考核评分{note}。", "success")
    return _back(campaign_id)


@bp.route("/campaigns/<int:campaign_id>/sample", methods=["POST"])
@refused_on("assessment.campaign")
def draw_sample(campaign_id: int) -> Any:
    """抽取现场: a refusal (a date not read, too few candidates) answers the campaign's page."""
    read = read_form({"as_of": (date.fromisoformat, "抽样日期应为日期，如 2026-12-01。")})
    sample = flow.draw_sample(
        current_user,
        campaign_id,
        request.form.get("seed") or None,
        accept_shortfall=request.form.get("accept_shortfall") == "1",
        as_of=read.get("as_of"),
    )
    flash(f"已抽取现场检查项目（随机种子 {sample.seed}）。", "success")
    return _back(campaign_id)


@bp.route("/campaigns/<int:campaign_id>/rank", methods=["POST"])
def rank(campaign_id: int) -> Any:
    if not _attempt(
        lambda: flow.act_on_campaign(current_user, campaign_id, "rescore"),
        "已计算总分和排名，请主要领导审批。",
    ):
        return _back(campaign_id)
    return redirect(url_for("assessment.ranking", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/approve", methods=["POST"])
@refused_on("assessment.ranking")
def approve(campaign_id: int) -> Any:
    awards = []
    for award in AWARDS_FUJIAN2:
        for code in request.form.getlist(f"award-{award}"):
            person = request.form.get(f"person-{award}-{code}", "")
            awards.append({"award": award, "org_code": code, "person": person})
    criticised = request.form.getlist("criticised")
    opinion = request.form.get("opinion", "")
    campaign = operations.get_campaign(campaign_id)
    measures = {
        code: request.form.getlist(f"measure-{code}")
        for code in (campaign.laggards or {}).get("confirmed") or []
    }
    data = {"awards": awards, "criticised": criticised, "measures": measures}
    flow.act_on_campaign(current_user, campaign_id, "approve", opinion, data)
    flash("考核结果已审批，各单位可查看本单位得分。", "success")
    return redirect(url_for("assessment.ranking", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/return", methods=["POST"])
@refused_on("assessment.ranking", {"comment": "reason", "_": "reason"})
def return_results(campaign_id: int) -> Any:
    """The province's leader returns the ranked results for correction."""
    require(current_user, "assessment.approve", province())
    flow.act_on_campaign(current_user, campaign_id, "return", request.form.get("reason", ""))
    flash("已退回考核组按审批意见修改评分。", "success")
    return redirect(url_for("assessment.ranking", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/ranking")
def ranking(campaign_id: int) -> Any:
    c = operations.get_campaign(campaign_id)
    if not (is_province_user(current_user) or c.state == "approved"):
        raise PermissionDenied("考核结果审批后方可查看排名。")
    return render_template(
        "assessment/ranking.html",
        c=c,
        rows=judging.ranking(c),
        units={u.org.code: u for u in c.units},
        can_approve=can(current_user, "assessment.approve", c.org),
        awards=AWARDS_FUJIAN2,
        proposed=judging.proposed_results(c),
        can_manage=can(current_user, "assessment.manage", c.org),
        proposed_laggards=judging.proposed_laggards(c),
        laggard_step=bool(flow.open_tasks(flow.province_instance(c), "confirm_laggards")),
        measures=LAGGARD_MEASURES,
        laggard_count=judging.laggard_count(),
    )


@bp.route("/campaigns/<int:campaign_id>/laggards", methods=["POST"])
@refused_on("assessment.ranking", {"laggards": "laggard", "laggards_note": "note", "_": "note"})
def confirm_laggards(campaign_id: int) -> Any:
    """附件2: the assessors confirm (or change, with a reason) the proposed laggards."""
    data = {
        "laggards": request.form.getlist("laggard"),
        "laggards_note": request.form.get("note", ""),
    }
    flow.act_on_campaign(current_user, campaign_id, "laggards", None, data)
    flash("已确认工作落后地区，报领导审批处理措施。", "success")
    return redirect(url_for("assessment.ranking", campaign_id=campaign_id))


OBSERVATION_LABELS = {"observed_on": "考察日期", "org_code": "单位", "observation": "考察情况"}


@bp.route("/observations", methods=["GET", "POST"])
@refused_on("assessment.observations")
def observations() -> Any:
    """日常考察 (附件3): the province's assessors record observations of the units through the
    year; a unit sees its own only after that year's 附件3 results are approved.  A refused
    record comes back here (422, refused_on; the page is its own form's) with what was typed."""
    require(current_user, "assessment.view")
    today = clock.today_local()
    if posted_here():
        try:
            observed_on = date.fromisoformat(request.form.get("observed_on", ""))
        except ValueError:
            raise InvalidInput(
                "考察日期格式不正确，应为 2026-09-30 这样的日期。",
                details={"observed_on": "考察日期格式不正确"},
            ) from None
        row = operations.record_observation(
            current_user,
            request.form.get("org_code", ""),
            observed_on=observed_on,
            observation=request.form.get("observation", ""),
        )
        flash("已记录日常考察。", "success")
        return redirect(url_for("assessment.observations", year=row.year))
    year = year_arg()
    province_view = is_province_user(current_user)
    return render_template(
        "assessment/observations.html",
        year=year,
        rows=operations.observations(current_user, year),
        visible=operations.observations_visible(current_user, current_user.org_id, year),
        province_view=province_view,
        can_record=province_view and can(current_user, "assessment.score", province()),
        units=access.assessed_units() if province_view else [],
        today=today.isoformat(),
        labels=OBSERVATION_LABELS,
    )


@bp.route("/campaigns/<int:campaign_id>/notice.docx")
def notice(campaign_id: int) -> Any:
    c = operations.get_campaign(campaign_id)
    if c.state != "approved":
        raise PermissionDenied("考核结果审批后方可下载通报。")
    audit.record_on("assessment.notice_download", c, current_user, org=c.org)
    archived = archive.latest("assessment_campaign", c.id)
    if archived is not None:  # the notice as published (archived by the publish step)
        return file_response(archived, ascii_name="notice.docx")
    data = documents.render_results_notice(c)
    name = documents.notice_filename(c)
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": attachment(name, "notice")},
    )


# Sheets -----------------------------------------------------------------------------------------
@bp.route("/sheets")
def sheets() -> Any:
    rows = db.session.execute(
        select(ScoreSheet).order_by(
            ScoreSheet.kind, ScoreSheet.year.desc(), ScoreSheet.version.desc()
        )
    ).scalars()
    return render_template(
        "assessment/sheets.html",
        sheets=list(rows),
        can_sheets=can(current_user, "assessment.sheets"),
    )


@bp.route("/sheets/<int:sheet_id>")
def sheet(sheet_id: int) -> Any:
    row = operations.get_sheet(sheet_id)
    return render_template(
        "assessment/sheet.html",
        row=row,
        sheet=row.parsed(),
        can_sheets=can(current_user, "assessment.sheets"),
    )


@bp.route("/sheets/upload", methods=["POST"])
def upload_sheet() -> Any:
    require(current_user, "assessment.sheets")
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("请选择评分表文件（JSON）。", "danger")
        return redirect(url_for("assessment.sheets"))
    try:
        row = operations.upload_sheet(current_user, file.read(), file.filename)
    except DomainError as err:
        _flash_error(err)
        return redirect(url_for("assessment.sheets"))
    flash(f"已上传{row.label}，核对无误后请启用。", "success")
    return redirect(url_for("assessment.sheet", sheet_id=row.id))


@bp.route("/sheets/<int:sheet_id>/activate", methods=["POST"])
def activate_sheet(sheet_id: int) -> Any:
    row = operations.activate_sheet(current_user, sheet_id)
    flash(f"已启用{row.label}。", "success")
    return redirect(url_for("assessment.sheet", sheet_id=row.id))


@bp.route("/sheets/install", methods=["POST"])
def install_sheets() -> Any:
    require(current_user, "assessment.sheets")
    created = operations.install_bundled_sheets(current_user)
    flash(f"已载入内置评分表 {len(created)} 份。", "success")
    return redirect(url_for("assessment.sheets"))
