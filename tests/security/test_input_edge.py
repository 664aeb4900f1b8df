"""The request edge refuses characters our text cannot hold (issue 13).

A NUL in a query parameter reached PostgreSQL, which refuses it in text: the API answered 500
(SQLite stored it happily).  Now every channel of input (path, query string, form fields and
uploaded file names, JSON keys and strings at any depth) is checked before anything reads the
database: 422 with a Chinese message naming the field, in the API's error body or on the HTML
error page, and not one SQL statement written.  Run on both databases; on PostgreSQL most of
these cases were 500s before the check.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from tests.conftest import ROOT, TEST_PASSWORD, csrf_token, login
from tests.ledger.helpers import project_row, workbook
from webapp.core.models import Org
from webapp.extensions import db
from webapp.reports import operations as report_ops
from webapp.reports.models import Report

REFUSAL = "包含不允许的控制字符（如 NUL），请删除后重试。"
PROJECT = {
    "registration_no": "EDGE-1",
    "name": "边界工程",
    "structure_type": "框架",
    "area_m2": 100,
    "cost_10k_yuan": 1,
    "registered_on": "2026-07-01",
}


@dataclass
class Env:
    api: FlaskClient  # bearer-token calls (headers below)
    headers: dict[str, str]  # clerk + reviewer + leader at 中原区 410102
    auditor: FlaskClient  # a browser session of auditor_410000
    anonymous: FlaskClient


@pytest.fixture
def env(app: Flask, client: FlaskClient, make_user: Callable[..., Any]) -> Env:
    make_user(["clerk", "reviewer", "leader"], "410102", username="edge")
    token = client.post(
        "/api/v1/auth/tokens", json={"username": "edge", "password": TEST_PASSWORD}
    ).get_json()["token"]
    make_user("auditor", "410000")
    auditor = app.test_client()
    assert login(auditor, "auditor_410000").status_code == 302
    return Env(client, {"Authorization": f"Bearer {token}"}, auditor, app.test_client())


#: A prepared request: the client, then the arguments of ``client.open``.
Prepared = tuple[FlaskClient, dict[str, Any]]


@dataclass
class Case:
    id: str
    location: str  # path, query, form, files, json: the key of the error body's ``errors``
    field: str  # as the message names it (unfit characters escaped)
    prepare: Callable[[Env], Prepared]  # may set up data first; the request itself is measured
    html: bool = False  # a page: the normal HTML error page, and its layout reads the user

    def __str__(self) -> str:
        return self.id


def _get(url: str, who: str = "api") -> Callable[[Env], Prepared]:
    def prepare(env: Env) -> Prepared:
        client = getattr(env, who)
        return client, {"path": url, "headers": env.headers if who == "api" else {}}

    return prepare


def _login_form(fields: dict[str, str]) -> Callable[[Env], Prepared]:
    def prepare(env: Env) -> Prepared:
        token = csrf_token(env.anonymous)
        data = {**fields, "csrf_token": token}
        return env.anonymous, {"path": "/login", "method": "POST", "data": data}

    return prepare


def _ledger_json(body: dict[str, Any]) -> Callable[[Env], Prepared]:
    def prepare(env: Env) -> Prepared:
        args = {"path": "/api/v1/ledger/projects", "method": "POST", "json": body}
        return env.api, {**args, "headers": env.headers}

    return prepare


def _narrative(env: Env) -> Prepared:
    from webapp.engine import deploy_bpmn

    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    report_ops.open_period(None, "2026Q3")
    db.session.commit()
    report_id = db.session.execute(
        select(Report.id).join(Report.org).where(Org.code == "410102", Report.period == "2026Q3")
    ).scalar_one()
    body = {"sections": {"s02": "总体情况\x00良好"}}
    path = f"/api/v1/reports/{report_id}/narrative"
    return env.api, {"path": path, "method": "PUT", "json": body, "headers": env.headers}


def _surrogate_token(env: Env) -> Prepared:
    raw = b'{"username": "edge\\ud800", "password": "x"}'
    args = {"data": raw, "content_type": "application/json"}
    return env.anonymous, {"path": "/api/v1/auth/tokens", "method": "POST", **args}


def _import(env: Env) -> Prepared:
    upload = (io.BytesIO(workbook([project_row("EDGE-2")])), "台账\x00.xlsx")
    return env.api, {
        "path": "/api/v1/ledger/projects/import?org=410102",
        "method": "POST",
        "data": {"file": upload},
        "content_type": "multipart/form-data",
        "headers": env.headers,
    }


CASES = [
    # The two queries of the issue (500 on PostgreSQL), and one on a page.
    Case(
        "query-audit-api", "query", "org", _get("/api/v1/audit/reporting?year=2026&org=4101%0002")
    ),
    Case("query-reports-api", "query", "org", _get("/api/v1/reports?org=%00&period=2026Q3")),
    Case("query-noncharacter", "query", "period", _get("/api/v1/reports?period=2026Q3%EF%BF%BF")),
    Case("query-key", "query", "o\\u0001rg", _get("/api/v1/reports?o%01rg=410102")),
    Case("query-page", "query", "org", _get("/audit/reporting?org=4101%0002", "auditor"), True),
    # Paths: a <string> converter reads the database; a refused role is audited with the path.
    Case("path-page", "path", "", _get("/audit/reporting/4101%0002", "auditor"), True),
    Case("path-api-refused-role", "path", "", _get("/api/v1/workflows/quarterly%00/compare")),
    Case("path-int-converter", "path", "", _get("/api/v1/reports/%00")),
    # The login form: a value, a key.
    Case(
        "form-value",
        "form",
        "username",
        _login_form({"username": "edge\x00", "password": "x"}),
        True,
    ),
    Case(
        "form-key",
        "form",
        "user\\u0001name",
        _login_form({"user\x01name": "edge", "password": "x"}),
        True,
    ),
    # An API write: a value, a key, a nested string, a lone surrogate.
    Case("json-value", "json", "name", _ledger_json({**PROJECT, "name": "边界\x00工程"})),
    Case("json-key", "json", "name\\u001f", _ledger_json({**PROJECT, "name\x1f": "x"})),
    Case("json-nested", "json", "sections.s02", _narrative),
    Case("json-surrogate", "json", "username", _surrogate_token),
    # An upload: a valid workbook under a file name with a NUL imports nothing.
    Case("file-name", "files", "file", _import),
]


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement sent to the database meanwhile."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _row_counts() -> dict[str, int]:
    return {
        t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
        for t in db.metadata.sorted_tables
    }


class TestControlCharactersAreRefusedAtTheEdge:
    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_refused_with_422_naming_the_field_and_nothing_written(self, env: Env, case: Case):
        client, request = case.prepare(env)
        before = _row_counts()
        db.session.commit()
        with statements() as sent:
            response = client.open(**request)
        assert response.status_code == 422, response.get_data(as_text=True)[:500]
        if case.html:
            page = response.get_data(as_text=True)
            assert response.mimetype == "text/html"
            assert REFUSAL in page and "请求有误（422）" in page
            message = page
        else:
            body = response.get_json()
            assert body["code"] == "invalid" and body["message"].endswith(REFUSAL)
            message = body["message"]
            assert case.location in body["errors"]
            if case.field:
                assert case.field in body["errors"][case.location]
        if case.field:
            assert f"“{case.field}”" in message
        else:
            assert "网址路径" in message
        writes = [s for s in sent if s.split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
        assert writes == []
        if not case.html:  # refused before the bearer token was even looked up
            assert sent == []
        assert _row_counts() == before


REFUSED = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\ufffe", "\uffff"]
KEPT = ["\t", "\n", "\r", " ", "\x7f", "\u00a0", "\u3000", "中", "\ufffd", "\U0001f3d7"]


@pytest.mark.parametrize("char", REFUSED, ids=ascii)
def test_c0_controls_and_noncharacters_are_refused(env: Env, char: str):
    response = env.api.get(
        "/api/v1/ledger/projects", query_string={"q": f"a{char}b"}, headers=env.headers
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"query": {"q": ["包含不允许的控制字符（如 NUL）。"]}}


@pytest.mark.parametrize("char", KEPT, ids=ascii)
def test_tab_newlines_and_other_text_pass(env: Env, char: str):
    response = env.api.get(
        "/api/v1/ledger/projects", query_string={"q": f"a{char}b"}, headers=env.headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["items"] == []


def test_an_ordinary_write_still_goes_through(env: Env):
    """Not vacuous: the same write without the NUL is saved, tab and newlines included."""
    body = {**PROJECT, "remarks": "第一行\n第二行\t完"}
    response = env.api.post("/api/v1/ledger/projects", json=body, headers=env.headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["item"]["remarks"] == "第一行\n第二行\t完"


@pytest.mark.parametrize("depth", [33, 5_000, 100_000])
def test_json_nested_past_the_limit_is_refused_not_a_500(env: Env, depth: int):
    """JSON 100,000 levels deep was a 500 (RecursionError in the decoder); past 32 levels
    (no form of ours needs more) it is a 422 with a Chinese message, nothing read or written."""
    body = "[" * depth + "1" + "]" * depth
    before = _row_counts()
    db.session.commit()
    with statements() as sent:
        response = env.api.post(
            "/api/v1/ledger/projects",
            data=body,
            content_type="application/json",
            headers=env.headers,
        )
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert (
        response.get_json()["message"] == "请求内容的嵌套层数超过 32 层，无法处理，请检查后重试。"
    )
    assert sent == [] and _row_counts() == before


def test_json_nested_within_the_limit_reaches_the_field_rules(env: Env):
    """Not vacuous: 32 levels pass the edge, and the ledger's field rule then refuses a list
    where text belongs (it was stored as its Python repr, "[[['x']]]")."""
    body = {**PROJECT, "remarks": json.loads("[" * 31 + '"x"' + "]" * 31)}  # 32 deep in all
    response = env.api.post("/api/v1/ledger/projects", json=body, headers=env.headers)
    assert response.status_code == 422, response.get_json()
    assert "嵌套层数" not in response.get_json()["message"]
    assert "应为文字" in str(response.get_json()["errors"])


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nvalue",
        b'Content-Disposition: form-data; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4",
    ],
)
def test_a_multipart_part_without_a_name_is_refused_not_a_500(env: Env, part: bytes):
    """Found by the fuzz on the evidence upload: a multipart part with no name reached the edge
    rule as a ``None`` key (TypeError, 500).  It is a 422 on every route, before any SQL."""
    body = (
        b"--B\r\n"
        + part
        + b'\r\n--B\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--B--\r\n'
    )
    before = _row_counts()
    db.session.commit()
    for url in ("/api/v1/assessment/units/1/evidence", "/api/v1/ledger/projects/import"):
        with statements() as sent:
            response = env.api.post(
                url, data=body, content_type="multipart/form-data; boundary=B", headers=env.headers
            )
        assert response.status_code == 422, (url, response.get_data(as_text=True)[:300])
        assert response.get_json()["message"] == "请求中有未命名的表单字段或文件，请检查后重试。"
        assert sent == []
    assert _row_counts() == before
