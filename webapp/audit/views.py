"""审计 pages: search, detail with diff, object timeline, exports, chain verification, anchors,
and the units' reporting-work record (第八条(五)).  Read-only for everyone, auditors included;
only exports and anchor downloads write a record (data leaving the system)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import (
    Response,
    current_app,
    render_template,
    request,
)
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from webapp.audit import anchor as anchors
from webapp.audit import diff, export, naming, operations, reporting, search
from webapp.audit.record_parts import record_parts
from webapp.audit.schemas import FILTER_LABELS, AuditPageArgsSchema, ReportingArgsSchema
from webapp.audit.vocabulary import (
    OBJECT_TYPE_LABELS,
    VALUE_LABELS,
    action_filter_label,
    action_groups,
    action_label,
    actor_label,
    object_type_label,
)
from webapp.core import clock
from webapp.core.audit import compute_hash
from webapp.core.errors import DomainError, InvalidInput
from webapp.core.models import AuditRecord, Org
from webapp.core.operations import get_org
from webapp.core.permissions import can, require
from webapp.extensions import db, write_intent
from webapp.web import attachment, page_blueprint, year_arg

bp = page_blueprint("audit", __name__)


@bp.app_template_filter("action_label")
def _action_label(code: str | None) -> str:
    return action_label(code)


@bp.app_template_filter("actor_label")
def _actor_label(name: str | None) -> str:
    return actor_label(name)


@bp.app_template_filter("object_type_label")
def _object_type_label(code: str | None) -> str:
    return object_type_label(code)


def _org_names() -> dict[str, str]:
    return dict(db.session.execute(select(Org.code, Org.name)).tuples().all())


def _orgs() -> list[Org]:
    return list(db.session.execute(select(Org).order_by(Org.path)).scalars())


def _parse_filter() -> tuple[search.AuditFilter, dict[str, Any], dict[str, list[str]]]:
    """The filter from the query string; invalid fields are reported and left out."""
    schema = AuditPageArgsSchema()
    try:
        data = schema.load(request.args, unknown="exclude")
        errors: dict[str, list[str]] = {}
    except ValidationError as err:
        errors = {
            FILTER_LABELS.get(k, k): list(v) if isinstance(v, list) else [str(v)]
            for k, v in _flat(err)
        }
        bad = {k for k, _ in _flat(err)}
        kept = {k: v for k, v in request.args.items() if k not in bad}
        data = schema.load(kept, partial=True, unknown="exclude")
    return search.AuditFilter.from_mapping(data), data, errors


def _flat(err: ValidationError) -> list[tuple[str, Any]]:
    messages = err.messages if isinstance(err.messages, dict) else {"_": err.messages}
    return list(messages.items())


def _begin_audited_read() -> None:
    """This GET writes an audit record: restart the transaction as a writer, as the edge does
    for unsafe methods (on SQLite: BEGIN IMMEDIATE instead of failing to upgrade later)."""
    db.session.rollback()
    write_intent.set(True)


@bp.route("/")
def records() -> Any:
    require(current_user, "audit.view")
    flt, data, errors = _parse_filter()
    result = search.page(flt, before=data.get("before"), after=data.get("after"), limit=50)
    total, more = search.count(flt)
    return render_template(
        "audit/records.html",
        flt=flt,
        args=flt.as_args(),
        errors=errors,
        page=result,
        total=total,
        more=more,
        org_names=_org_names(),
        object_names=naming.object_names(result.items),
        orgs=_orgs(),
        action_groups=action_groups(),
        action_shown=action_filter_label(flt.action),
        object_types=sorted(OBJECT_TYPE_LABELS.items(), key=lambda item: item[1]),
    )


@bp.route("/<int:record_id>")
def detail(record_id: int) -> Any:
    require(current_user, "audit.view")
    rec = search.get_record(record_id)
    prev = db.session.execute(
        select(AuditRecord.id, AuditRecord.hash)
        .where(AuditRecord.id < rec.id)
        .order_by(AuditRecord.id.desc())
        .limit(1)
    ).first()
    nxt = db.session.execute(
        select(AuditRecord.id).where(AuditRecord.id > rec.id).order_by(AuditRecord.id).limit(1)
    ).scalar_one_or_none()
    own_ok = compute_hash(rec.prev_hash, rec) == rec.hash
    link_ok = rec.prev_hash == (prev.hash if prev else anchors.GENESIS)
    return render_template(
        "audit/detail.html",
        rec=rec,
        rows=diff.diff(rec.before, rec.after, rec.object_type),
        parts=record_parts(rec),
        org_names=_org_names(),
        object_names=naming.object_names([rec]),
        prev_id=prev.id if prev else None,
        next_id=nxt,
        own_ok=own_ok,
        link_ok=link_ok,
        subject=search.subject_of(rec),
    )


@bp.route("/timeline")
def timeline() -> Any:
    require(current_user, "audit.view")
    object_type = (request.args.get("object_type") or "").strip()
    object_id = (request.args.get("object_id") or "").strip()
    if not object_type or not object_id:
        raise InvalidInput("请指定对象类型和对象编号。")
    rows, cut = search.timeline(object_type, object_id)
    return render_template(
        "audit/timeline.html",
        object_type=object_type,
        object_id=object_id,
        rows=rows,
        cut=cut,
        limit=search.TIMELINE_MAX,
        org_names=_org_names(),
        object_names=naming.object_names(
            [*rows, SimpleNamespace(object_type=object_type, object_id=object_id)]
        ),
    )


@bp.route("/export.<fmt>")
def export_records(fmt: str) -> Any:
    require(current_user, "audit.view")
    flt, _data, errors = _parse_filter()
    if errors:
        raise InvalidInput("筛选条件有误，无法导出。", details=errors)
    _begin_audited_read()
    plan = operations.plan_export(current_user._get_current_object(), flt, fmt)
    stamp = clock.to_local(clock.now()).strftime("%Y%m%d-%H%M%S")  # type: ignore[union-attr]
    filename = f"audit-{stamp}.{fmt}"
    headers = {"Content-Disposition": attachment(filename)}
    if fmt == "xlsx":
        body = export.xlsx_bytes(search.iter_records(plan.filter, upto=plan.upto), plan.summary())
        return Response(
            body,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers=headers,
        )

    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def generate() -> Any:
        # Runs after the edge has committed the export's audit record, outside the request:
        # each batch in its own application context (so its own session and short read
        # transaction), and no context is held across a yield.
        yield export.csv_header()
        last = 0
        while True:
            with app.app_context():
                write_intent.set(False)
                rows = search.batch(plan.filter, after_id=last, upto=plan.upto, limit=1_000)
                chunk = export.csv_rows(rows)
            if not rows:
                # The summary row: a file cut short loses it (the verifier says so).
                yield export.csv_rows_text([plan.summary()])
                return
            last = rows[-1].id
            yield chunk

    return Response(generate(), mimetype="text/csv; charset=utf-8", headers=headers)


@bp.route("/verify")
def verify() -> Any:
    require(current_user, "audit.view")
    text = request.args.get("anchor", "")
    result = anchor = error = None
    if request.args.get("run"):
        try:
            anchor = anchors.parse_anchor(text) if text.strip() else None
        except DomainError as err:
            error = err.message
        else:
            result = anchors.verify(anchor)
    return render_template(
        "audit/verify.html", result=result, anchor=anchor, anchor_text=text, error=error
    )


@bp.route("/anchor")
def anchor_page() -> Any:
    require(current_user, "audit.view")
    return render_template("audit/anchor.html", head=anchors.chain_head())


@bp.route("/anchor.<fmt>")
def anchor_download(fmt: str) -> Any:
    require(current_user, "audit.view")
    if fmt not in ("json", "txt"):
        raise InvalidInput("锚点格式只能是 JSON 或文本。")
    _begin_audited_read()
    head = operations.take_anchor(current_user._get_current_object())
    stamp = clock.to_local(head.taken_at).strftime("%Y%m%d-%H%M%S")  # type: ignore[union-attr]
    body = head.to_json() if fmt == "json" else head.to_text()
    mimetype = "application/json" if fmt == "json" else "text/plain; charset=utf-8"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": attachment(f"audit-anchor-{stamp}.{fmt}")},
    )


#: The auditor's verifier of exports (standard library only; docs/audit.md, 校验导出文件).
VERIFY_SCRIPT = Path(__file__).resolve().parent.parent / "data" / "verify_audit_export.py"


@bp.route("/verify_audit_export.py")
def verify_script() -> Any:
    """The verification script, for auditors to check an export away from the system."""
    require(current_user, "audit.view")
    return Response(
        VERIFY_SCRIPT.read_bytes(),
        mimetype="text/x-python; charset=utf-8",
        headers={"Content-Disposition": attachment("verify_audit_export.py")},
    )


def _reporting_args() -> tuple[int, Org]:
    args = dict(request.args)
    args.setdefault("year", str(clock.today_local().year))
    try:
        data = ReportingArgsSchema().load(args, unknown="exclude")
    except ValidationError as err:
        raise InvalidInput("年度或单位有误。", details=err.messages) from err
    org = get_org(data["org"]) if data.get("org") else current_user.org
    require(current_user, "audit.reporting", org)
    return data["year"], org


@bp.route("/reporting")
def reporting_record() -> Any:
    year, org = _reporting_args()
    rows = reporting.reporting_record(year, org if org.depth > 0 else None)
    direct = request.args.get("direct") == "1"
    if direct:  # the units the province assesses (附件3): cities and directly administered counties
        rows = [r for r in rows if r.depth == 1]
    this_year = clock.today_local().year
    return render_template(
        "audit/reporting.html",
        year=year,
        org=org,
        rows=rows,
        years=list(range(this_year, this_year - 6, -1)),
        direct=direct,
        can_view_audit=can(current_user, "audit.view"),
    )


@bp.route("/reporting/<code>")
def reporting_unit(code: str) -> Any:
    year = year_arg()
    org = get_org(code)
    require(current_user, "audit.reporting", org)
    return render_template(
        "audit/reporting_unit.html",
        year=year,
        org=org,
        rows=reporting.reporting_details(year, org),
        kind_labels=VALUE_LABELS["kind"],
        can_view_audit=can(current_user, "audit.view"),
    )
