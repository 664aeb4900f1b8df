"""No redirect leaves the site, whatever ``next`` or Referer a user (or an attacker's link) sends.

The routes that read a target are found in the source (``"next"`` read from the request, or the
Referer, directly or through a helper or decorator of the same module); each must have an
exerciser below, which posts hostile targets and checks every redirect stays local.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.conftest import ROOT, TEST_PASSWORD, csrf_token, login
from tests.engine.conftest import bpmn_bytes, open_task
from webapp.core.urls import safe_next
from webapp.engine import deploy_bpmn, start_instance
from webapp.engine.models import ProcessInstance
from webapp.extensions import db

HOSTILE = [
    "https://evil.example/login",
    "//evil.example/x",
    "/\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "\\\\evil.example",
    " //evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "/%0a/evil.example" + "\x00",
]


def test_the_rule():
    for target in HOSTILE + ["", None, "relative/path", "/" + "a" * 3000]:
        assert safe_next(target, "/home") == "/home", target
    for target in ("/tasks/", "/reports/board?period=2026Q3", "/a/b?c=d#e"):
        assert safe_next(target, "/home") == target
    here = "hqr.example:8000"
    assert safe_next("http://hqr.example:8000/tasks/?x=1", "/", host=here) == "/tasks/?x=1"
    assert safe_next("https://evil.example/tasks/", "/", host=here) == "/"
    assert safe_next("http://hqr.example:8000//evil.example/", "/", host=here) == "/"


def assert_local(response) -> str:
    """The response redirects to a path of this site (returns where), or the edge refused the
    request outright (422: a NUL in the target, webapp/web.py::refuse_unfit_input)."""
    if response.status_code == 422 and "控制字符" in response.get_data(as_text=True):
        return "refused at the edge"
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    assert parts.path.startswith("/") and not parts.path.startswith("//"), location
    assert "evil" not in location, location
    return location


# Finding the routes that read a redirect target -----------------------------------------------
def _reads_target(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "referrer":
            return True
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "get"
            and sub.args
            and isinstance(sub.args[0], ast.Constant)
            and sub.args[0].value == "next"
        ):
            return True
    return False


def _reader_functions() -> set[tuple[str, int]]:
    """(file, line) of every function that reads a target, directly or through a function of
    its module that does."""
    found: set[tuple[str, int]] = set()
    for path in (ROOT / "webapp").rglob("*.py"):
        tree = ast.parse(path.read_text())
        funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        readers = {f.name for f in funcs if _reads_target(f)}
        changed = True
        while changed:
            changed = False
            for f in funcs:
                calls = {
                    c.func.id
                    for c in ast.walk(f)
                    if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                }
                if f.name not in readers and calls & readers:
                    readers.add(f.name)
                    changed = True
        found |= {
            (str(path), min([f.lineno] + [d.lineno for d in f.decorator_list]))
            for f in funcs
            if f.name in readers
        }
    return found


def _target_routes(app: Flask) -> set[str]:
    readers = _reader_functions()
    routes = set()
    for endpoint, view in app.view_functions.items():
        fn: object | None = view
        while fn is not None:
            code = getattr(fn, "__code__", None)
            if code is not None and (code.co_filename, code.co_firstlineno) in readers:
                routes.add(endpoint)
            fn = getattr(fn, "__wrapped__", None)
    return routes


# Exercisers ------------------------------------------------------------------------------------
class World:
    """A demo_two_tier instance of 中原区: 填报 open for its clerk (审核 is its reviewer_peer's)."""

    def __init__(self, app: Flask, make_user: Callable[..., object]) -> None:
        self.app = app
        for role, code in (("clerk", "410102"), ("reviewer", "410100"), ("admin", "410000")):
            make_user(role, code)
        make_user("reviewer", "410102", "reviewer_peer")
        deploy_bpmn(None, None, bpmn_bytes("demo_two_tier"))
        from webapp.core.operations import get_org

        self.instance = start_instance(
            None, "demo_two_tier", get_org("410102"), "demo_two_tier:410102", None
        )
        db.session.commit()
        self.fill = open_task(self.instance)

    def client(self, username: str):
        client = self.app.test_client()
        assert login(client, username).status_code == 302
        return client

    def post(self, client, path: str, **form: str):
        form["csrf_token"] = csrf_token(client, "/tasks/")
        return client.post(path, data=form)

    def complete_fill(self) -> int:
        clerk = self.client("clerk_410102")
        self.post(clerk, f"/tasks/{self.fill.id}/complete", outcome="submit", f_title="一季度")
        return open_task(db.session.get(ProcessInstance, self.instance.id)).id


def _login(world: World, target: str) -> str:
    client = world.app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "clerk_410102", "password": TEST_PASSWORD, "csrf_token": token},
    )
    return assert_local(response)


