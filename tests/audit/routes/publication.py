"""Expectations for the publication feature's state-changing routes (pages and API).

The public portal and the public API only read (GET): they have no entry here.
"""

from __future__ import annotations

from typing import Any

from tests.audit.routes import Case, Env, Route
from tests.conftest import ROOT
from webapp.core import clock
from webapp.extensions import db

SECTIONS = {"problems": "部分工程备案滞后。", "measures": "开展专项检查。"}
#: Both sections were generated as version 1 when the half year opened.
BASES = {"problems": 1, "measures": 1}
FORM = {**SECTIONS, **{f"base__{k}": v for k, v in BASES.items()}}


def _deploy() -> None:
    from webapp.engine import deploy_bpmn

    deploy_bpmn(None, None, (ROOT / "workflows" / "publication.bpmn").read_bytes())
    db.session.commit()


def _opened(env: Env, with_figures: bool = True, published: bool = False) -> None:
    """2026H2 opened for every unit; 郑州市's two quarters accepted (when with_figures), its
    publication run to the end (when published).  Built once per process, then copied
    (tests/snapshots.py)."""
    from tests.publication.conftest import at
    from tests.snapshots import built

    clock.set_now(at("2027-01-05"))
    key = ("publication", with_figures, published)
    env.data.update(built(key, lambda: _build_opened(env, with_figures, published)))


def _build_opened(env: Env, with_figures: bool, published: bool) -> dict[str, Any]:
    from tests.publication.conftest import accept_quarter, load_records, run_to_publication
    from tests.stats.oracle import load_oracle
    from webapp.publication.operations import find_publication, open_period

    _deploy()
    if with_figures:
        load_oracle()
        load_records()
        accept_quarter("410100", "2026Q3")
        accept_quarter("410100", "2026Q4")
    open_period(None, "2026H2")
    db.session.commit()
    data = {"pub": find_publication(env.org("410100"), "2026H2").id}
    if published:
        run_to_publication("410100", make_user=env.make_user)
        db.session.commit()
    return data


def _as(role: str, with_figures: bool = True) -> Any:
    def setup(env: Env) -> None:
        _opened(env, with_figures)
        env.logged_in(role, "410100", username=f"{role}_web_410100")

    return setup


def _published_as(role: str, day: str) -> Any:
    def setup(env: Env) -> None:
        from tests.publication.conftest import at

        _opened(env, published=True)
        clock.set_now(at(day))
        env.logged_in(role, "410100", username=f"{role}_web_410100")

    return setup


def _token(role: str, with_figures: bool = True, published: str | None = None) -> Any:
    def setup(env: Env) -> None:
        (_published_as(role, published) if published else _as(role, with_figures))(env)
        env.data["headers"] = env.api_token(role, "410100", username=f"{role}_api_410100")
        env.client.delete_cookie("session")  # the API client is not the browser

    return setup


def _page(path: str, data: dict[str, Any]) -> Any:
    return lambda env: env.post_form(
        path.format(pub=env.data["pub"]), data, token_from=f"/publication/{env.data['pub']}"
    )


def _api(method: str, path: str, body: Any = None) -> Any:
    return lambda env: env.client.open(
        path.format(pub=env.data["pub"]), method=method, json=body, headers=env.data["headers"]
    )


def _auditor_api(method: str, path: str, body: Any) -> Any:
    """The auditor's probe with a valid body (the schema is checked before the permission)."""

    def probe(env: Env) -> Any:
        token = env.csrf("/")
        return env.client.open(
            path.format(pub=1), method=method, json=body, headers={"X-CSRFToken": token}
        )

    return probe


def _with_record(env: Env) -> None:
    """郑州市 2026H2 published with the good record it approved (in publicity)."""
    from webapp.publication.models import PublishedRecord

    _published_as("clerk", "2027-01-06")(env)
    env.client.delete_cookie("session")  # the visitor is anonymous
    env.data["record"] = db.session.query(PublishedRecord).one().id


def _objection(env: Env, objector: str) -> Any:
    return env.post_form(
        f"/public/records/{env.data['record']}/objection",
        {
            "objector": objector,
            "objector_kind": "unit",
            "reason": "该记录所述事实与实际不符，请核实。",
        },
        token_from="/public/records",
    )


def _objection_raised(role: str) -> Any:
    def setup(env: Env) -> None:
        from webapp.publication.publicity import raise_objection

        _with_record(env)
        env.data["objection"] = raise_objection(
            env.data["record"], "郑州一建集团有限公司", "unit", "该记录所述事实与实际不符，请核实。"
        ).id
        db.session.commit()
        env.logged_in(role, "410100", username=f"{role}_objection_410100")

    return setup


def _answer(env: Env) -> Any:
    return env.post_form(
        f"/publication/objections/{env.data['objection']}/answer",
        {"outcome": "dismissed", "answer": "经核实，记录属实，继续公示。"},
        token_from="/publication/",
    )


