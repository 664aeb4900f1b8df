"""Expectations for the routes the year-end assessment's process added (the existing assessment
routes are in assessment.py): the leader returning the ranked results for correction."""

from __future__ import annotations

from tests.assessment.flow_helpers import run_to_ranking
from tests.audit.routes import Case, Env, Route
from webapp.extensions import db


def _ranked(env: Env) -> None:
    """A 附件3 campaign run to its ranking (built once per process, then copied:
    tests/snapshots.py); its id in ``env.data["cid"]``."""
    from tests.snapshots import built

    env.data.update(built("assessment ranked", lambda: _build_ranked(env)))


def _build_ranked(env: Env) -> dict[str, int]:
    from tests.conftest import ROOT
    from webapp.assessment.operations import install_bundled_sheets
    from webapp.engine import deploy_bpmn

    install_bundled_sheets(None)
    for name in ("year_end_self_assessment", "year_end_materials", "year_end_assessment"):
        deploy_bpmn(None, name, (ROOT / "workflows" / f"{name}.bpmn").read_bytes())
    staff = {r: env.make_user(r, "410000") for r in ("admin", "assessor", "reviewer")}
    campaign = run_to_ranking(staff["admin"], staff["assessor"], staff["reviewer"])
    db.session.commit()
    return {"cid": campaign.id}


def _page_leader(env: Env) -> None:
    _ranked(env)
    env.logged_in("leader", "410000")


def _api_leader(env: Env) -> None:
    _ranked(env)
    env.data["headers"] = env.api_token("leader", "410000")


def _page_return(reason: str):  # type: ignore[no-untyped-def]
    def exercise(env: Env):  # type: ignore[no-untyped-def]
        cid = env.data["cid"]
        return env.post_form(
            f"/assessment/campaigns/{cid}/return",
            {"reason": reason},
            token_from=f"/assessment/campaigns/{cid}/ranking",
        )

    return exercise


def _api_return(env: Env):  # type: ignore[no-untyped-def]
    return env.client.post(
        f"/api/v1/assessment/campaigns/{env.data['cid']}/return",
        json={"reason": "开封市评分请复核"},
        headers=env.data["headers"],
    )


EXPECTATIONS: dict[str, Route] = {
    "POST assessment.return_results": Route(
        cases=(
            Case(
                "the leader returns the ranking",
                setup=_page_leader,
                exercise=_page_return("请复核开封市评分"),
                writes=("assessment.results_return",),
                status=302,
            ),
            Case(
                "without a reason",
                setup=_page_leader,
                exercise=_page_return(""),
                no_audit="refused (the opinion is required): nothing changes",
                status=422,
            ),
        )
    ),
    "POST api_assessment.return_results": Route(
        cases=(
            Case(
                "the leader returns the ranking",
                setup=_api_leader,
                exercise=_api_return,
                writes=("assessment.results_return",),
                status=200,
            ),
        )
    ),
}
