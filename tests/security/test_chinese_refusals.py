"""Every refusal speaks Chinese and uses one vocabulary of codes (found from outside).

Testing the API as a client would, bad input came back in the libraries' English: a page number
out of range ("Must be greater than or equal to 1 and less than or equal to 100000."), an array
sent where an object belongs ("Invalid input type."), a body that is not JSON ("Invalid JSON
body."), and the login form's "Field cannot be longer than 64 characters."; and the same
refusal had two codes ("404" from the router, "not_found" from the domain).  The class:
marshmallow's, webargs' and WTForms' default messages, and the HTTP refusals' codes.

The sweep below sends, to every operation of the OpenAPI document, a body of the wrong shape and
every declared property and query parameter with a value of the wrong type, as a user holding
every staff role at a county and as the administrator: every answer below 500 that refuses
must say why in Chinese, in every message it carries, with a code from the vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from marshmallow import Schema, fields, validate

from tests.conftest import TEST_PASSWORD, csrf_token
from webapp.core.messages import INVALID_JSON, VALIDATOR_MESSAGES

CJK = re.compile(r"[\u4e00-\u9fff]")
CODES = {
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "too_large",
    "invalid",
    "too_many_requests",
    "csrf",
    "upload_refused",
    "draft_conflict",
}


def texts(value: Any) -> Iterator[str]:
    """Every string a refusal carries to its reader (dict values, list items; not the keys,
    which name fields, nor a permission refusal's ``action``, a code such as ``ledger.edit``)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "action":
                yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


def english(body: dict[str, Any]) -> list[str]:
    """The refusal's strings with no Chinese in them."""
    shown = [body.get("message"), body.get("errors")]
    return [text for text in texts(shown) if not CJK.search(text)]


def test_marshmallow_defaults_are_chinese_for_every_field_and_validator():
    """A library upgrade that adds an English default fails here, not in front of a clerk."""
    found: list[str] = []
    for name in dir(fields):
        cls = getattr(fields, name)
        if isinstance(cls, type) and issubclass(cls, fields.Field):
            for key, message in cls.__dict__.get("default_error_messages", {}).items():
                if not CJK.search(message):
                    found.append(f"{name}.{key}: {message}")
    for key, message in Schema._default_error_messages.items():
        if not CJK.search(message):
            found.append(f"Schema.{key}: {message}")
    for name in dir(validate):
        cls = getattr(validate, name)
        if isinstance(cls, type) and issubclass(cls, validate.Validator):
            for key, message in vars(cls).items():
                if key.startswith(("message", "default_message")) and not CJK.search(message):
                    found.append(f"{name}.{key}: {message}")
    assert found == [], "\n".join(found)
    assert set(VALIDATOR_MESSAGES) >= {validate.Range, validate.Length, validate.OneOf}


def test_a_range_and_a_length_read_as_chinese_sentences():
    class Probe(Schema):
        page = fields.Integer(validate=validate.Range(1, 100000))
        gt = fields.Integer(validate=validate.Range(0, min_inclusive=False))
        name = fields.String(validate=validate.Length(max=64))

    errors = Probe().validate({"page": 0, "gt": 0, "name": "名" * 65, "x": 1})
    assert errors == {
        "page": ["应大于或等于 1且小于或等于 100000。"],
        "gt": ["应大于 0。"],
        "name": ["长度不能超过 64。"],
        "x": ["不允许的字段。"],
    }


@pytest.fixture
def headers(client, make_user) -> dict[str, dict[str, str]]:
    make_user(["clerk", "reviewer", "leader"], "410102", username="zh_staff")
    make_user("admin", "410000", username="zh_admin")
    make_user(["reviewer", "leader", "assessor", "auditor"], "410000", username="zh_province")

    def bearer(username: str) -> dict[str, str]:
        answer = client.post(
            "/api/v1/auth/tokens", json={"username": username, "password": TEST_PASSWORD}
        ).get_json()
        return {"Authorization": f"Bearer {answer['token']}"}

    return {
        "staff": bearer("zh_staff"),
        "admin": bearer("zh_admin"),
        "province": bearer("zh_province"),
    }


def test_the_refusals_found_from_outside(client, headers):
    staff = headers["staff"]
    bad_json = client.post(
        "/api/v1/instances", data=b"{bad", content_type="application/json", headers=staff
    )
    assert bad_json.status_code == 400
    assert bad_json.get_json() == {
        "code": "bad_request",
        "message": "请求格式不正确。",
        "errors": {"json": [INVALID_JSON]},
    }
    # Python reads NaN and Infinity as numbers; JSON has none: refused as any other bad body
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        body = b'{"process_key": "demo_two_tier", "org_code": "410102", "business_key": "k",'
        body += b' "data": {"x": ' + constant + b"}}"
        refused = client.post(
            "/api/v1/instances", data=body, content_type="application/json", headers=staff
        )
        assert refused.status_code == 400
        assert refused.get_json()["errors"] == {"json": [INVALID_JSON]}
    # refused by the edge before the schema (tests/security/test_json_shapes.py)
    array = client.post("/api/v1/instances", json=[1, 2], headers=staff).get_json()
    assert array["code"] == "bad_request" and array["errors"] == {
        "json": {"_schema": ["提交的数据应为对象（键值对）。"]}
    }
    page = client.get("/api/v1/tasks?page=100001", headers=staff).get_json()
    assert page["errors"] == {"query": {"page": ["应大于或等于 1且小于或等于 100000。"]}}
    missing = client.get("/api/v1/nothing-here", headers=staff)
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    method = client.delete("/api/v1/me", headers=staff)
    assert method.status_code == 405 and method.get_json()["code"] == "method_not_allowed"


def test_the_login_form_refuses_in_chinese(client):
    token = csrf_token(client)
    page = client.post("/login", data={"username": "名" * 65, "password": "x", "csrf_token": token})
    html = page.get_data(as_text=True)
    assert "字段长度不能超过 64 个字符" in html
    assert "Field cannot be longer" not in html


WRONG = {"integer": "x", "number": "x", "boolean": "x", "array": 1, "object": 1, "string": [1]}


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, operation


def _url(path: str, operation: dict[str, Any]) -> str:
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            kind = param.get("schema", {}).get("type")
            path = path.replace("{" + param["name"] + "}", "1" if kind == "integer" else "x")
    return re.sub(r"\{[^}]+\}", "1", path)  # parameters declared on the path item


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _requests(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, url, keyword arguments of the test client's call) of every bad request."""
    for method, path, operation in _operations(spec):
        url = _url(path, operation)
        for param in operation.get("parameters", []):
            kind = param.get("schema", {}).get("type")
            if param["in"] == "query" and kind in WRONG and kind != "string":
                yield method, url, {"query_string": {param["name"]: WRONG[kind]}}
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        yield method, url, {"data": b"{not json", "content_type": "application/json"}
        yield method, url, {"json": [1]}
        body = _resolve(spec, content["application/json"]["schema"])
        wrong = {
            name: WRONG[prop["type"]]
            for name, prop in body.get("properties", {}).items()
            if prop.get("type") in WRONG and not prop.get("readOnly")
        }
        if wrong:
            yield method, url, {"json": wrong}


def test_every_operation_refuses_bad_input_in_chinese(client, headers):
    spec = client.get("/api/v1/openapi.json").get_json()
    requests = list(_requests(spec))
    assert len(requests) > 100  # the sweep reaches the whole API
    found: list[str] = []
    refused = 0
    for who, auth in headers.items():
        for method, url, kwargs in requests:
            answer = getattr(client, method)(url, headers=auth, **kwargs)
            label = f"{who} {method.upper()} {url} {kwargs}"
            assert answer.status_code < 500, f"{label}: {answer.get_data(as_text=True)[:300]}"
            if answer.status_code < 400:
                continue
            refused += 1
            body = answer.get_json()
            if body.get("code") not in CODES:
                found.append(f"{label}: code {body.get('code')!r}")
            found += [f"{label}: {text!r}" for text in english(body)]
    assert refused > 100
    assert found == [], "\n".join(found)
