"""The public portal (/public/): no login, published items only, in Chinese.

Anything not published — drafts, reports under review, withdrawn reports, ledgers — answers
404 here, exactly like an id that does not exist.  Reads are not audited (public information,
and an anonymous visitor must not be able to grow the audit trail); the published file and its
PDF come from the document archive, where the PDF is rendered once (one ``archive.render_pdf``
record per file, whoever asks first).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.archive import operations as archive
from webapp.archive.views import file_response
from webapp.core.errors import DomainError, NotFound, PermissionDenied
from webapp.core.models import Role
from webapp.extensions import limiter
from webapp.publication import public, publicity
from webapp.publication.models import RecordKind
from webapp.publication.periods import parse_half_year
from webapp.web import link_args, refused_on

bp = Blueprint("public", __name__, url_prefix="/public", template_folder="templates")


def _args_period() -> str | None:
    period = (request.args.get("period") or "").strip()
    if not period:
        return None
    try:
        return parse_half_year(period).code
    except DomainError:
        return None


@bp.route("/")
def home() -> Any:
    org_code = (request.args.get("org") or "").strip()[:12] or None
    period = _args_period()
    reports = [public.summary(p) for p in public.published_reports(org_code, period)]
    return render_template(
        "publication/public/home.html",
        reports=reports,
        units=public.published_units(),
        periods=public.published_periods(),
        org_code=org_code,
        period=period,
    )


@bp.route("/reports/<int:pub_id>")
def report(pub_id: int) -> Any:
    pub = public.public_publication(pub_id)
    return render_template("publication/public/report.html", r=public.public_view(pub))


@bp.route("/reports/<int:pub_id>/document.<fmt>")
@limiter.limit("30 per minute")
def document(pub_id: int, fmt: str) -> Any:
    """The published file from the document archive; its PDF rendered once, then kept."""
    if fmt not in ("docx", "pdf"):
        raise NotFound()
    pub = public.public_publication(pub_id)
    doc = archive.latest("publication", pub.id)
    if doc is None:
        raise NotFound("文件不存在。")
    if fmt == "pdf":
        doc = archive.pdf_of(doc)
    return file_response(doc, ascii_name=f"report.{fmt}")


@bp.route("/records")
def records() -> Any:
    """The records in publicity for the query string's search (a refused objection's form shows
    again open and filled: ``refused_on``)."""
    kind = request.args.get("kind") or None
    if kind not in (None, *[k.value for k in RecordKind]):
        kind = None
    enterprise = (request.args.get("enterprise") or "").strip()[:100] or None
    period = _args_period()
    under = (request.args.get("under") or "").strip()[:12] or None
    try:
        page = int(request.args.get("page") or 1)
    except ValueError:
        page = 1
    rows, total = public.search_records(kind, enterprise, period, page, 20, under=under)
    pages = max(1, -(-total // 20))
    return render_template(
        "publication/public/records.html",
        rows=[public.record_view(r) for r in rows],
        total=total,
        page=max(1, min(page, pages)),
        pages=pages,
        kind=kind,
        enterprise=enterprise or "",
        period=period,
        under=under,
        under_name=next((u.name for u in public.published_units() if u.code == under), under),
        periods=public.published_periods(),
        kinds=list(RecordKind),
        objector_kinds=publicity.OBJECTOR_KINDS,
        min_objection=publicity.MIN_OBJECTION,
        search_args=link_args("record_id"),
    )


#: What an objection's form sends (each kept and shown again when the objection is refused).
OBJECTION_FIELDS = ("objector", "objector_kind", "reason", "contact")


@bp.route("/records/<int:record_id>/objection", methods=["POST"])
# Only objections filed count: a visitor who mistypes five times is not shut out for an hour.
@limiter.limit("5 per hour", deduct_when=lambda response: response.status_code < 400)
@refused_on("public.records")
def objection(record_id: int) -> Any:
    """异议: a named unit or person objects to a record in publicity (no login, rate-limited);
    the tier that approved the record answers it.  An auditor signed in only reads.  A refusal
    answers the same page (the query string is the search's) with the form open and filled."""
    if current_user.is_authenticated and Role.AUDITOR in current_user.roles:
        raise PermissionDenied(details={"action": "public.objection"})
    typed = {name: request.form.get(name, "") for name in OBJECTION_FIELDS}
    publicity.raise_objection(record_id, **typed)  # validated before anything is written
    flash("异议已提交，将由批准该记录的主管部门核实答复。", "success")
    return redirect(url_for("public.records", **link_args()))


@bp.route("/index")
def quality_index() -> Any:
    units = public.published_units()
    org_code = (request.args.get("org") or "").strip()[:12] or (units[0].code if units else None)
    series = public.index_series(org_code) if org_code else []
    periods = public.published_periods()
    period = _args_period() or (periods[0] if periods else None)
    return render_template(
        "publication/public/index.html",
        units=units,
        org_code=org_code,
        org_name=next((u.name for u in units if u.code == org_code), ""),
        series=series,
        period=period,
        periods=periods,
        table=public.index_table(period) if period else [],
        weights=public.current_weights(),
        example=public.example(series),
    )