EXPECTATIONS: dict[str, Route] = {
    "POST publication.open_period": Route(
        cases=(
            Case(
                "open a half year",
                setup=lambda env: (_deploy(), env.logged_in("admin", "410000")),
                exercise=lambda env: env.post_form(
                    "/publication/open", {"period": "2026H2"}, token_from="/publication/"
                ),
                writes=("publication.open_period",),
                status=302,
            ),
            Case(
                "refused for a clerk",
                setup=lambda env: env.logged_in("clerk", "410100"),
                exercise=lambda env: env.post_form(
                    "/publication/open", {"period": "2026H2"}, token_from="/publication/"
                ),
                writes=("permission.denied",),
                status=403,
            ),
        ),
    ),
    "POST publication.save_sections": Route(
        cases=(
            Case(
                "save the draft",
                setup=_as("clerk"),
                exercise=_page("/publication/{pub}/sections", FORM),
                writes=("publication.sections_save",),
                status=302,
            ),
            Case(
                "a stale form (no versions): both texts shown to merge",
                setup=_as("clerk"),
                exercise=_page("/publication/{pub}/sections", SECTIONS),
                no_audit="refused (409), nothing saved",
                status=409,
            ),
            Case(
                "refused for the reviewer",
                setup=_as("reviewer"),
                exercise=_page("/publication/{pub}/sections", FORM),
                writes=("permission.denied",),
                status=403,
            ),
        ),
    ),
    "POST publication.regenerate": Route(
        cases=(
            Case(
                "regenerate from accepted figures",
                setup=_as("clerk"),
                exercise=_page("/publication/{pub}/regenerate", {}),
                writes=("publication.regenerate",),
                status=302,
            ),
            Case(
                "quarters not accepted",
                setup=_as("clerk", with_figures=False),
                exercise=_page("/publication/{pub}/regenerate", {}),
                no_audit="it only fails (409): the text is unchanged",
                status=409,
            ),
        ),
    ),
    "POST publication.request_withdrawal": Route(
        cases=(
            Case(
                "after the minimum online period",
                setup=_published_as("clerk", "2027-02-06"),
                exercise=_page("/publication/{pub}/withdrawal", {"reason": "数据需要更正"}),
                writes=("publication.withdraw_request",),
                status=302,
            ),
            Case(
                "inside the minimum online period",
                setup=_published_as("clerk", "2027-02-05"),
                exercise=_page("/publication/{pub}/withdrawal", {"reason": "数据需要更正"}),
                no_audit="refused (409) before anything is written",
                status=409,
            ),
        ),
    ),
    "POST api_publication.open_period": Route(
        cases=(
            Case(
                "open a half year",
                setup=lambda env: (
                    _deploy(),
                    env.data.update(headers=env.api_token("admin", "410000")),
                ),
                exercise=lambda env: env.client.post(
                    "/api/v1/publications/open",
                    json={"period": "2026H2"},
                    headers=env.data["headers"],
                ),
                writes=("publication.open_period",),
                status=200,
            ),
        ),
        probe=_auditor_api("POST", "/api/v1/publications/open", {"period": "2026H2"}),
    ),
    "PUT api_publication.put_sections": Route(
        cases=(
            Case(
                "save the draft",
                setup=_token("clerk"),
                exercise=_api(
                    "PUT",
                    "/api/v1/publications/{pub}/sections",
                    {"sections": SECTIONS, "base_versions": BASES},
                ),
                writes=("publication.sections_save",),
                status=200,
            ),
            Case(
                "unknown section",
                setup=_token("clerk"),
                exercise=_api("PUT", "/api/v1/publications/{pub}/sections", {"sections": {"x": 1}}),
                no_audit="it only fails validation",
                status=422,
            ),
        ),
        probe=_auditor_api("PUT", "/api/v1/publications/{pub}/sections", {"sections": {}}),
    ),
    "POST api_publication.regenerate": Route(
        cases=(
            Case(
                "regenerate",
                setup=_token("clerk"),
                exercise=_api("POST", "/api/v1/publications/{pub}/regenerate"),
                writes=("publication.regenerate",),
                status=200,
            ),
        ),
    ),
    "POST api_publication.request_withdrawal": Route(
        cases=(
            Case(
                "after the minimum online period",
                setup=_token("clerk", published="2027-02-06"),
                exercise=_api(
                    "POST", "/api/v1/publications/{pub}/withdrawal", {"reason": "数据需要更正"}
                ),
                writes=("publication.withdraw_request",),
                status=200,
            ),
            Case(
                "inside the minimum online period",
                setup=_token("clerk", published="2027-01-20"),
                exercise=_api(
                    "POST", "/api/v1/publications/{pub}/withdrawal", {"reason": "数据需要更正"}
                ),
                no_audit="refused (409) before anything is written",
                status=409,
            ),
        ),
        probe=_auditor_api("POST", "/api/v1/publications/{pub}/withdrawal", {"reason": "撤回理由"}),
    ),
    "POST public.objection": Route(
        cases=(
            Case(
                "a named unit objects to a record in publicity (no login)",
                setup=_with_record,
                exercise=lambda env: _objection(env, "郑州一建集团有限公司"),
                writes=("publication.objection_raise",),
                status=302,
            ),
            Case(
                "no name given",
                setup=_with_record,
                exercise=lambda env: _objection(env, ""),
                no_audit="refused on the same page, what was typed kept, nothing saved",
                status=422,
            ),
        ),
        url_args=lambda env: {"record_id": 1},
    ),
    "POST publication.answer_objection": Route(
        cases=(
            Case(
                "the approving tier answers",
                setup=_objection_raised("reviewer"),
                exercise=_answer,
                writes=("publication.objection_answer",),
                status=302,
            ),
            Case(
                "refused for the clerk",
                setup=_objection_raised("clerk"),
                exercise=_answer,
                writes=("permission.denied",),
                status=403,
            ),
        ),
        url_args=lambda env: {"objection_id": 1},
    ),
}
