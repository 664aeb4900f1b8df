from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, csrf_token, login
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.extensions import db


def _actions() -> list[str]:
    return list(db.session.execute(select(AuditRecord.action).order_by(AuditRecord.id)).scalars())


def test_login_shows_home_with_org_in_chinese(client, make_user):
    make_user("clerk", "410102")
    response = login(client, "clerk_410102")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "中原区" in page and "填表人" in page and "待办" in page
    assert "auth.login" in _actions()


def test_wrong_password_is_refused_audited_and_changes_nothing(client, make_user):
    user = make_user("clerk", "410102")
    response = login(client, "clerk_410102", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous
    rec = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "auth.login_failed")
    ).scalar_one()
    assert rec.object_id == str(user.id)
    assert "wrong-password" not in str(rec.before) + str(rec.after) + (rec.message or "")
    db.session.refresh(user)
    assert user.last_login_at is None


def test_unknown_user_and_disabled_user(client, make_user):
    assert login(client, "nobody", "whatever1").status_code == 401
    user = make_user("clerk", "410102")
    user.is_enabled = False
    db.session.commit()
    response = login(client, "clerk_410102")
    assert response.status_code == 401
    assert "已停用" in response.get_data(as_text=True)


def test_login_is_throttled_after_repeated_failures(client, make_user, app):
    make_user("clerk", "410102")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert login(client, "clerk_410102", "bad-password").status_code == 401
    # Even the right password is refused while throttled.
    response = login(client, "clerk_410102", TEST_PASSWORD)
    assert response.status_code == 429
    assert "频繁" in response.get_data(as_text=True)


def test_successful_logins_are_not_throttled(client, make_user, app):
    make_user("clerk", "410102")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
        assert login(client, "clerk_410102").status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_post_without_csrf_token_is_refused(client, make_user):
    make_user("clerk", "410102")
    response = client.post("/login", data={"username": "clerk_410102", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert "auth.login" not in _actions()


def test_logout_ends_every_session_of_the_user(app, make_user):
    make_user("clerk", "410102")
    first, second = app.test_client(), app.test_client()
    login(first, "clerk_410102")
    login(second, "clerk_410102")
    assert first.get("/").status_code == 200 and second.get("/").status_code == 200
    old_cookie = first.get_cookie("session").value
    first.post("/logout", data={"csrf_token": csrf_token(first, "/")})
    assert second.get("/").status_code == 302  # the other session is over too
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/api/v1/me").status_code == 401


def test_change_password_ends_sessions_and_new_password_works(client, make_user):
    make_user("clerk", "410102")
    login(client, "clerk_410102")
    token = csrf_token(client, "/account/password")
    short = client.post(
        "/account/password",
        data={
            "old_password": TEST_PASSWORD,
            "new_password": "short",
            "confirm": "short",
            "csrf_token": token,
        },
    )
    assert short.status_code == 422 and "8–64" in short.get_data(as_text=True)
    done = client.post(
        "/account/password",
        data={
            "old_password": TEST_PASSWORD,
            "new_password": "NewPass#2026",
            "confirm": "NewPass#2026",
            "csrf_token": token,
        },
    )
    assert done.status_code == 302
    assert client.get("/").status_code == 302
    assert login(client, "clerk_410102", TEST_PASSWORD).status_code == 401
    assert login(client, "clerk_410102", "NewPass#2026").status_code == 302
    assert "auth.change_password" in _actions()


def test_idle_session_expires(client, make_user, app):
    make_user("clerk", "410102")
    start = clock.now()
    clock.set_now(start)
    login(client, "clerk_410102")
    clock.set_now(start + timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1))
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_absolute_session_lifetime(client, make_user, app):
    make_user("clerk", "410102")
    start = clock.now()
    clock.set_now(start)
    login(client, "clerk_410102")
    # Stay active every 30 minutes: the idle timeout never triggers, the absolute one does.
    for step in range(1, app.config["SESSION_MAX_HOURS"] * 2 + 2):
        clock.set_now(start + timedelta(minutes=30 * step))
        response = client.get("/")
    assert response.status_code == 302


def test_open_redirect_is_refused(client, make_user):
    make_user("clerk", "410102")
    token = csrf_token(client)
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "clerk_410102", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(client, make_user):
    make_user("clerk", "410102")
    response = login(client, "clerk_410102")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
