"""A JSON body that is valid JSON but not an object at the top is a clear 400 in Chinese on
every writing route (found from outside).

Sent as a clerk of a county and as the administrator, a list or a string to the workflow
editor's 校验/发布 (``payload = request.get_json(silent=True) or {}`` then ``payload.get``)
was a 500 with an incident id, and ``null`` passed as an empty body.  The API's schemas
refused an array with 422 but a view reading the body itself did not.  The class: every route
of the URL map taking POST, PUT, PATCH or DELETE, with the bearer token (API) and with the
browser session and its CSRF header (pages), answers each such body with 400, code
``bad_request`` and a Chinese message (a page asked without ``Accept: application/json``: the
error page saying the same), before any view runs: nothing written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import TEST_PASSWORD, csrf_token, login
from webapp.core.models import AuditRecord
from webapp.extensions import db
from webapp.web import NOT_AN_OBJECT

CJK = re.compile(r"[\u4e00-\u9fff]")
#: Valid JSON documents that are not objects.
BODIES = (b"[]", b"[1, 2]", b'"x"', b"1", b"-2.5", b"true", b"false", b"null", b" null ")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _urls(app: Flask) -> Iterator[tuple[str, str]]:
    """(method, url) of every writing route, with an id or a word in each of its parts."""
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & WRITES):
            values: dict[str, Any] = {}
            for name, converter in rule._converters.items():
                values[name] = 1 if "Int" in type(converter).__name__ else "x"
            yield method, adapter.build(rule.endpoint, values, method=method)


def test_the_walk_reaches_every_writing_route(app: Flask):
    urls = list(_urls(app))
    assert len(urls) > 100
    assert ("POST", "/admin/workflows/x/validate") in urls
    assert ("POST", "/api/v1/auth/tokens") in urls


@pytest.fixture
def callers(app: Flask, make_user: Any) -> dict[str, tuple[FlaskClient, dict[str, str]]]:
    """Who attacks: a county's clerk and the administrator, each by token and by session, and
    an anonymous caller."""
    make_user(["clerk", "reviewer", "leader"], "410102", username="shape_clerk")
    make_user("admin", "410000", username="shape_admin")
    found: dict[str, tuple[FlaskClient, dict[str, str]]] = {}
    for username in ("shape_clerk", "shape_admin"):
        client = app.test_client()
        token = client.post(
            "/api/v1/auth/tokens", json={"username": username, "password": TEST_PASSWORD}
        ).get_json()["token"]
        found[f"{username} token"] = (client, {"Authorization": f"Bearer {token}"})
        browser = app.test_client()
        assert login(browser, username).status_code == 302
        found[f"{username} session"] = (browser, {"X-CSRFToken": csrf_token(browser, "/")})
    anonymous = app.test_client()
    found["anonymous"] = (anonymous, {"X-CSRFToken": csrf_token(anonymous)})
    return found


def test_every_writing_route_refuses_a_body_that_is_not_an_object(app: Flask, callers):
    before = db.session.query(AuditRecord).count()
    found: list[str] = []
    sent = 0
    for who, (client, headers) in callers.items():
        for method, url in _urls(app):
            if who.endswith("token") and not url.startswith("/api/"):
                continue  # a bearer token opens the API only; pages need the session's CSRF
            for body in BODIES:
                answer = client.open(
                    url, method=method, data=body, content_type="application/json", headers=headers
                )
                sent += 1
                label = f"{who} {method} {url} {body!r} → {answer.status_code}"
                if answer.status_code != 400:
                    found.append(f"{label}: {answer.get_data(as_text=True)[:160]!r}")
                    continue
                reply = answer.get_json(silent=True)
                if reply is None:  # a page without Accept: JSON gets the error page
                    if NOT_AN_OBJECT not in answer.get_data(as_text=True):
                        found.append(f"{label}: the page does not say why")
                elif reply.get("code") != "bad_request" or reply.get("message") != NOT_AN_OBJECT:
                    found.append(f"{label}: {reply!r}")
    assert sent > 3 * 100 * len(BODIES)
    assert found == [], f"{len(found)} answers:\n" + "\n".join(found[:60])
    assert CJK.search(NOT_AN_OBJECT)
    db.session.expire_all()
    assert db.session.query(AuditRecord).count() == before  # nothing written, nothing audited


def test_an_object_and_a_malformed_body_still_reach_their_own_rules(client: FlaskClient):
    """The rule takes objects through and leaves a malformed body to the schema's refusal."""
    good = client.post("/api/v1/auth/tokens", json={"username": "nobody", "password": "x" * 8})
    assert good.status_code == 401 and good.get_json()["message"] == "用户名或密码错误。"
    bad = client.post("/api/v1/auth/tokens", data=b"{bad", content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["errors"] == {
        "json": ["请求内容不是有效的 JSON。"]
    }
