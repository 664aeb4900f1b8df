"""``/api/v1/audit``: the trail for auditors and administrators, its verification, its anchor
and the units' reporting-work record."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from webapp.api import feature_api
from webapp.audit import anchor as anchors
from webapp.audit import reporting, search
from webapp.audit.schemas import (
    AnchorSchema,
    AuditPageArgsSchema,
    AuditPageSchema,
    AuditRecordSchema,
    ReportingArgsSchema,
    UnitReportingSchema,
    VerifyArgsSchema,
    VerifySchema,
)
from webapp.core.errors import InvalidInput
from webapp.core.operations import get_org
from webapp.core.permissions import require

bp = feature_api(
    "api_audit",
    __name__,
    "/api/v1/audit",
    "审计日志：查询、校验哈希链、锚点、各单位报送工作记录（审计员、系统管理员）",
)


@bp.route("")
@bp.arguments(AuditPageArgsSchema, location="query")
@bp.response(200, AuditPageSchema)
@bp.alt_response(403, description="仅审计员和系统管理员可查询")
def list_records(args: dict[str, Any]) -> Any:
    """Records matching the filters, newest first; pass ``next`` back as ``before``."""
    require(current_user, "audit.view")
    flt = search.AuditFilter.from_mapping(args)
    page = search.page(flt, before=args.get("before"), after=args.get("after"), limit=args["limit"])
    total, more = search.count(flt)
    return {"items": page.items, "total": total, "total_is_lower_bound": more, "next": page.next}


@bp.route("/<int:record_id>")
@bp.response(200, AuditRecordSchema)
@bp.alt_response(404, description="记录不存在")
def get_record(record_id: int) -> Any:
    """One record."""
    require(current_user, "audit.view")
    return search.get_record(record_id)


@bp.route("/verify")
@bp.arguments(VerifyArgsSchema, location="query")
@bp.response(200, VerifySchema)
def verify(args: dict[str, Any]) -> Any:
    """Recompute the hash chain; with ``anchor_id`` and ``anchor_hash`` also check that the
    chain still contains that anchored head (nothing after it truncated, nothing rewritten)."""
    require(current_user, "audit.view")
    anchor = None
    if args.get("anchor_id") is not None or args.get("anchor_hash"):
        if args.get("anchor_id") is None or not args.get("anchor_hash"):
            raise InvalidInput("锚点需同时给出 anchor_id 和 anchor_hash。")
        anchor = anchors.Anchor(
            id=args["anchor_id"],
            hash=args["anchor_hash"],
            created_at=None,
            records=args.get("anchor_records") or 0,
        )
    result = anchors.verify(anchor)
    return {
        "ok": result.ok,
        "records": result.chain.records,
        "first_broken": result.chain.first_broken,
        "reason": result.chain.reason,
        "anchor": result.anchor,
    }


@bp.route("/anchor")
@bp.response(200, AnchorSchema)
def anchor() -> Any:
    """The current head of the chain (id, hash, time, number of records), for safekeeping.
    Reading it here records nothing; ``flask audit anchor`` and the page download do."""
    require(current_user, "audit.view")
    return anchors.chain_head().as_dict()


@bp.route("/reporting")
@bp.arguments(ReportingArgsSchema, location="query")
@bp.response(200, UnitReportingSchema(many=True))
def reporting_record(args: dict[str, Any]) -> Any:
    """Each unit's reporting work in a year (第八条(五)): submissions on time or late, returns."""
    org = get_org(args["org"]) if args.get("org") else current_user.org
    require(current_user, "audit.reporting", org)
    return reporting.reporting_record(args["year"], org if org.depth > 0 else None)
