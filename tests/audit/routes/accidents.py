"""Expectations for the accident routes: 首报, 续报 and the conclusion (pages and API).

The chain's steps are engine tasks (``api_tasks.complete``, in engine.py).
"""

from __future__ import annotations

from typing import Any

from tests.audit.routes import Case, Env, Route
from tests.conftest import ROOT
from webapp.core import clock
from webapp.extensions import db

COUNTY, CITY = "410102", "410100"


def _body() -> dict[str, Any]:
    from tests.accidents.conftest import body

    return body()


def _form() -> dict[str, Any]:
    data = {k: v for k, v in _body().items() if k not in ("units", "under_control")}
    return {
        **data,
        "occurred_at": "2026-05-01T14:10",
        "received_at": "2026-05-01T14:40",
        "units": "郑州建设集团有限公司\n河南监理有限公司",
        "under_control": "1",
    }


def _ready(env: Env) -> None:
    from tests.accidents.conftest import at
    from webapp.engine import deploy_bpmn

    clock.set_now(at("2026-05-01 15:00"))
    deploy_bpmn(None, None, (ROOT / "workflows" / "accident_report.bpmn").read_bytes())
    db.session.commit()


def _with_accident(env: Env) -> None:
    from webapp.accidents.operations import record_accident

    _ready(env)
    clerk = env.make_user("clerk", COUNTY, "acc_clerk")
    env.data["accident"] = record_accident(clerk, env.org(COUNTY), _body()).id
    db.session.commit()


def _page_as(role: str, code: str, accident: bool = True) -> Any:
    def setup(env: Env) -> None:
        (_with_accident if accident else _ready)(env)
        env.logged_in(role, code, username=f"{role}_page_{code}")

    return setup


def _api_as(role: str, code: str, accident: bool = True) -> Any:
    def setup(env: Env) -> None:
        (_with_accident if accident else _ready)(env)
        env.data["headers"] = env.api_token(role, code, username=f"{role}_api_{code}")
        env.client.delete_cookie("session")

    return setup


def _detail(env: Env) -> str:
    return f"/accidents/{env.data['accident']}"


EXPECTATIONS: dict[str, Route] = {
    "POST accidents.new": Route(
        cases=(
            Case(
                "a county clerk reports an accident",
                setup=_page_as("clerk", COUNTY, accident=False),
                exercise=lambda env: env.post_form("/accidents/new", _form()),
                writes=("accident.record",),
                status=302,
            ),
            Case(
                "a time in the future is refused, nothing saved",
                setup=_page_as("clerk", COUNTY, accident=False),
                exercise=lambda env: env.post_form(
                    "/accidents/new", {**_form(), "occurred_at": "2026-05-02T08:00"}
                ),
                no_audit="refused: nothing is saved",
                status=422,
            ),
            Case(
                "refused for a reviewer",
                setup=_page_as("reviewer", COUNTY, accident=False),
                exercise=lambda env: env.post_form("/accidents/new", _form(), token_from="/"),
                writes=("permission.denied",),
                status=403,
            ),
        ),
    ),
    "POST accidents.followup": Route(
        cases=(
            Case(
                "续报 adds an injured person",
                setup=_page_as("clerk", COUNTY),
                exercise=lambda env: env.post_form(
                    f"{_detail(env)}/followups", {"serious_injuries": "3"}, token_from=_detail(env)
                ),
                writes=("accident.followup",),
                status=302,
            ),
            Case(
                "refused for the city's clerk",
                setup=_page_as("clerk", CITY),
                exercise=lambda env: env.post_form(
                    f"{_detail(env)}/followups", {"serious_injuries": "3"}, token_from="/"
                ),
                writes=("permission.denied",),
                status=403,
            ),
        ),
    ),
    "POST accidents.conclude": Route(
        cases=(
            Case(
                "the city records the conclusion of a 较大 accident",
                setup=_page_as("reviewer", CITY),
                exercise=lambda env: env.post_form(
                    f"{_detail(env)}/conclusion",
                    {"conclusion": "调查结论"},
                    token_from=_detail(env),
                ),
                writes=("accident.conclude",),
                status=302,
            ),
            Case(
                "refused for the county's reviewer",
                setup=_page_as("reviewer", COUNTY),
                exercise=lambda env: env.post_form(
                    f"{_detail(env)}/conclusion", {"conclusion": "调查结论"}, token_from="/"
                ),
                writes=("permission.denied",),
                status=403,
            ),
        ),
    ),
    "POST api_accidents.create": Route(
        cases=(
            Case(
                "a county clerk reports through the API",
                setup=_api_as("clerk", COUNTY, accident=False),
                exercise=lambda env: env.call("POST", "/api/v1/accidents", _body()),
                writes=("accident.record",),
                status=201,
            ),
            Case(
                "refused for a reviewer",
                setup=_api_as("reviewer", COUNTY, accident=False),
                exercise=lambda env: env.call("POST", "/api/v1/accidents", _body()),
                writes=("permission.denied",),
                status=403,
            ),
        ),
    ),
    "POST api_accidents.followup": Route(
        cases=(
            Case(
                "续报 through the API",
                setup=_api_as("clerk", COUNTY),
                exercise=lambda env: env.call(
                    "POST", "/api/v1/accidents/{accident}/followups", {"deaths": 4}
                ),
                writes=("accident.followup",),
                status=201,
            ),
            Case(
                "deaths lowered without a reason: refused, nothing saved",
                setup=_api_as("clerk", COUNTY),
                exercise=lambda env: env.call(
                    "POST", "/api/v1/accidents/{accident}/followups", {"deaths": 1}
                ),
                no_audit="refused: nothing is saved",
                status=422,
            ),
        ),
    ),
}
