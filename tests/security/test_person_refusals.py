"""Refusals name nobody the actor may not see (found from outside: 抄送 refused with
"不能抄送给 <full name>（<org>）", so trying ``user_id`` 1, 2, 3… listed every user's name and
unit).

The sweep finds every route that takes a person — a page view reading ``user_id``/``username``
from its form, an API operation whose body has such a property — and sends each one, as the
reviewer holding an open task, a user of another city, a disabled user and an id nobody has.
Every answer is a refusal, the three answers are the same (no name, and no way to tell which
ids exist), and nothing is written.  A new route taking a person is swept without being listed;
a route with a path argument the sweep cannot fill fails until ``fill`` learns it.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

import pytest
from flask import Flask

from tests.conftest import TEST_PASSWORD, csrf_token, login
from tests.engine.conftest import deploy, open_task, start  # noqa: F401
from webapp.engine import complete_task
from webapp.engine.models import HumanTask, Notification, TaskCopy
from webapp.extensions import db

PERSON_FIELDS = ("user_id", "username")
#: Routes that take a person on purpose and are covered elsewhere.
NOT_SWEPT = {
    "auth.login": "the login form (tests/security/test_login_throttle.py)",
    "api_auth.issue_token": "the login of the API (tests/security/test_login_throttle.py)",
}
#: Administrators manage every user: their pages may name anyone.
ADMIN_BLUEPRINTS = ("admin.",)
FORM_READ = re.compile(
    r"(?:request\.form\.get\(|id_field\(request\.form,)\s*\"(" + "|".join(PERSON_FIELDS) + r")\""
)
ALERT = re.compile(r'<div class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', re.S)


def page_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, rule, field) of every page POST view reading a person from its form."""
    out = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.startswith("api"):
            continue
        if rule.endpoint in NOT_SWEPT or rule.endpoint.startswith(ADMIN_BLUEPRINTS):
            continue
        source = inspect.getsource(inspect.unwrap(app.view_functions[rule.endpoint]))
        out += [(rule.endpoint, rule.rule, f) for f in sorted(set(FORM_READ.findall(source)))]
    return out


def api_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(method, path, field) of every API operation whose JSON body has a person property."""
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    out = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if not isinstance(op, dict):
                continue
            ref = (
                op.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema", {})
                .get("$ref", "")
            )
            properties = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
            for field in PERSON_FIELDS:
                if field in properties and path != "/api/v1/auth/tokens":
                    out.append((method.upper(), path, field))
    return out


def fill(rule: str, task: HumanTask) -> str:
    path = re.sub(r"<int:task_id>|\{task_id\}", str(task.id), rule)
    assert "<" not in path and "{" not in path, f"teach the sweep to fill {rule}"
    return path


@pytest.fixture
def world(app, start, make_user):  # noqa: F811
    clerk = make_user("clerk", "410102")
    reviewer = make_user("reviewer", "410102")
    make_user("reviewer", "410102", username="reviewer2_410102")  # a colleague: 转办 is offered
    outsider = make_user("reviewer", "410200", "kf_hidden_reviewer", "开封隐名审核人")
    disabled = make_user("reviewer", "410102", "zy_gone_reviewer", "中原已停用审核人")
    disabled.is_enabled = False
    db.session.commit()
    instance = start("demo_two_tier", "410102", actor=clerk)
    complete_task(clerk, open_task(instance).id, "submit", data={"title": "t"})
    db.session.commit()
    task = open_task(instance)
    web = app.test_client()
    assert login(web, reviewer.username).status_code == 302
    token = (
        app.test_client()
        .post(
            "/api/v1/auth/tokens", json={"username": reviewer.username, "password": TEST_PASSWORD}
        )
        .get_json()["token"]
    )
    targets = {
        "user_id": [str(outsider.id), str(disabled.id), "987654"],
        "username": [outsider.username, disabled.username, "nobody_at_all"],
    }
    return {
        "task": task,
        "web": web,
        "headers": {"Authorization": f"Bearer {token}"},
        "targets": targets,
        "hidden": [outsider.full_name, outsider.username, disabled.full_name, disabled.username],
        "watched": [outsider.id, disabled.id],
    }


def _written(world: dict[str, Any]) -> tuple:
    db.session.expire_all()
    task = db.session.get(HumanTask, world["task"].id)
    return (
        db.session.query(TaskCopy).count(),
        db.session.query(Notification).filter(Notification.user_id.in_(world["watched"])).count(),
        task.assignee_id,
        task.state,
    )


def test_the_sweep_finds_the_person_routes(app):
    """The sweep is not empty: 转办 and 抄送 on pages and through the API."""
    assert {e for e, _, _ in page_routes(app)} >= {"engine.transfer", "engine.cc"}
    assert {p for _, p, _ in api_routes(app)} >= {
        "/api/v1/tasks/{task_id}/transfer",
        "/api/v1/tasks/{task_id}/cc",
    }


def test_page_refusals_name_nobody_and_read_alike(app, world):
    web, task = world["web"], world["task"]
    before = _written(world)
    named, told_apart = [], []
    for endpoint, rule, field in page_routes(app):
        url = fill(rule, task)
        seen = set()
        for target in world["targets"][field]:
            token = csrf_token(web, f"/tasks/{task.id}")
            response = web.post(
                url,
                data={"csrf_token": token, field: target},
                headers={"Referer": f"/tasks/{task.id}"},
                follow_redirects=True,
            )
            body = response.get_data(as_text=True)
            alerts = tuple(re.sub(r"<[^>]+>|\s+", " ", a).strip() for a in ALERT.findall(body))
            assert response.status_code in (200, 409, 422) and alerts, (endpoint, field, target)
            named += [(endpoint, field, target, h) for h in world["hidden"] if h in body]
            seen.add((response.status_code, alerts))
        if len(seen) != 1:
            told_apart.append((endpoint, field, seen))
    assert named == [] and told_apart == []
    assert _written(world) == before


def test_api_refusals_name_nobody_and_read_alike(app, world):
    client = app.test_client()
    before = _written(world)
    named, told_apart = [], []
    for method, path, field in api_routes(app):
        url = fill(path, world["task"])
        seen = set()
        for target in world["targets"][field]:
            value: Any = int(target) if field == "user_id" else target
            response = client.open(
                url, method=method, json={field: value}, headers=world["headers"]
            )
            body = json.dumps(response.get_json(), ensure_ascii=False, sort_keys=True)
            assert response.status_code == 422, (path, field, target, body)
            named += [(path, field, target, h) for h in world["hidden"] if h in body]
            seen.add(body)
        if len(seen) != 1:
            told_apart.append((path, field, seen))
    assert named == [] and told_apart == []
    assert _written(world) == before
