"""JSON API of the statistics: /api/v1/stats/table<n>?org=&period=, checks, snapshot compare."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from marshmallow import INCLUDE, Schema, fields

from webapp.api import feature_api
from webapp.core.errors import InvalidInput
from webapp.core.permissions import require
from webapp.core.schemas import PERIOD_KEY_MAX, bounded_text, org_code_arg
from webapp.ledger.operations import resolve_org
from webapp.stats import compute

#: The statistics are the ledgers' figures: readers of the ledgers only (as the pages).
bp = feature_api(
    "api_stats",
    __name__,
    "/api/v1/stats",
    "统计：附表1–7、校验、快照比对",
    gate="ledger.view",
    writes_only=False,
)
BAD_SHAPE = "附表数据格式不正确：应与 GET /api/v1/stats/table<n> 返回的结构一致。"
#: What reading figures of the wrong shape raises (a number where a row was expected…).
_BAD_SHAPE_ERRORS = (TypeError, AttributeError, ValueError, KeyError, ArithmeticError)


def _answer(description: str, schema: type[Schema]) -> dict[str, Any]:
    """The 200 answer in the API document of a view that returns its JSON as it is."""
    content = {"application/json": {"schema": schema}}
    return {"responses": {"200": {"description": description, "content": content}}}


class TableArgs(Schema):
    org = org_code_arg(load_default=None, metadata={"description": "单位代码（默认本单位）"})
    period = bounded_text(PERIOD_KEY_MAX, required=True, metadata={"description": "2026Q3 或 2026"})


class _Open(Schema):
    """Keeps the keys it does not declare: tables travel whole."""

    class Meta:
        unknown = INCLUDE


class FiguresBody(_Open):
    """A table in the JSON shape of GET table<n>, with optional ``previous`` and ``related``."""

    table = fields.Dict(required=True)
    previous = fields.Dict(load_default=None)
    related = fields.Dict(load_default=None)


class SnapshotBody(_Open):
    snapshot = fields.Dict(required=True)


class TableSchema(_Open):
    """附表1–7 in the JSON shape of docs/stats.md (rows, total, checks...)."""

    table = fields.Integer(required=True)
    org = fields.String(required=True)
    period = fields.String(required=True)
    rows = fields.List(fields.Dict(), required=True)
    total = fields.Dict()
    checks = fields.List(fields.Dict())


class ChecksSchema(Schema):
    checks = fields.List(fields.Dict(), required=True)


class DifferencesSchema(Schema):
    differences = fields.List(fields.Dict(), required=True)


@bp.route("/table<int:n>")
@bp.arguments(TableArgs, location="query")
@bp.doc(**_answer("附表", TableSchema))
def table(args: dict[str, Any], n: int) -> Any:
    """附表n (1–7) for the org's subtree and period, with its checks."""
    if not 1 <= n <= 7:
        raise InvalidInput("附表编号应为1–7。")
    org = resolve_org(current_user, args.get("org"))
    require(current_user, "ledger.view", org)
    return compute.table_with_checks(n, org, args["period"])


@bp.route("/checks", methods=["POST"])
@bp.arguments(FiguresBody)
@bp.doc(**_answer("校验结果", ChecksSchema))
def checks(body: dict[str, Any]) -> Any:
    """Check figures that came from elsewhere (a submission, an imported aggregate)."""
    try:
        found = compute.run_checks(
            body["table"],
            previous=body.get("previous"),
            related=body.get("related"),
        )
    except _BAD_SHAPE_ERRORS as exc:
        raise InvalidInput(BAD_SHAPE) from exc
    return {"checks": found}


@bp.route("/compare", methods=["POST"])
@bp.arguments(SnapshotBody)
@bp.doc(**_answer("差异", DifferencesSchema))
def compare(body: dict[str, Any]) -> Any:
    """Differences between a frozen snapshot and the live figures."""
    snapshot = body["snapshot"]
    org = resolve_org(current_user, snapshot.get("org"))
    require(current_user, "ledger.view", org)
    try:
        return {"differences": compute.compare_snapshot(snapshot)}
    except _BAD_SHAPE_ERRORS as exc:
        raise InvalidInput(BAD_SHAPE) from exc
