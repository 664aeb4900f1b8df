"""Login throttling with Flask-Limiter: failures count per client address and per username.

Only failed attempts are deducted (``deduct_when``), so a user who logs in correctly is never
slowed down; after ``LOGIN_MAX_FAILURES`` failures in ``LOGIN_WINDOW_MINUTES`` the address or
the username gets 429 until the window passes.  Redis storage when ``HQR_REDIS_URL`` is set
(the counts then hold across server processes and restarts).  A refused attempt is audited
(``auth.login_throttled``, the username and address, never the password) and logged.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, g, request
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address

from webapp.core import audit
from webapp.extensions import limiter
from webapp.web import keep_transaction

log = logging.getLogger(__name__)


def _limit() -> str:
    cfg = current_app.config
    return f"{cfg['LOGIN_MAX_FAILURES']} per {cfg['LOGIN_WINDOW_MINUTES']} minutes"


def _username() -> str:
    name = request.form.get("username")
    if name is None and request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return str(name or "").strip().lower()


def _username_key() -> str:
    return "login-user:" + _username()


def _breached(limit: RequestLimit) -> None:
    """Audit and log a throttled attempt once (both limits may be breached at once)."""
    if g.get("login_throttled"):
        return
    g.login_throttled = True
    username = _username()
    audit.record(
        "auth.login_throttled",
        actor_name=username[:64] or "anonymous",
        object_type="route",
        object_id=request.endpoint,
        message=f"登录失败次数过多，已限制（{limit.limit}）",
    )
    keep_transaction()
    log.warning("login throttled for user %r from %s", username, request.remote_addr)


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
        on_breach=_breached,
    )(view)
    view = limiter.limit(
        _limit,
        key_func=_username_key,
        deduct_when=_failed,
        methods=["POST"],
        scope="login-user",
        on_breach=_breached,
    )(view)
    return view
