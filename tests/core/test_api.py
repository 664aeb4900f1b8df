from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import TEST_PASSWORD
from webapp.core import clock
from webapp.core.models import ApiToken, Org
from webapp.extensions import db


def test_token_then_me(client, api_token):
    headers = api_token(["clerk", "reviewer"], "410102")
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    body = me.get_json()
    assert body["username"] == "clerk_410102"
    assert body["org"] == {
        "code": "410102",
        "name": "中原区",
        "tier": "county",
        "tier_label": "县（区）",
        "parent_code": "410100",
    }
    assert body["roles"] == ["clerk", "reviewer"]


def test_only_token_hash_is_stored(client, make_user):
    make_user("clerk", "410102")
    token = client.post(
        "/api/v1/auth/tokens", json={"username": "clerk_410102", "password": TEST_PASSWORD}
    ).get_json()
    stored = db.session.execute(select(ApiToken.token_hash)).scalar_one()
    assert stored != token["token"] and stored == ApiToken.hash(token["token"])


def test_bad_credentials_and_bad_body(client, make_user):
    make_user("clerk", "410102")
    wrong = client.post("/api/v1/auth/tokens", json={"username": "clerk_410102", "password": "x"})
    assert wrong.status_code == 401 and wrong.get_json()["message"] == "用户名或密码错误。"
    missing = client.post("/api/v1/auth/tokens", json={"username": "clerk_410102"})
    assert missing.status_code == 422 and "password" in str(missing.get_json()["errors"])


def test_no_token_bad_token_expired_token(client, api_token):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    headers = api_token("clerk", "410102")
    clock.set_now(clock.now() + timedelta(days=30))
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and "未登录" in response.get_json()["message"]


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    paths = spec.get_json()["paths"]
    assert "/api/v1/auth/tokens" in paths and "/api/v1/me" in paths
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.get_data(as_text=True)


def test_bearer_token_wins_over_an_anonymous_session_cookie(client, api_token):
    headers = api_token("clerk", "410102")
    client.get("/login")  # a session cookie holding only a CSRF token, no login
    assert client.get_cookie("session") is not None
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["username"] == "clerk_410102"


def test_every_org_s_parent_code_from_its_path_is_its_parent_s_code():
    """/api/v1/me names the parent from the org's path (no query): the same as the row's."""
    orgs = db.session.execute(select(Org)).scalars().all()
    assert any(o.parent_id is None for o in orgs) and any(o.depth == 2 for o in orgs)
    for org in orgs:
        assert org.parent_code == (org.parent.code if org.parent else None), org.code
