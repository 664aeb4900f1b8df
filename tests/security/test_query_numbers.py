"""Numbers in query strings past what a list can hold (found from outside: ``?page=10**25`` on
the users and notifications pages was a 500, the OFFSET overflowing SQLite's integer).

The sweep sends every GET page and API operation without path arguments the usual numeric
query arguments far too large, negative and not numbers, as an administrator, an auditor and a
county clerk: each answers, never a 500.  Pages read their page number with
``webapp.web.page_arg``; the API's schemas bound theirs (``core.schemas.MAX_PAGE``)."""

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
