"""Expectations for the drafted texts' routes: restoring an old version (pages and API).

Saving is each feature's route (reports.py, publication.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.audit.routes import Case, Env, Route
from tests.audit.routes.reports import COUNTY, as_user
from webapp.extensions import db


def _two_versions(env: Env) -> None:
    """中原区's narrative section s01 saved twice by its clerk (versions 1 and 2)."""
    from webapp.reports.operations import get_report, save_narrative

    clerk = env.make_user("clerk", COUNTY, "clerk_versions")
    report = get_report(env.data["report"])
    save_narrative(clerk, report, {"s01": "第一稿"})
    save_narrative(clerk, report, {"s01": "第二稿"})
    db.session.commit()


def page(version: int) -> Callable[[Env], Any]:
    return lambda env: env.post_form(
        f"/drafts/report_narrative/{env.data['report']}/s01/{version}/restore",
        {},
        token_from=f"/drafts/report_narrative/{env.data['report']}/s01/",
    )


def api(version: int) -> Callable[[Env], Any]:
    return lambda env: env.call(
        "POST", f"/api/v1/drafts/report_narrative/{{report}}/s01/versions/{version}/restore"
    )


EXPECTATIONS: dict[str, Route] = {
    "POST drafts.restore": Route(
        cases=(
            Case(
                "the clerk restores version 1",
                setup=as_user("clerk", COUNTY, then=_two_versions),
                exercise=page(1),
                writes=("report.narrative_restore",),
                status=302,
            ),
            Case(
                "the current version needs no restore",
                setup=as_user("clerk", COUNTY, then=_two_versions),
                exercise=page(2),
                no_audit="refused (409): the text would not change",
                status=409,
            ),
            Case(
                "the unit's reviewer reads but may not restore",
                setup=as_user("reviewer", COUNTY, then=_two_versions),
                exercise=page(1),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_drafts.restore": Route(
        cases=(
            Case(
                "the clerk restores version 1",
                setup=as_user("clerk", COUNTY, api=True, then=_two_versions),
                exercise=api(1),
                writes=("report.narrative_restore",),
                status=200,
            ),
            Case(
                "another county's clerk",
                setup=as_user("clerk", "410103", api=True, then=_two_versions),
                exercise=api(1),
                writes=("permission.denied",),
                status=404,  # another unit's object: answered as a missing one
            ),
            Case(
                "no such version",
                setup=as_user("clerk", COUNTY, api=True, then=_two_versions),
                exercise=api(7),
                no_audit="refused (404) before anything is written",
                status=404,
            ),
        )
    ),
}
