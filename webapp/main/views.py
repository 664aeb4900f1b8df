"""Home page and the top-level sections of the navigation."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from webapp.core import audit
from webapp.core.errors import PermissionDenied
from webapp.core.operations import get_org
from webapp.core.permissions import require
from webapp.main.home import LIVE_NOTE, SERIES, board_home, home_for
from webapp.reports.board import board_workbook, remind_late

bp = Blueprint("main", __name__)

#: Navigation sections: endpoint suffix, label, permission action (None: any staff member).
SECTIONS: list[tuple[str, str, str | None, str]] = [
    ("tasks", "待办", None, "待办、已办、我发起的和抄送我的流程任务。"),
    ("ledger", "台账", "ledger.view", "工程项目、不良行为、行政处罚和质量事故台账。"),
    ("reports", "报表", None, "季度、年度分析报告与附表1–7。"),
    ("public", "公开", None, "向社会公开的工程质量总体状况报告、质量指数与信用记录。"),
    ("assessment", "考核", None, "保障性安居工程质量管理年及质量监督工作考核。"),
    ("admin", "管理", "user.manage", "用户、组织机构、流程定义与文书模板。"),
    ("audit", "审计", "audit.view", "完整、防篡改的审计日志。"),
]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.ico"


@bp.route("/")
@login_required
def home() -> Any:
    """The blocks of every role the user holds (webapp/main/home.py)."""
    data = home_for(current_user)
    chart = (
        data.figures.chart_data(
            lambda code, period: url_for("stats.table", n=5, org=code, period=period)
        )
        if data.figures
        else None
    )
    return render_template(
        "main/home.html", home=data, chart=chart, live_note=LIVE_NOTE, series=SERIES
    )


def _board_or_403(org_code: str | None = None) -> Any:
    org = get_org(org_code) if org_code else current_user.org
    board = board_home(current_user, org, always=True)
    if board is None:
        raise PermissionDenied("您无权查看该单位的下级单位报送情况。")
    return board


@bp.route("/home/board.xlsx")
@login_required
def board_export() -> Any:
    """The board of lower units (``?org=``, the user's own unit by default) as Excel, through
    the shared spreadsheet rule."""
    board = _board_or_403(request.args.get("org"))
    content = board_workbook(board.org, board.period.label, board.rows)
    audit.record(
        "report.board_export",
        actor=current_user,
        org=board.org,
        object_type="org",
        object_id=board.org.code,
        after={"period": board.period.code, "rows": len(board.rows)},
    )
    return send_file(
        io.BytesIO(content),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"报送情况_{board.org.name}_{board.period.code}.xlsx",
    )


@bp.route("/home/remind-late", methods=["POST"])
@login_required
def remind_late_units() -> Any:
    """一键催办: every late lower unit of the board (each reminder checked and audited)."""
    board = _board_or_403()
    if not board.can_remind:
        raise PermissionDenied("您无权催办下级单位。")
    period = request.form.get("period") or board.period.code
    if period != board.period.code:
        flash("看板已切换到新的报告期，请核对后再催办。", "warning")
        return redirect(url_for("main.home"))
    reminded = remind_late(current_user, board.org, period)
    if reminded:
        names = "、".join(r.org.name for r in reminded)
        flash(f"已催办 {len(reminded)} 个逾期单位：{names}。", "success")
    else:
        flash("本期没有需要催办的逾期单位。", "info")
    return redirect(url_for("main.home"))


@bp.route("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for /favicon.ico on every site: answer it instead of a 404."""
    return Response(
        FAVICON.read_bytes(),
        mimetype="image/vnd.microsoft.icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@bp.route("/section/<name>")
@login_required
def section(name: str) -> Any:
    entry = next((s for s in SECTIONS if s[0] == name), None)
    if entry is None:
        abort(404)
    action = section_action(name, entry[2])
    if action:
        require(current_user, action)
    return render_template("main/coming.html", section=entry)


#: Section → endpoint of its real page, once a feature provides one (others show "coming").
SECTION_ENDPOINTS: dict[str, str] = {"admin": "admin.users"}
#: Section → further blueprints whose pages belong to it (the blueprint of the section's own
#: page, from SECTION_ENDPOINTS, always does): e.g. the statistics' pages under 报表.
SECTION_BLUEPRINTS: dict[str, set[str]] = {}
#: Section → the permission that shows it in the menu, when the feature's pages need one
#: (overrides SECTIONS; a section whose pages would all answer 403 is not offered).
SECTION_ACTIONS: dict[str, str] = {}


def section_action(key: str, default: str | None) -> str | None:
    return SECTION_ACTIONS.get(key, default)


def current_section(
    endpoint: str | None, blueprint: str | None, view_args: dict[str, Any] | None
) -> str | None:
    """The navigation section of a page: the section placeholder's own name, else the
    section whose page's blueprint (or one of its further blueprints) served the request."""
    if endpoint == "main.section":
        return str((view_args or {}).get("name"))
    if not blueprint:
        return None
    for key, *_ in SECTIONS:
        own = SECTION_ENDPOINTS.get(key, "").rpartition(".")[0]
        if blueprint == own or blueprint in SECTION_BLUEPRINTS.get(key, ()):
            return key
    return None


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    from flask import request, url_for

    from webapp.core.permissions import can

    def nav_sections() -> list[tuple[str, str, str | None, str]]:
        shown = []
        for key, label, action, text in SECTIONS:
            action = section_action(key, action)
            if action is None or can(current_user, action):
                shown.append((key, label, action, text))
        return shown

    def nav_url(key: str) -> str:
        endpoint = SECTION_ENDPOINTS.get(key)
        return url_for(endpoint) if endpoint else url_for("main.section", name=key)

    def nav_active() -> str | None:
        return current_section(request.endpoint, request.blueprint, request.view_args)

    return {"nav_sections": nav_sections, "nav_url": nav_url, "nav_active": nav_active}
