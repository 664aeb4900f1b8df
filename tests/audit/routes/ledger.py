"""Expectations for the ledger's routes: record forms, delete, Excel import (pages and API)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from tests.audit.routes import Case, Env, Route
from tests.ledger.helpers import project_row, workbook
from webapp.extensions import db

COUNTY = "410102"

PROJECT = {
    "registration_no": "P-1",
    "name": "审计工程",
    "structure_type": "框架",
    "area_m2": "1000",
    "cost_10k_yuan": "300",
    "registered_on": "2026-07-01",
}
#: The page form posts every field (blank choices as "").
PROJECT_FORM = {
    **PROJECT,
    "org_code": COUNTY,
    "user_rating": "",
    "acceptance_result": "",
    "filing_result": "",
}
ACCIDENT = {
    "occurred_on": "2026-07-02",
    "project_name": "审计工程",
    "deaths": 0,
    "serious_injuries": 1,
    "loss_10k_yuan": "12.5",
}


def _project(env: Env, code: str = COUNTY) -> int:
    from webapp.ledger.fields import KINDS
    from webapp.ledger.operations import save_record

    owner = env.make_user("clerk", code, f"owner_{code}")
    saved = save_record(owner, KINDS["projects"], env.org(code), dict(PROJECT))
    db.session.commit()
    return int(saved.record.id)


def with_project(
    role: str = "clerk", code: str = COUNTY, api: bool = False
) -> Callable[[Env], None]:
    """A county project ``env.data["project"]``; then ``role`` of ``code`` signs in."""

    def run(env: Env) -> None:
        env.data["project"] = _project(env)
        signed_in(role, code, api)(env)

    return run


def signed_in(role: str = "clerk", code: str = COUNTY, api: bool = False) -> Callable[[Env], None]:
    def run(env: Env) -> None:
        if api:
            env.data["headers"] = env.api_token(role, code, f"{role}_{code}")
        else:
            env.logged_in(role, code, f"{role}_{code}")

    return run


def _xlsx(rows: list[dict[str, Any]]) -> io.BytesIO:
    return io.BytesIO(workbook(rows))


def import_page(rows: list[dict[str, Any]]) -> Callable[[Env], Any]:
    def run(env: Env) -> Any:
        token = env.csrf("/ledger/projects/import")
        return env.client.post(
            "/ledger/projects/import",
            data={"csrf_token": token, "org_code": COUNTY, "file": (_xlsx(rows), "台账.xlsx")},
            content_type="multipart/form-data",
        )

    return run


def import_api(rows: list[dict[str, Any]]) -> Callable[[Env], Any]:
    def run(env: Env) -> Any:
        return env.client.post(
            f"/api/v1/ledger/projects/import?org={COUNTY}",
            data={"file": (_xlsx(rows), "台账.xlsx")},
            headers=env.data["headers"],
            content_type="multipart/form-data",
        )

    return run


def edit_page(**changes: Any) -> Callable[[Env], Any]:
    def run(env: Env) -> Any:
        url = f"/ledger/projects/{env.data['project']}"
        return env.post_form(url, {**PROJECT_FORM, **changes})

    return run


def api_call(method: str, path: str, body: dict[str, Any] | None = None) -> Callable[[Env], Any]:
    def run(env: Env) -> Any:
        url = path.format(**env.data)
        return env.client.open(url, method=method, json=body, headers=env.data["headers"])

    return run


_INVALID = "it only fails validation: nothing is saved"

EXPECTATIONS: dict[str, Route] = {
    # Pages ------------------------------------------------------------------------------------
    "POST ledger.new": Route(
        cases=(
            Case(
                "create",
                setup=signed_in(),
                exercise=lambda env: env.post_form("/ledger/projects/new", PROJECT_FORM),
                writes=("ledger.projects.create",),
                status=302,
            ),
            Case(
                "invalid area",
                setup=signed_in(),
                exercise=lambda env: env.post_form(
                    "/ledger/projects/new", {**PROJECT_FORM, "area_m2": "0"}
                ),
                no_audit=_INVALID,
                status=422,
            ),
            Case(
                "a reviewer reads but does not keep ledgers",
                setup=signed_in("reviewer"),
                exercise=lambda env: env.post_form(
                    "/ledger/projects/new", PROJECT_FORM, token_from="/ledger/projects/"
                ),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST ledger.edit": Route(
        cases=(
            Case(
                "edit",
                setup=with_project(),
                exercise=edit_page(name="改名工程", area_m2="1200"),
                writes=("ledger.projects.update",),
                status=302,
            ),
            Case(
                "saved unchanged",
                setup=with_project(),
                exercise=edit_page(),
                no_audit="nothing changed: the record is left as it was",
                status=302,
            ),
            Case(
                "another county's clerk",
                setup=with_project("clerk", "410103"),
                exercise=lambda env: env.post_form(
                    f"/ledger/projects/{env.data['project']}", PROJECT_FORM, token_from="/"
                ),
                writes=("permission.denied",),
                status=404,  # another unit's object: answered as a missing one
            ),
        )
    ),
    "POST ledger.delete": Route(
        cases=(
            Case(
                "delete",
                setup=with_project(),
                exercise=lambda env: env.post_form(
                    f"/ledger/projects/{env.data['project']}/delete",
                    {},
                    token_from=f"/ledger/projects/{env.data['project']}",
                ),
                writes=("ledger.projects.delete",),
                status=302,
            ),
            Case(
                "another county's clerk",
                setup=with_project("clerk", "410103"),
                exercise=lambda env: env.post_form(
                    f"/ledger/projects/{env.data['project']}/delete", {}, token_from="/"
                ),
                writes=("permission.denied",),
                status=404,  # another unit's object: answered as a missing one
            ),
        )
    ),
    "POST ledger.import_page": Route(
        cases=(
            Case(
                "import",
                setup=signed_in(),
                exercise=import_page([project_row("I-1"), project_row("I-2")]),
                writes=("ledger.projects.import",),
                status=200,
            ),
            Case(
                "a bad cell",
                setup=signed_in(),
                exercise=import_page([project_row("I-1", 住宅="maybe")]),
                no_audit="all or nothing: a bad row imports nothing",
                status=422,
            ),
        )
    ),
    # API --------------------------------------------------------------------------------------
    "POST api_ledger.create": Route(
        cases=(
            Case(
                "create a project",
                setup=signed_in(api=True),
                exercise=api_call("POST", "/api/v1/ledger/projects", PROJECT),
                writes=("ledger.projects.create",),
                status=201,
            ),
            Case(
                "create an accident",
                setup=signed_in(api=True),
                exercise=api_call("POST", "/api/v1/ledger/accidents", ACCIDENT),
                writes=("ledger.accidents.create",),
                status=201,
            ),
            Case(
                "invalid",
                setup=signed_in(api=True),
                exercise=api_call("POST", "/api/v1/ledger/projects", {**PROJECT, "area_m2": -1}),
                no_audit=_INVALID,
                status=422,
            ),
            Case(
                "outside the clerk's subtree",
                setup=signed_in(api=True),
                exercise=api_call("POST", "/api/v1/ledger/projects", {**PROJECT, "org": "410103"}),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "PUT api_ledger.update": Route(
        cases=(
            Case(
                "update",
                setup=with_project(api=True),
                exercise=api_call(
                    "PUT", "/api/v1/ledger/projects/{project}", {**PROJECT, "name": "新名"}
                ),
                writes=("ledger.projects.update",),
                status=200,
            ),
            Case(
                "another county's clerk",
                setup=with_project("clerk", "410103", api=True),
                exercise=api_call("PUT", "/api/v1/ledger/projects/{project}", PROJECT),
                writes=("permission.denied",),
                status=404,  # another unit's object: answered as a missing one
            ),
        )
    ),
    "DELETE api_ledger.delete": Route(
        cases=(
            Case(
                "delete",
                setup=with_project(api=True),
                exercise=api_call("DELETE", "/api/v1/ledger/projects/{project}"),
                writes=("ledger.projects.delete",),
                status=204,
            ),
            Case(
                "a reviewer",
                setup=with_project("reviewer", api=True),
                exercise=api_call("DELETE", "/api/v1/ledger/projects/{project}"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_ledger.import_file": Route(
        cases=(
            Case(
                "import",
                setup=signed_in(api=True),
                exercise=import_api([project_row("A-1"), project_row("A-2")]),
                writes=("ledger.projects.import",),
                status=200,
            ),
            Case(
                "a bad cell",
                setup=signed_in(api=True),
                exercise=import_api([project_row("A-1", 结构类型="木结构")]),
                no_audit="all or nothing: a bad row imports nothing",
                status=422,
            ),
        )
    ),
}
