"""Publication API.

- ``/api/v1/public/*`` — no authentication; published (and not withdrawn) items only; anything
  else is 404.
- ``/api/v1/publications/*`` — staff: open a half year, read a unit's report with its state,
  edit the draft, request a withdrawal.  The flow's steps (submit, review, approve, approve a
  withdrawal) are the engine's task operations (``POST /api/v1/tasks/<id>/complete``).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_login import current_user

from webapp.api import Blueprint, feature_api, listed, refusals
from webapp.core.permissions import require
from webapp.drafts.api import saves_sections
from webapp.extensions import csrf
from webapp.publication import operations as ops
from webapp.publication import public
from webapp.publication.index import FORMULA
from webapp.publication.models import Publication
from webapp.publication.pages import publication_page, publication_row, viewable_publication
from webapp.publication.schemas import (
    PublicationChangedSchema,
    PublicationDetailSchema,
    PublicationListSchema,
    PublicationOpenResultSchema,
    PublicationOpenSchema,
    PublicationQuerySchema,
    PublicationSectionsSchema,
    PublicationWithdrawalSchema,
    PublicIndexQuerySchema,
    PublicIndexResultSchema,
    PublicQuerySchema,
    PublicRecordListSchema,
    PublicRecordQuerySchema,
    PublicReportDetailSchema,
    PublicReportListSchema,
)

public_bp = Blueprint(
    "api_public",
    __name__,
    url_prefix="/api/v1/public",
    description="向社会公开的信息（无需登录）：公开报告、不良/良好行为记录、质量指数",
)
csrf.exempt(public_bp)
NO_AUTH: dict[str, Any] = {"security": []}

staff_bp = feature_api(
    "api_publication",
    __name__,
    "/api/v1/publications",
    "半年度工程质量总体状况公开报告（内部办理）",
)

blueprints = [public_bp, staff_bp]


def _links(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **item,
        "url": url_for("public.report", pub_id=item["id"]),
        "docx_url": url_for("public.document", pub_id=item["id"], fmt="docx"),
        "pdf_url": url_for("public.document", pub_id=item["id"], fmt="pdf"),
    }


@public_bp.route("/reports")
@public_bp.doc(**NO_AUTH)
@public_bp.arguments(PublicQuerySchema, location="query")
@public_bp.response(200, PublicReportListSchema)
def public_reports(args: dict[str, str]) -> Any:
    """Published reports, newest half year first; by unit (``org``) and half year (``period``)."""
    items = public.published_reports(args.get("org"), args.get("period"))
    return {"items": [_links(public.summary(p)) for p in items]}


@public_bp.route("/reports/<int:pub_id>")
@public_bp.doc(**NO_AUTH)
@public_bp.response(200, PublicReportDetailSchema)
@refusals(public_bp, described={404: "不存在、未公开或已撤回"})
def public_report(pub_id: int) -> Any:
    """One published report: full text, half-year figures, quality index with its parts."""
    return _links(public.public_view(public.public_publication(pub_id)))


@public_bp.route("/records")
@public_bp.doc(**NO_AUTH)
@public_bp.arguments(PublicRecordQuerySchema, location="query")
@public_bp.response(200, PublicRecordListSchema)
def public_records(args: dict[str, Any]) -> Any:
    """Behaviour records in publicity (第八条(三)), each published by the tier that approved
    it: ``kind`` bad|good, part of a unit, project or person name, half year, ``under`` a unit
    (published by it or below it); paginated."""
    rows, total = public.search_records(
        args.get("kind"),
        args.get("enterprise"),
        args.get("period"),
        args["page"],
        args["per_page"],
        under=args.get("under"),
    )
    pages = max(1, -(-total // args["per_page"]))
    return {
        "items": [public.record_view(r) for r in rows],
        "total": total,
        "page": min(args["page"], pages),
        "per_page": args["per_page"],
    }


@public_bp.route("/index")
@public_bp.doc(**NO_AUTH)
@public_bp.arguments(PublicIndexQuerySchema, location="query")
@public_bp.response(200, PublicIndexResultSchema)
def public_index(args: dict[str, str]) -> Any:
    """The published quality index: a unit's trend (``org``) and every unit's value for a half
    year (``period``), each with its parts (indicator, score, weight) to recompute it."""
    series = public.index_series(args["org"]) if args.get("org") else []
    table = public.index_table(args["period"]) if args.get("period") else []
    return {
        "series": series,
        "table": table,
        "formula": FORMULA,
    }


# Staff --------------------------------------------------------------------------------------------
@staff_bp.route("/open", methods=["POST"])
@staff_bp.arguments(PublicationOpenSchema)
@staff_bp.response(200, PublicationOpenResultSchema)
@refusals(staff_bp, 403)
def open_period(body: dict[str, str]) -> Any:
    """Start the half year's flow for every unit (administrator; idempotent)."""
    require(current_user, "publication.open")
    return {"period": body["period"], **ops.open_period(current_user, body["period"])}


@staff_bp.route("")
@staff_bp.arguments(PublicationQuerySchema, location="query")
@staff_bp.response(200, PublicationListSchema)
def list_publications(args: dict[str, str]) -> Any:
    """Reports of one unit (``org``) or of a unit and those below it (``under``, default: mine)."""
    pubs = listed(Publication, args, "publication.view")
    return {"items": [publication_row(p) for p in pubs]}


@staff_bp.route("/<int:pub_id>")
@staff_bp.response(200, PublicationDetailSchema)
@refusals(staff_bp, 403, 404)
def get_publication(pub_id: int) -> Any:
    """A report with its state, text, problems and content (frozen once submitted)."""
    return publication_page(current_user, viewable_publication(current_user, pub_id))


@staff_bp.route("/<int:pub_id>/sections", methods=["PUT"])
@staff_bp.arguments(PublicationSectionsSchema)
@saves_sections(staff_bp, "未知部分或超过字数上限")
def put_sections(body: dict[str, Any], pub_id: int) -> Any:
    """Save the draft's text (the drafting unit's clerk, while drafting or returned), each
    section with the version it was based on (``base_versions``, from ``versions``).  A stale
    save is refused (409) with the current and the submitted text; nothing is saved then."""
    require(current_user, "publication.draft")
    pub = ops.get_publication(pub_id, current_user)
    result = ops.save_sections(current_user, pub, body["sections"], body["base_versions"])
    return {"changed": result.changed, "versions": result.versions}


@staff_bp.route("/<int:pub_id>/regenerate", methods=["POST"])
@staff_bp.response(200, PublicationChangedSchema)
@refusals(staff_bp, 409)
def regenerate(pub_id: int) -> Any:
    """Write the draft again from the accepted quarterly figures (replaces the text)."""
    require(current_user, "publication.draft")
    pub = ops.get_publication(pub_id, current_user)
    return {"changed": ops.regenerate(current_user, pub)}


@staff_bp.route("/<int:pub_id>/withdrawal", methods=["POST"])
@staff_bp.arguments(PublicationWithdrawalSchema)
@staff_bp.response(200, PublicationDetailSchema)
@refusals(staff_bp, described={409: "公开未满一个月或未公开"})
def request_withdrawal(body: dict[str, str], pub_id: int) -> Any:
    """Ask the principal leader to withdraw a published report (only after one month online)."""
    require(current_user, "publication.withdraw_request")
    pub = ops.get_publication(pub_id, current_user)
    ops.request_withdrawal(current_user, pub, body["reason"])
    return publication_page(current_user, pub)
