"""Expectations for the statistics' routes: they only compute (checks of figures, comparison
of a frozen snapshot with the live figures), so they write nothing; a unit outside the user's
subtree is refused (and the refusal recorded)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.audit.routes import Case, Env, Route

COUNTY, OTHER = "410102", "410103"
PERIOD = "2026Q2"
_COMPUTES = "it only computes and shows figures: nothing is stored"


def _frozen(code: str = COUNTY) -> dict[str, Any]:
    from webapp.stats.compute import freeze_tables

    return json.loads(json.dumps(freeze_tables(code, PERIOD), default=str))


def clerk(api: bool = False, snapshot_of: str = COUNTY) -> Callable[[Env], None]:
    """A county clerk signs in; ``env.data["snapshot"]`` is a snapshot of ``snapshot_of``."""

    def run(env: Env) -> None:
        env.data["snapshot"] = _frozen(snapshot_of)
        if api:
            env.data["headers"] = env.api_token("clerk", COUNTY)
        else:
            env.logged_in("clerk", COUNTY)

    return run


def compare_page(text: Callable[[Env], str]) -> Callable[[Env], Any]:
    return lambda env: env.post_form("/stats/compare", {"snapshot": text(env)})


def api_post(path: str, body: Callable[[Env], dict[str, Any]]) -> Callable[[Env], Any]:
    return lambda env: env.client.post(path, json=body(env), headers=env.data["headers"])


def _table5(env: Env) -> dict[str, Any]:
    return {"table": env.data["snapshot"]["tables"]["table5"]}


EXPECTATIONS: dict[str, Route] = {
    "POST stats.compare": Route(
        cases=(
            Case(
                "compare a snapshot",
                setup=clerk(),
                exercise=compare_page(lambda env: json.dumps(env.data["snapshot"])),
                no_audit=_COMPUTES,
                status=200,
            ),
            Case(
                "not a snapshot",
                setup=clerk(),
                exercise=compare_page(lambda env: "{not json"),
                no_audit=_COMPUTES,
                status=422,
            ),
            Case(
                "another county's snapshot",
                setup=clerk(snapshot_of=OTHER),
                exercise=compare_page(lambda env: json.dumps(env.data["snapshot"])),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_stats.compare": Route(
        cases=(
            Case(
                "compare",
                setup=clerk(api=True),
                exercise=api_post(
                    "/api/v1/stats/compare", lambda env: {"snapshot": env.data["snapshot"]}
                ),
                no_audit=_COMPUTES,
                status=200,
            ),
            Case(
                "another county's snapshot",
                setup=clerk(api=True, snapshot_of=OTHER),
                exercise=api_post(
                    "/api/v1/stats/compare", lambda env: {"snapshot": env.data["snapshot"]}
                ),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_stats.checks": Route(
        cases=(
            Case(
                "check figures",
                setup=clerk(api=True),
                exercise=api_post("/api/v1/stats/checks", _table5),
                no_audit=_COMPUTES,
                status=200,
            ),
            Case(
                "figures of the wrong shape",
                setup=clerk(api=True),
                exercise=api_post("/api/v1/stats/checks", lambda env: {"table": {"rows": 5}}),
                no_audit=_COMPUTES,
                status=422,
            ),
        )
    ),
}
