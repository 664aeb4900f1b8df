"""Expectations for the foundation's routes: login, logout, own password, user admin, tokens."""

from __future__ import annotations

from typing import Any

from tests.audit.routes import Case, Env, Route
from tests.conftest import TEST_PASSWORD
from webapp.extensions import db


def _clerk(env: Env) -> None:
    env.make_user("clerk", "410102")


def _login(password: str) -> Any:
    return lambda env: env.post_form("/login", {"username": "clerk_410102", "password": password})


def _disabled_clerk(env: Env) -> None:
    from webapp.core.operations import set_enabled

    clerk = env.make_user("clerk", "410102")
    admin = env.make_user("admin", "410000")
    set_enabled(admin, clerk, False)
    db.session.commit()


def _throttled(env: Env) -> None:
    _clerk(env)
    limit = env.app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        env.post_form("/login", {"username": "clerk_410102", "password": "wrong"})


def _admin_with_target(env: Env) -> None:
    env.logged_in("admin", "410000")
    env.data["target"] = env.make_user("clerk", "410102").id


def _admin_page(env: Env) -> str:
    return f"/admin/users/{env.data['target']}"


def _change_password(old: str) -> Any:
    return lambda env: env.post_form(
        "/account/password",
        {"old_password": old, "new_password": "Changed#2026", "confirm": "Changed#2026"},
    )


def _token(password: str) -> Any:
    return lambda env: env.client.post(
        "/api/v1/auth/tokens", json={"username": "clerk_410102", "password": password}
    )


def _user_form(**extra: Any) -> dict[str, Any]:
    return {"full_name": "张三", "org_code": "410102", "roles": ["clerk"], **extra}


_OWN = "their own session: anyone, auditors included, logs in, out and changes their password"

EXPECTATIONS: dict[str, Route] = {
    "POST auth.login": Route(
        cases=(
            Case(
                "success",
                setup=_clerk,
                exercise=_login(TEST_PASSWORD),
                writes=("auth.login",),
                status=302,
            ),
            Case(
                "wrong password",
                setup=_clerk,
                exercise=_login("wrong"),
                writes=("auth.login_failed",),
                status=401,
            ),
            Case(
                "disabled account",
                setup=_disabled_clerk,
                exercise=_login(TEST_PASSWORD),
                writes=("auth.login_failed",),
                status=401,
            ),
            Case(
                "throttled",
                setup=_throttled,
                exercise=_login(TEST_PASSWORD),
                no_audit="refused by the rate limiter before any check: nothing happens",
                status=429,
            ),
            Case(
                "empty form",
                exercise=lambda env: env.post_form("/login", {"username": "", "password": ""}),
                no_audit="it only fails validation, before any user is looked up",
                status=400,
            ),
        ),
        auditor_may=_OWN,
    ),
    "POST auth.logout": Route(
        cases=(
            Case(
                "logout",
                setup=lambda env: env.logged_in("clerk", "410102"),
                exercise=lambda env: env.post_form("/logout", {}, token_from="/"),
                writes=("auth.logout",),
                status=302,
            ),
        ),
        auditor_may=_OWN,
    ),
    "POST auth.change_password": Route(
        cases=(
            Case(
                "success",
                setup=lambda env: env.logged_in("clerk", "410102"),
                exercise=_change_password(TEST_PASSWORD),
                writes=("auth.change_password",),
                status=302,
            ),
            Case(
                "wrong old password",
                setup=lambda env: env.logged_in("clerk", "410102"),
                exercise=_change_password("wrong"),
                no_audit="it only fails: the password is unchanged",
                status=422,
            ),
        ),
        auditor_may=_OWN,
    ),
    "POST admin.user_new": Route(
        cases=(
            Case(
                "create",
                setup=lambda env: env.logged_in("admin", "410000"),
                exercise=lambda env: env.post_form(
                    "/admin/users/new", _user_form(username="zhang_san", password="Zhang#2026")
                ),
                writes=("user.create",),
                status=302,
            ),
            Case(
                "refused for a clerk",
                setup=lambda env: env.logged_in("clerk", "410102"),
                exercise=lambda env: env.post_form(
                    "/admin/users/new",
                    _user_form(username="zhang_san", password="Zhang#2026"),
                    token_from="/",
                ),
                writes=("permission.denied",),
                status=403,
            ),
        ),
    ),
    "POST admin.user_edit": Route(
        cases=(
            Case(
                "edit",
                setup=_admin_with_target,
                exercise=lambda env: env.post_form(
                    _admin_page(env),
                    _user_form(username="clerk_410102", roles=["clerk", "reviewer"]),
                ),
                writes=("user.update",),
                status=302,
            ),
        ),
    ),
    "POST admin.user_set_enabled": Route(
        cases=(
            Case(
                "disable",
                setup=_admin_with_target,
                exercise=lambda env: env.post_form(
                    _admin_page(env) + "/enabled", {"enabled": "0"}, token_from=_admin_page(env)
                ),
                writes=("user.disable",),
                status=302,
            ),
            Case(
                "enable again",
                setup=lambda env: (
                    _admin_with_target(env),
                    env.post_form(
                        _admin_page(env) + "/enabled",
                        {"enabled": "0"},
                        token_from=_admin_page(env),
                    ),
                ),
                exercise=lambda env: env.post_form(
                    _admin_page(env) + "/enabled", {"enabled": "1"}, token_from=_admin_page(env)
                ),
                writes=("user.enable",),
                status=302,
            ),
        ),
    ),
    "POST admin.user_reset_password": Route(
        cases=(
            Case(
                "reset",
                setup=_admin_with_target,
                exercise=lambda env: env.post_form(
                    _admin_page(env) + "/password",
                    {"new_password": "Reset#20261"},
                    token_from=_admin_page(env),
                ),
                writes=("user.reset_password",),
                status=302,
            ),
            Case(
                "too short",
                setup=_admin_with_target,
                exercise=lambda env: env.post_form(
                    _admin_page(env) + "/password",
                    {"new_password": "x"},
                    token_from=_admin_page(env),
                ),
                no_audit="it only fails validation: the password is unchanged",
                status=302,
            ),
        ),
    ),
    "POST api_auth.issue_token": Route(
        cases=(
            Case(
                "issue",
                setup=_clerk,
                exercise=_token(TEST_PASSWORD),
                writes=("auth.login", "auth.token_issued"),
                status=201,
            ),
            Case(
                "wrong password",
                setup=_clerk,
                exercise=_token("wrong"),
                writes=("auth.login_failed",),
                status=401,
            ),
        ),
        auditor_may=_OWN,
    ),
}
