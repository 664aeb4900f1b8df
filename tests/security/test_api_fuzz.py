"""Schemathesis against /api/v1/openapi.json: generated requests, authenticated as a user with
every staff role at a county, find no 500 and no response that breaks the documented schema.

The number of examples per operation is bounded (HQR_FUZZ_EXAMPLES, default 25) so that the
suite stays fast; raise it locally to fuzz harder.  (Schemathesis' own pytest plugin does not
run on pytest 9, so each operation's strategy is driven by Hypothesis directly.)
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.conftest import TEST_PASSWORD

EXAMPLES = int(os.environ.get("HQR_FUZZ_EXAMPLES", "25"))


def test_api_never_errors_and_keeps_its_schema(app, client, make_user):
    make_user(["clerk", "reviewer", "leader"], "410102", username="fuzzer")
    token = client.post(
        "/api/v1/auth/tokens", json={"username": "fuzzer", "password": TEST_PASSWORD}
    ).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 2
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):  # noqa: ANN001
            response = case.call(headers=headers)
            assert response.status_code < 500, f"{operation.label}: {response.text[:300]}"
            case.validate_response(
                response, checks=[content_type_conformance, response_schema_conformance]
            )

        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {exc}")
    assert failures == []
