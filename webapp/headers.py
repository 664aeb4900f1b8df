"""Security headers on every response: a Content-Security-Policy without inline scripts, no
framing, no MIME sniffing, no referrer to other sites, and nothing cached of what a logged-in
user (or an API client) was sent.

The policy allows scripts only from our own origin: pages keep their code in static files and
pass data in ``<script type="application/json">`` blocks (never executed).  Styles may be
inline (``style=`` attributes, bpmn-js and ECharts set styles), which cannot run code.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _private() -> bool:
    """Responses no cache may keep: the API's, and every page of a logged-in user."""
    if request.endpoint and (request.endpoint == "static" or request.endpoint.endswith(".static")):
        return False
    return request.path.startswith("/api/") or bool(current_user and current_user.is_authenticated)


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Any) -> Any:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if _private():
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
            headers.pop("ETag", None)
        return response
