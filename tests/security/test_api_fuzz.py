"""Schemathesis against /api/v1/openapi.json: generated requests, authenticated as a user with
every staff role at a county, find no 500, no response that breaks the documented schema and no
refusal that is not in Chinese (tests/security/test_chinese_refusals.py).

The run is deterministic (the Hypothesis profile of tests/conftest.py: derandomized, no example
database) and bounded by HQR_FUZZ_EXAMPLES (default 25 per operation) so that the suite stays
fast; ``make fuzz`` runs it with fresh randomness and more examples.  (Schemathesis' own pytest
plugin does not run on pytest 9, so each operation's strategy is driven by Hypothesis directly.)
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.conftest import TEST_PASSWORD
from tests.security.test_chinese_refusals import CODES, english


def test_the_suite_runs_hypothesis_derandomized():
    """Every run replays the same examples (issue 13: a random run failed once and was gone);
    ``make fuzz`` (``HYPOTHESIS_PROFILE=random``) is the random run, and is really random."""
    random_run = os.environ.get("HYPOTHESIS_PROFILE", "ci") == "random"
    assert settings.default.derandomize is not random_run
    assert settings.default.database is None


CHECKS = [content_type_conformance, response_schema_conformance]

#: Every input a random run (``make fuzz``, or a failure anywhere) finds goes into this list, as
#: it was found, so that each later run replays it.  Hypothesis' ``@example`` does not fit here:
#: the strategies are built per operation at run time.  (method, path, path parameters, query)
REGRESSIONS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    # Issue 13: a NUL in a query parameter reached PostgreSQL, which refuses it in text (500).
    ("GET", "/api/v1/audit/reporting", {}, {"year": 2026, "org": "\x00"}),
    ("GET", "/api/v1/audit/reporting", {}, {"year": 2026, "org": "4101\x0002"}),
    ("GET", "/api/v1/reports", {}, {"org": "\x00"}),
    ("GET", "/api/v1/reports", {}, {"under": "\x00"}),
    ("GET", "/api/v1/reports", {}, {"period": "2026Q3\x00"}),
    ("GET", "/api/v1/reports", {}, {"state": "\x00"}),
    # Found while fixing issue 13: a role refused on a path holding a NUL was audited with that
    # path, and the audit record's INSERT failed on PostgreSQL (500).
    ("GET", "/api/v1/workflows/{key}/compare", {"key": "\x00"}, {"old": 1, "new": 2}),
]


@pytest.fixture
def fuzz_headers(client, make_user) -> dict[str, str]:
    make_user(["clerk", "reviewer", "leader"], "410102", username="fuzzer")
    token = client.post(
        "/api/v1/auth/tokens", json={"username": "fuzzer", "password": TEST_PASSWORD}
    ).get_json()
    return {"Authorization": f"Bearer {token['token']}"}


def test_api_never_errors_and_keeps_its_schema(app, fuzz_headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 2
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(suppress_health_check=list(HealthCheck))
        def fuzz(case):  # noqa: ANN001
            response = case.call(headers=fuzz_headers)
            assert response.status_code < 500, f"{operation.label}: {response.text[:300]}"
            case.validate_response(response, checks=CHECKS)
            if 400 <= response.status_code < 500:  # a refusal says why, in Chinese
                body = response.json()
                assert body["code"] in CODES and not english(body), f"{operation.label}: {body}"

        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.label}: {exc}")
    assert failures == []


@pytest.mark.parametrize(
    ("method", "path", "path_parameters", "query"),
    REGRESSIONS,
    ids=[f"{m} {p} {pp | q}" for m, p, pp, q in REGRESSIONS],
)
def test_inputs_found_by_fuzzing_stay_fixed(
    app, fuzz_headers, method, path, path_parameters, query
):
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method]
    case = operation.Case(path_parameters=path_parameters, query=query)
    response = case.call(headers=fuzz_headers)
    assert response.status_code == 422, response.text[:300]
    assert "不允许的控制字符" in response.json()["message"]
    case.validate_response(response, checks=CHECKS)
