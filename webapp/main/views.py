"""Home page and the top-level sections of the navigation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from webapp.core.permissions import require

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


@bp.route("/")
@login_required
def home() -> Any:
    return render_template("main/home.html", sections=SECTIONS)


@bp.route("/section/<name>")
@login_required
def section(name: str) -> Any:
    entry = next((s for s in SECTIONS if s[0] == name), None)
    if entry is None:
        abort(404)
    if entry[2]:
        require(current_user, entry[2])
    return render_template("main/coming.html", section=entry)


@bp.route("/healthz")
def healthz() -> Any:
    return {"status": "ok"}


#: Section → endpoint of its real page, once a feature provides one (others show "coming").
SECTION_ENDPOINTS: dict[str, str] = {"admin": "admin.users"}


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    from flask import url_for

    from webapp.core.permissions import can

    def nav_sections() -> list[tuple[str, str, str | None, str]]:
        return [s for s in SECTIONS if s[2] is None or can(current_user, s[2])]

    def nav_url(key: str) -> str:
        endpoint = SECTION_ENDPOINTS.get(key)
        return url_for(endpoint) if endpoint else url_for("main.section", name=key)

    return {"nav_sections": nav_sections, "nav_url": nav_url}
