"""Login throttling with Flask-Limiter: failures count per client address and per username.

Only failed attempts are deducted (``deduct_when``), so a user who logs in correctly is never
slowed down; after ``LOGIN_MAX_FAILURES`` failures in ``LOGIN_WINDOW_MINUTES`` the address or
the username gets 429 until the window passes.  Redis storage when ``HQR_REDIS_URL`` is set.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from webapp.extensions import limiter


def _limit() -> str:
    cfg = current_app.config
    return f"{cfg['LOGIN_MAX_FAILURES']} per {cfg['LOGIN_WINDOW_MINUTES']} minutes"


def _username_key() -> str:
    name = request.form.get("username")
    if name is None and request.is_json:
        name = (request.get_json(silent=True) or {}).get("username")
    return "login-user:" + str(name or "").strip().lower()


def _failed(_response: Any) -> bool:
    return bool(g.get("login_failed"))


def throttled(view: Any) -> Any:
    """Decorate a login view: two limits, per address and per username, counting failures."""
    view = limiter.limit(
        _limit,
        key_func=get_remote_address,
        deduct_when=_failed,
        methods=["POST"],
        scope="login-addr",
    )(view)
    view = limiter.limit(
        _limit, key_func=_username_key, deduct_when=_failed, methods=["POST"], scope="login-user"
    )(view)
    return view
