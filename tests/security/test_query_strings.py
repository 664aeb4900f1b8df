"""Query strings a page does not expect (found from outside).

Numbers past what a list can hold: ``?page=10**25`` on the users and notifications pages was a
500, the OFFSET overflowing SQLite's integer.

The sweep sends every GET page and API operation without path arguments the usual numeric
query arguments far too large, negative and not numbers, as an administrator, an auditor and a
county clerk: each answers, never a 500.  Pages read their page number with
``webapp.web.page_arg``; the API's schemas bound theirs (``core.schemas.MAX_PAGE``).

Names ``url_for`` reads itself: the public portal's records (no login) and the ledger lists
carry their query string into their links, so ``?endpoint=x`` or ``?record_id=5`` was a 500 and
``?_external=1&_scheme=javascript`` made the objection form's action a ``javascript:`` URL.
Pages carry it with ``webapp.web.link_args``."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import login

#: The numeric query arguments our lists and pages read.
NUMERIC_ARGS = ("page", "per_page", "year", "version", "new", "old", "limit", "size")
VALUES = ("9" * 25, "-1", "1e999", "NaN")


def _get_routes(app: Flask) -> list[str]:
    return sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or ())
            and not rule.arguments
            and not rule.rule.startswith(("/static", "/healthz"))
            and rule.endpoint != "static"
        }
    )


@pytest.mark.parametrize(
    ("role", "org"), [("admin", "410000"), ("auditor", "410000"), ("clerk", "410102")]
)
def test_no_page_answers_500_to_numbers_out_of_range(app, make_user, role, org):
    user = make_user(role, org)
    client = app.test_client()
    assert login(client, user.username).status_code == 302
    routes = _get_routes(app)
    assert "/admin/users" in routes and "/notifications/" in routes  # the two found
    failures = []
    for path in routes:
        for value in VALUES:
            query = {name: value for name in NUMERIC_ARGS}
            response = client.get(path, query_string=query)
            if response.status_code >= 500:
                failures.append(f"{path}?…={value}: {response.status_code}")
    assert failures == [], "\n".join(failures)


def _url_for_keys(app: Flask) -> dict[str, str]:
    """Every path parameter name of the product, and url_for's own keys."""
    keys = {name: "1" for rule in app.url_map.iter_rules() for name in rule.arguments}
    return {**keys, "endpoint": "x", "values": "x", "_external": "1", "_scheme": "javascript",
            "_anchor": "x", "_method": "POST"}  # fmt: skip


@pytest.mark.parametrize("role", [None, "clerk"])
def test_no_page_fails_on_url_for_names_in_its_query(app, make_user, role):
    client = app.test_client()
    if role:
        assert login(client, make_user(role, "410102").username).status_code == 302
    routes = _get_routes(app) + ["/ledger/projects/", "/ledger/accidents/"]
    query = _url_for_keys(app)
    failures = []
    for path in routes:
        response = client.get(path, query_string=query)
        said = response.data + response.headers.get("Location", "").encode()
        if response.status_code >= 500 or b"javascript:" in said:
            failures.append(f"{path}: {response.status_code}")
    assert failures == [], "\n".join(failures)
