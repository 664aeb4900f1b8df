"""Login throttling: per account, with a much higher bound per client address, one count for
the login form and the API.

Two Flask-Limiter limits count failed attempts only (``deduct_when``), so a user who logs in
correctly is never slowed down:

- per account (the username as typed, lower-cased, whether it exists or not — so the answer
  tells nothing about existence): after ``LOGIN_MAX_FAILURES`` failures in
  ``LOGIN_WINDOW_MINUTES`` that account is refused from every address, the right password
  included, until the window passes.  This is what stops guessing one password.
- per client address: ``LOGIN_MAX_FAILURES_PER_ADDRESS`` failures in the same window (default
  100).  It bounds one guesser spraying many accounts, and is far above what one office makes:
  a county office or a whole province behind one proxy shares an address, and one clerk's
  typing must not lock the others out (it did when the address limit was the account's 5).

Both are *shared* limits (``shared_limit`` with a fixed scope), so ``POST /login`` and
``POST /api/v1/auth/tokens`` draw on the same counts: a guesser gets 5 tries in all, not 5 on
each door.  Redis storage when ``HQR_REDIS_URL`` is set (the counts then hold across server
processes and restarts).  A refused attempt is audited (``auth.login_throttled``, the username,
address and which limit, never the password) and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from flask_limiter import RequestLimit
from flask_limiter.util import get_remote_address

from webapp.core import audit
from webapp.extensions import limiter
from webapp.web import keep_transaction

log = logging.getLogger(__name__)

#: Limiter scopes: shared by every login route, so their counts are one.
ACCOUNT_SCOPE = "login-account"
ADDRESS_SCOPE = "login-address"


def _account_limit() -> str:
    cfg = current_app.config
    return f"{cfg['LOGIN_MAX_FAILURES']} per {cfg['LOGIN_WINDOW_MINUTES']} minutes"


def _address_limit() -> str:
    cfg = current_app.config
    return f"{cfg['LOGIN_MAX_FAILURES_PER_ADDRESS']} per {cfg['LOGIN_WINDOW_MINUTES']} minutes"


def _username() -> str:
    name = request.form.get("username")
    if name is None and request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return str(name or "").strip().lower()


def _account_key() -> str:
    return "account:" + _username()


def _on_breach(which: str) -> Callable[[RequestLimit], None]:
    def breached(limit: RequestLimit) -> None:
        """Audit and log a throttled attempt once (both limits may be breached at once)."""
        if g.get("login_throttled"):
            return
        g.login_throttled = True
        minutes = current_app.config["LOGIN_WINDOW_MINUTES"]
        amount = limit.limit.amount
        if which == "account":
            g.refusal_message = (
                f"登录失败过于频繁：该账号 {minutes} 分钟内已失败 {amount} 次，暂时锁定，"
                f"请 {minutes} 分钟后再试，或联系系统管理员重置密码。"
            )
            note = f"账号 {minutes} 分钟内登录失败 {amount} 次，已暂时锁定"
        else:
            g.refusal_message = (
                f"登录失败过于频繁：来自您所在网络地址的登录 {minutes} 分钟内已失败 {amount} 次，"
                f"暂时限制，请稍后再试。"
            )
            note = f"该地址 {minutes} 分钟内登录失败 {amount} 次，已暂时限制"
        username = _username()
        audit.record(
            "auth.login_throttled",
            actor_name=username[:64] or "anonymous",
            object_type="route",
            object_id=request.endpoint,
            message=note,
            after={"limit": which},
        )
        keep_transaction()
        log.warning(
            "login throttled (%s limit) for user %r from %s", which, username, request.remote_addr
        )

    return breached


def _failed(_response: Any) -> bool:
    return bool(g.get("login_failed"))


def throttled(view: Any) -> Any:
    """Decorate a login view (the form, the token endpoint): the two shared failure limits."""
    limits = (
        (_account_limit, ACCOUNT_SCOPE, _account_key, "account"),
        (_address_limit, ADDRESS_SCOPE, get_remote_address, "address"),
    )
    for limit, scope, key, which in limits:
        view = limiter.shared_limit(
            limit,
            scope,
            key_func=key,
            deduct_when=_failed,
            methods=["POST"],
            on_breach=_on_breach(which),
        )(view)
    return view
