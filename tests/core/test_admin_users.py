from __future__ import annotations

from sqlalchemy import select

from tests.conftest import csrf_token, login
from webapp.core.models import AuditRecord, User
from webapp.extensions import db


def _user(username: str) -> User:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def test_admin_creates_user_with_roles(logged_in):
    client = logged_in("admin", "410000")
    token = csrf_token(client, "/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "zhang_san",
            "full_name": "张三",
            "org_code": "410102",
            "roles": ["clerk", "reviewer"],
            "password": "Zhang#2026",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    user = _user("zhang_san")
    assert user.org.code == "410102" and {r.value for r in user.roles} == {"clerk", "reviewer"}
    rec = db.session.execute(
        select(AuditRecord).where(
            AuditRecord.action == "user.create", AuditRecord.object_id == str(user.id)
        )
    ).scalar_one()
    assert rec.after["roles"] == ["clerk", "reviewer"] and rec.actor_name == "admin_410000"


def test_county_cannot_get_province_only_roles(logged_in):
    client = logged_in("admin", "410000")
    token = csrf_token(client, "/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "li_si",
            "full_name": "李四",
            "org_code": "410102",
            "roles": ["assessor"],
            "password": "LiSi#20261",
            "csrf_token": token,
        },
    )
    assert response.status_code == 422
    assert "不能设置角色" in response.get_data(as_text=True)
    assert db.session.execute(select(User).where(User.username == "li_si")).first() is None


def test_duplicate_username_and_unknown_org(logged_in, make_user):
    make_user("clerk", "410102")
    client = logged_in("admin", "410000")
    token = csrf_token(client, "/admin/users/new")
    dup = client.post(
        "/admin/users/new",
        data={
            "username": "clerk_410102",
            "full_name": "重名",
            "org_code": "410102",
            "roles": ["clerk"],
            "password": "Abcdefg#1",
            "csrf_token": token,
        },
    )
    assert dup.status_code == 409 and "已存在" in dup.get_data(as_text=True)
    bad_org = client.post(
        "/admin/users/new",
        data={
            "username": "someone",
            "full_name": "某人",
            "org_code": "999999",
            "roles": ["clerk"],
            "password": "Abcdefg#1",
            "csrf_token": token,
        },
    )
    assert bad_org.status_code == 422  # not one of the offered choices


def test_disable_ends_sessions(app, make_user, logged_in):
    target = make_user("clerk", "410102")
    victim_client = app.test_client()
    login(victim_client, "clerk_410102")
    assert victim_client.get("/").status_code == 200
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"/admin/users/{target.id}")
    response = client.post(
        f"/admin/users/{target.id}/enabled", data={"enabled": "0", "csrf_token": token}
    )
    assert response.status_code == 302
    assert not _user("clerk_410102").is_enabled
    assert victim_client.get("/").status_code == 302


def test_reset_password(app, make_user, logged_in):
    target = make_user("clerk", "410102")
    client = logged_in("admin", "410000")
    token = csrf_token(client, f"/admin/users/{target.id}")
    client.post(
        f"/admin/users/{target.id}/password",
        data={"new_password": "Reset#20261", "csrf_token": token},
    )
    other = app.test_client()
    assert login(other, "clerk_410102", "Reset#20261").status_code == 302


def test_non_admin_gets_chinese_403_and_refusal_is_audited(logged_in):
    client = logged_in("clerk", "410102")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "没有权限" in response.get_data(as_text=True)
    rec = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "permission.denied")
    ).scalar_one()
    assert rec.actor_name == "clerk_410102" and "/admin/users" in rec.message


def test_user_list_search(logged_in, make_user):
    make_user("clerk", "410302")
    client = logged_in("admin", "410000")
    page = client.get("/admin/users?q=410302").get_data(as_text=True)
    table = page[page.index('id="users-table"') :]
    assert "clerk_410302" in table and "admin_410000" not in table


def test_org_tree_page_shows_direct_county_under_province(logged_in):
    client = logged_in("admin", "410000")
    page = client.get("/admin/orgs").get_data(as_text=True)
    row = page[page.index("巩义市") : page.index("巩义市") + 200]
    assert "省直管县（市）" in row and "河南省" in row
