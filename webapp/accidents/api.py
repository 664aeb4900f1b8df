"""Accidents API: record (首报), follow up (续报), list a subtree's accidents with their chain.

The chain's steps (acknowledge and forward, the Ministry record) are engine tasks completed
through ``POST /api/v1/tasks/<id>/complete``.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from webapp.accidents import operations as ops
from webapp.accidents import queries
from webapp.accidents.pages import accident_page, accident_row, accident_rows
from webapp.accidents.schemas import (
    AccidentInputSchema,
    AccidentListSchema,
    AccidentQuerySchema,
    AccidentSchema,
    FollowupInputSchema,
    ReportCreatedSchema,
)
from webapp.api import feature_api, refusals
from webapp.core.operations import get_org

bp = feature_api(
    "api_accidents",
    __name__,
    "/api/v1/accidents",
    "工程质量事故逐级上报",
    gate="accident.write",
)


@bp.route("", methods=["POST"])
@bp.arguments(AccidentInputSchema)
@bp.response(201, AccidentSchema)
@refusals(bp, 403, 422)
def create(body: dict[str, Any]) -> Any:
    """首报: a unit's clerk records an accident; from the 一般 floor up it goes up the chain."""
    org = get_org(body["org"]) if body.get("org") else current_user.org
    return accident_row(ops.record_accident(current_user, org, body))


@bp.route("")
@bp.arguments(AccidentQuerySchema, location="query")
@bp.response(200, AccidentListSchema)
def list_accidents(args: dict[str, Any]) -> Any:
    """Accidents of a unit and every unit below it (``under``, default the user's unit);
    ``open=1``: not yet concluded, and not a mere 质量问题."""
    org = get_org(args["under"]) if args.get("under") else current_user.org
    return {"items": accident_rows(current_user, org, open_only=bool(args.get("open")))}


@bp.route("/<int:accident_id>")
@bp.response(200, AccidentSchema)
@refusals(bp, 403, 404)
def get_accident(accident_id: int) -> Any:
    return accident_page(current_user, queries.get_accident(current_user, accident_id))


@bp.route("/<int:accident_id>/followups", methods=["POST"])
@bp.arguments(FollowupInputSchema)
@bp.response(201, ReportCreatedSchema)
@refusals(bp, 403, 409, 422)
def followup(body: dict[str, Any], accident_id: int) -> Any:
    """续报/补报: new facts or changed casualties; goes up the same way, kept as a version."""
    accident = queries.get_accident(current_user, accident_id)
    report = ops.add_followup(current_user, accident, body)
    return {
        "id": accident.id,
        "version": report.version,
        "level": accident.level,
        "state": accident.state,
    }
