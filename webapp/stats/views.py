"""报表 pages: 附表1–7 laid out as the printed forms, drill-down, snapshot comparison."""

from __future__ import annotations

import io
from typing import Any

from flask import render_template, request, send_file
from flask_login import current_user
from sqlalchemy import select

from webapp.core import audit, clock
from webapp.core.errors import InvalidInput, NotFound
from webapp.core.models import Org
from webapp.core.operations import get_org
from webapp.core.permissions import require
from webapp.core.spreadsheet import XLSX_MIME
from webapp.core.text import strict_json_loads
from webapp.extensions import db
from webapp.ledger.fields import KINDS, display
from webapp.ledger.queries import visible_units
from webapp.stats import compute, registry
from webapp.stats.checks import action_links
from webapp.stats.excel import table_workbook
from webapp.stats.periods import current_quarter, parse_period
from webapp.stats.tables import (
    ACCIDENT_LABELS,
    CATEGORIES,
    GROUP_LABELS,
    RATE_LABELS,
    TABLE6_GROUPS,
    drill_conditions,
    summary_layout,
)
from webapp.web import page_blueprint

bp = page_blueprint("stats", __name__, view="ledger.view")
DRILL_LIMIT = 500


def _selection() -> tuple[Org, Any]:
    code = request.args.get("org") or current_user.org.code
    org = get_org(code)
    require(current_user, "ledger.view", org)
    default = current_quarter(clock.today_local()).previous().code
    period = parse_period(request.args.get("period") or default)
    return org, period


@bp.route("/")
def index() -> Any:
    org, period = _selection()
    return render_template(
        "stats/index.html",
        org=org,
        period=period,
        specs=registry.TABLES.values(),
        units=visible_units(current_user.org),
    )


@bp.route("/table<int:n>")
def table(n: int) -> Any:
    if n not in registry.TABLES:
        raise NotFound()
    spec = registry.TABLES[n]
    org, period = _selection()
    if not spec.accepts(period) and not period.is_year:
        period = parse_period(str(period.year))  # a yearly form asked with a quarter: its year
    if not spec.accepts(period):
        raise InvalidInput(f"{spec.label}为季度统计表，请选择季度（如 2026Q3）。")
    data = compute.table_with_checks(n, org, period)
    kind = "annual" if period.is_year else "quarterly"
    return render_template(
        "stats/table.html",
        t=data,
        # each check's links to where what it asks is done (the report page's too)
        check_links=action_links(current_user, org, period.code, kind, data.get("checks") or []),
        n=n,
        spec=spec,
        org=org,
        period=period,
        layout=summary_layout(period.is_year),
        rate_label=RATE_LABELS[period.is_year],
        accident_label=ACCIDENT_LABELS[period.is_year],
        t6_groups=TABLE6_GROUPS,
        categories=dict(CATEGORIES),
        units=visible_units(current_user.org),
    )


@bp.route("/table<int:n>.xlsx")
def table_xlsx(n: int) -> Any:
    org, period = _selection()
    data = compute.compute_table(n, org, period)
    content = table_workbook(data)
    audit.record(
        "stats.table_export",
        actor=current_user,
        org=org,
        object_type="org",
        object_id=org.code,
        after={"table": n, "period": period.code},
    )
    return send_file(
        io.BytesIO(content),
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=f"附表{n}_{org.code}_{period.code}.xlsx",
    )


@bp.route("/drill")
def drill() -> Any:
    """The projects behind one figure of 附表5/6/7."""
    org, period = _selection()
    group = request.args.get("group") or ""
    unit_code = request.args.get("unit") or ""
    category = request.args.get("category") or None
    unit = get_org(unit_code) if unit_code else None
    if unit is not None and not unit.path.startswith(org.path):
        raise NotFound()
    if category is not None and category not in dict(CATEGORIES):
        raise NotFound()
    try:
        where = drill_conditions(org, period, group, unit, category)
    except KeyError as exc:
        raise NotFound() from exc
    kind = KINDS["projects"]
    stmt = (
        select(kind.model)
        .join(Org, kind.model.org_id == Org.id)
        .where(*where)
        .order_by(Org.path, kind.model.registration_no)
        .limit(DRILL_LIMIT + 1)
    )
    rows = list(db.session.execute(stmt).scalars())
    return render_template(
        "stats/drill.html",
        rows=rows[:DRILL_LIMIT],
        truncated=len(rows) > DRILL_LIMIT,
        org=org,
        unit=unit,
        period=period,
        kind=kind,
        display=display,
        group_label=GROUP_LABELS[period.is_year].get(group, group),
        category_label=dict(CATEGORIES).get(category or "", ""),
    )


NOT_A_SNAPSHOT = "快照内容不是有效的 JSON 快照（需包含 org、period、kind、tables）。"


@bp.route("/compare", methods=["GET", "POST"])
def compare() -> Any:
    """Paste or upload a frozen snapshot (JSON) and see how it differs from the live figures."""
    diffs = snapshot = None
    errors: dict[str, str] = {}
    if request.method == "POST":
        from flask_wtf.csrf import validate_csrf

        validate_csrf(request.form.get("csrf_token"))
        raw = request.form.get("snapshot") or ""
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            raw = upload.read(5 * 1024 * 1024).decode("utf-8", "replace")
        try:
            snapshot = strict_json_loads(raw)
            org = get_org(str(snapshot["org"]))
            require(current_user, "ledger.view", org)
            live = compute.freeze_tables(org, snapshot["period"], snapshot.get("kind", "quarterly"))
            diffs = compute.label_differences(
                compute.compare_snapshot(snapshot, live), snapshot, live
            )
        except (ValueError, KeyError, TypeError):
            errors["snapshot"] = NOT_A_SNAPSHOT
    return render_template(
        "stats/compare.html",
        diffs=diffs,
        snapshot=snapshot,
        errors=errors,
        typed=request.form.get("snapshot", "") if errors else "",
    ), (422 if errors else 200)