def _claim_and_unclaim(world: World, target: str) -> str:
    clerk = world.client("clerk_410102")
    assert_local(world.post(clerk, f"/tasks/{world.fill.id}/claim", next=target))
    return assert_local(world.post(clerk, f"/tasks/{world.fill.id}/unclaim", next=target))


def _remind(world: World, target: str) -> str:
    reviewer = world.client("reviewer_410100")
    return assert_local(world.post(reviewer, f"/tasks/{world.fill.id}/remind", next=target))


def _cc(world: World, target: str) -> str:
    reviewer = world.client("reviewer_410100")
    response = world.post(
        reviewer, f"/tasks/{world.fill.id}/cc", next=target, username="reviewer_peer"
    )
    return assert_local(response)


def _refused_with_referrer(action: str, user: str = "clerk_410102") -> Callable[..., None]:
    """A refused task button goes back to the page it came from: a hostile Referer must not
    take it off the site."""

    def run(world: World, target: str) -> str | None:
        if any(c in target for c in "\r\n\x00"):
            return None  # no client can send these in a header
        client = world.client(user)
        path = f"/tasks/{world.fill.id}/{action}"
        if action == "retry":
            path = f"/tasks/admin/instances/{world.instance.id}/retry"
        form = {"csrf_token": csrf_token(client, "/tasks/"), "outcome": "submit"}
        response = client.post(path, data=form, headers={"Referer": target})
        return assert_local(response)

    return run


EXERCISERS: dict[str, Callable[[World, str], str | None]] = {
    "auth.login": _login,
    "engine.claim": _claim_and_unclaim,
    "engine.unclaim": _claim_and_unclaim,
    "engine.remind": _remind,
    "engine.cc": _cc,
    "engine.complete": _refused_with_referrer("complete"),
    "engine.withdraw": _refused_with_referrer("withdraw"),
    "engine.retry": _refused_with_referrer("retry", "admin_410000"),
}
#: Needs the quarterly report flow: exercised by
#: tests/reports/test_pages.py::test_a_reminder_never_redirects_off_the_site.
ELSEWHERE = {"reports.remind"}


def test_every_route_that_reads_a_target_is_exercised(app):
    assert _target_routes(app) == set(EXERCISERS) | ELSEWHERE


@pytest.mark.parametrize("endpoint", sorted(EXERCISERS))
def test_no_redirect_leaves_the_site(app, make_user, endpoint):
    world = World(app, make_user)
    if endpoint in ("engine.complete", "engine.withdraw", "engine.retry"):
        review = world.complete_fill()  # 填报 is done: the buttons on it are refused
        if endpoint == "engine.withdraw":  # refused once the next step is claimed
            world.post(world.client("reviewer_peer"), f"/tasks/{review}/claim")
    local = EXERCISERS[endpoint](world, "/tasks/?view=done")
    assert local is not None and local.endswith("/tasks/?view=done")  # a local one is honoured
    for target in HOSTILE:
        EXERCISERS[endpoint](world, target)
