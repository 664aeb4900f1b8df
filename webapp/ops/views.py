"""``GET /healthz``: for load balancers and monitors, without login; status only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from webapp.extensions import csrf
from webapp.ops import health

bp = Blueprint("ops", __name__)


@bp.route("/healthz", methods=["GET", "HEAD"])
@csrf.exempt
def healthz() -> Any:
    """200 ``{"status": "ok", "checks": {...}}`` or 503 ``{"status": "unhealthy", ...}``."""
    result = health.check()
    body = {"status": "ok" if result.ok else "unhealthy", "checks": result.checks}
    response = jsonify(body)
    response.status_code = 200 if result.ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
