"""Remember-me cookies die with the session version: logout, password change, disable.

Flask-Login restores a user from the remember-me cookie on its own; the cookie carries the id
``user:session_version`` (``User.get_id``), so bumping the version on logout, password change
or disable makes every such cookie useless, like the session cookies and API tokens.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.conftest import TEST_PASSWORD, csrf_token
from webapp.core.models import User
from webapp.extensions import db


def _login_remembered(client: FlaskClient) -> str:
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={
            "username": "clerk_410102",
            "password": TEST_PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    cookie = client.get_cookie("remember_token")
    assert cookie is not None, "remember-me cookie not set"
    return cookie.value


def _only_remember_cookie(app, value: str) -> FlaskClient:
    """A browser that lost its session cookie but kept the remember-me cookie."""
    other = app.test_client()
    other.set_cookie("remember_token", value)
    return other


def _logout(client: FlaskClient) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def _change_password(client: FlaskClient) -> None:
    response = client.post(
        "/account/password",
        data={
            "old_password": TEST_PASSWORD,
            "new_password": "NewPass#2026",
            "confirm": "NewPass#2026",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert response.status_code == 302


def _disable(client: FlaskClient) -> None:
    user = db.session.execute(db.select(User).filter_by(username="clerk_410102")).scalar_one()
    admin_client = client.application.test_client()
    from tests.conftest import login

    login(admin_client, "admin_410000")
    response = admin_client.post(
        f"/admin/users/{user.id}/enabled",
        data={"enabled": "0", "csrf_token": csrf_token(admin_client, "/admin/users")},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    db.session.expire_all()
    assert db.session.get(User, user.id).is_enabled is False


@pytest.mark.parametrize("end", [_logout, _change_password, _disable])
def test_remember_me_cookie_stops_working_when_sessions_end(
    app, client, make_user, end: Callable[[FlaskClient], None]
):
    make_user("clerk", "410102")
    make_user("admin", "410000")
    remembered = _login_remembered(client)
    # The cookie alone logs in (so the test below can fail) ...
    assert _only_remember_cookie(app, remembered).get("/api/v1/me").status_code == 200
    end(client)
    # ... and not any more once the sessions were ended.
    replay = _only_remember_cookie(app, remembered)
    assert replay.get("/api/v1/me").status_code == 401
    assert replay.get("/").status_code == 302


def test_remember_me_cookie_is_short_and_protected(app, client, make_user):
    make_user("clerk", "410102")
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={
            "username": "clerk_410102",
            "password": TEST_PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
    )
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token")]
    assert cookies and "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]
    assert app.config["REMEMBER_COOKIE_DURATION"].total_seconds() <= 12 * 3600
    assert app.config["SESSION_IDLE_MINUTES"] <= 60 and app.config["SESSION_MAX_HOURS"] <= 12
