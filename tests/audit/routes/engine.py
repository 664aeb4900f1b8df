"""Expectations for the engine's routes: task buttons (pages and API) and the retry of an
instance in error, each exercised on the two-tier demo process (workflows/demo_two_tier.bpmn:
填报 clerk@self → 县级审核 reviewer@self → 市级接收 reviewer@parent)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import update

from tests.audit.routes import Case, Env, Route
from webapp.extensions import db

DEMO = Path(__file__).resolve().parents[3] / "workflows" / "demo_two_tier.bpmn"
COUNTY, CITY = "410102", "410100"


def _demo(
    env: Env, stage: str = "prepare", actor: tuple[str, str] = ("clerk", COUNTY), api: bool = False
) -> None:
    """Deploy and start the demo for the county, advance it to ``stage`` ("prepare", "review",
    "claimed" by the county reviewer), then sign the acting user in: a page session, or with
    ``api`` a bearer token in ``env.data["headers"]``.

    ``env.data``: ``instance``, ``prepare`` (the first task), ``review`` (when reached), and
    the ids of ``clerk``, ``reviewer``, ``reviewer2`` (both county reviewers), ``city``, ``admin``.
    """
    from webapp.engine import claim, complete_task, deploy_bpmn, start_instance
    from webapp.engine.queries import current_tasks

    users = {
        "clerk": ("clerk", COUNTY, "clerk_410102"),
        "reviewer": ("reviewer", COUNTY, "reviewer_410102"),
        "reviewer2": ("reviewer", COUNTY, "reviewer2_410102"),
        "city": ("reviewer", CITY, "reviewer_410100"),
        "admin": ("admin", "410000", "admin_410000"),
    }
    made = {k: env.make_user(role, code, name) for k, (role, code, name) in users.items()}
    deploy_bpmn(None, None, DEMO.read_bytes())
    instance = start_instance(made["clerk"], "demo_two_tier", env.org(COUNTY), "audit:demo")
    db.session.commit()
    env.data.update({k: u.id for k, u in made.items()}, instance=instance.id)
    [first] = current_tasks(instance)
    env.data["prepare"] = first.id
    if stage in ("review", "claimed"):
        complete_task(made["clerk"], first.id, "submit", data={"title": "一季度"})
        [review] = current_tasks(instance)
        env.data["review"] = review.id
        if stage == "claimed":
            claim(made["reviewer"], review.id)
    db.session.commit()
    username = next(name for role, code, name in users.values() if (role, code) == actor)
    env.sign_in(username, api)


def setup(
    stage: str, actor: tuple[str, str] = ("clerk", COUNTY), api: bool = False
) -> Callable[[Env], None]:
    return lambda env: _demo(env, stage, actor, api)


def _error_instance(env: Env, api: bool = False) -> None:
    """An instance in error (as after a failed service task), resumable by a retry."""
    from webapp.engine.models import ProcessInstance

    _demo(env, "prepare", ("admin", "410000"), api)
    db.session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id == env.data["instance"])
        .values(state="error", error="服务任务 demo 执行失败：外部系统不可用")
    )
    db.session.commit()


def page(path: str, data: Callable[[Env], dict[str, Any]] | None = None) -> Callable[[Env], Any]:
    """POST a task button's form; ``{task}``, ``{review}``, ``{instance}`` name ids."""

    def run(env: Env) -> Any:
        url = path.format(**env.data)
        return env.post_form(url, data(env) if data else {}, token_from="/tasks/")

    return run


def api(path: str, body: Callable[[Env], dict[str, Any]] | None = None) -> Callable[[Env], Any]:
    def run(env: Env) -> Any:
        url = path.format(**env.data)
        return env.client.post(url, json=body(env) if body else {}, headers=env.data["headers"])

    return run


REVIEWER = ("reviewer", COUNTY)
CITY_REVIEWER = ("reviewer", CITY)
ADMIN = ("admin", "410000")
_FLASHED = "refused with a message on the page (flash): nothing is saved"


def _title(env: Env) -> dict[str, Any]:
    return {"outcome": "submit", "f_title": "一季度分析"}


EXPECTATIONS: dict[str, Route] = {
    # Pages ------------------------------------------------------------------------------------
    "POST engine.claim": Route(
        cases=(
            Case(
                "claim",
                setup=setup("review", REVIEWER),
                exercise=page("/tasks/{review}/claim"),
                writes=("task.claim",),
                status=302,
            ),
            Case(
                "another unit's task",
                setup=setup("review", CITY_REVIEWER),
                exercise=page("/tasks/{review}/claim"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST engine.unclaim": Route(
        cases=(
            Case(
                "unclaim",
                setup=setup("claimed", REVIEWER),
                exercise=page("/tasks/{review}/unclaim"),
                writes=("task.unclaim",),
                status=302,
            ),
            Case(
                "not claimed",
                setup=setup("review", REVIEWER),
                exercise=page("/tasks/{review}/unclaim"),
                no_audit=_FLASHED,
                status=302,
            ),
        )
    ),
    "POST engine.complete": Route(
        cases=(
            Case(
                "submit",
                setup=setup("prepare"),
                exercise=page("/tasks/{prepare}/complete", _title),
                writes=("task.complete",),
                status=302,
            ),
            Case(
                "missing required field",
                setup=setup("prepare"),
                exercise=page("/tasks/{prepare}/complete", lambda env: {"outcome": "submit"}),
                no_audit="the form is shown again with its errors: nothing is saved",
                status=422,
            ),
            Case(
                "not the holder",
                setup=setup("prepare", REVIEWER),
                exercise=page("/tasks/{prepare}/complete", _title),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST engine.withdraw": Route(
        cases=(
            Case(
                "withdraw while the next step is unclaimed",
                setup=setup("review"),
                exercise=page("/tasks/{prepare}/withdraw"),
                writes=("task.withdraw",),
                status=302,
            ),
            Case(
                "someone else's step",
                setup=setup("review", REVIEWER),
                exercise=page("/tasks/{prepare}/withdraw"),
                writes=("permission.denied",),
                status=403,
            ),
            Case(
                "the next step is claimed",
                setup=setup("claimed"),
                exercise=page("/tasks/{prepare}/withdraw"),
                no_audit=_FLASHED,
                status=302,
            ),
        )
    ),
    "POST engine.transfer": Route(
        cases=(
            Case(
                "to a colleague",
                setup=setup("claimed", REVIEWER),
                exercise=page(
                    "/tasks/{review}/transfer", lambda env: {"user_id": env.data["reviewer2"]}
                ),
                writes=("task.transfer",),
                status=302,
            ),
            Case(
                "to someone without the role",
                setup=setup("claimed", REVIEWER),
                exercise=page(
                    "/tasks/{review}/transfer", lambda env: {"user_id": env.data["clerk"]}
                ),
                no_audit="refused on the task page (422): nothing is saved",
                status=422,
            ),
        )
    ),
    "POST engine.remind": Route(
        cases=(
            Case(
                "the starter reminds the reviewers",
                setup=setup("review"),
                exercise=page("/tasks/{review}/remind", lambda env: {"message": "请尽快审核"}),
                writes=("task.remind",),
                status=302,
            ),
            Case(
                "a holder cannot remind",
                setup=setup("review", REVIEWER),
                exercise=page("/tasks/{review}/remind"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST engine.cc": Route(
        cases=(
            Case(
                "copy to the city",
                setup=setup("review"),
                exercise=page("/tasks/{review}/cc", lambda env: {"username": "reviewer_410100"}),
                writes=("task.cc",),
                status=302,
            ),
            Case(
                "unknown user",
                setup=setup("review"),
                exercise=page("/tasks/{review}/cc", lambda env: {"username": "nobody"}),
                no_audit=_FLASHED,
                status=302,
            ),
        )
    ),
    "POST engine.retry": Route(
        cases=(
            Case(
                "retry an instance in error",
                setup=_error_instance,
                exercise=page("/tasks/admin/instances/{instance}/retry"),
                writes=("workflow.retry",),
                status=302,
            ),
            Case(
                "not in error",
                setup=setup("prepare", ADMIN),
                exercise=page("/tasks/admin/instances/{instance}/retry"),
                no_audit=_FLASHED,
                status=302,
            ),
            Case(
                "not an administrator",
                setup=setup("prepare"),
                exercise=page("/tasks/admin/instances/{instance}/retry"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    # API --------------------------------------------------------------------------------------
    "POST api_tasks.claim": Route(
        cases=(
            Case(
                "claim",
                setup=setup("review", REVIEWER, api=True),
                exercise=api("/api/v1/tasks/{review}/claim"),
                writes=("task.claim",),
                status=200,
            ),
            Case(
                "another unit's task",
                setup=setup("review", CITY_REVIEWER, api=True),
                exercise=api("/api/v1/tasks/{review}/claim"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_tasks.unclaim": Route(
        cases=(
            Case(
                "unclaim",
                setup=setup("claimed", REVIEWER, api=True),
                exercise=api("/api/v1/tasks/{review}/unclaim"),
                writes=("task.unclaim",),
                status=200,
            ),
            Case(
                "not claimed",
                setup=setup("review", REVIEWER, api=True),
                exercise=api("/api/v1/tasks/{review}/unclaim"),
                no_audit="refused (409): nothing is saved",
                status=409,
            ),
        )
    ),
    "POST api_tasks.complete": Route(
        cases=(
            Case(
                "submit",
                setup=setup("prepare", api=True),
                exercise=api(
                    "/api/v1/tasks/{prepare}/complete",
                    lambda env: {"outcome": "submit", "data": {"title": "一季度分析"}},
                ),
                writes=("task.complete",),
                status=200,
            ),
            Case(
                "an outcome the task does not offer",
                setup=setup("prepare", api=True),
                exercise=api(
                    "/api/v1/tasks/{prepare}/complete",
                    lambda env: {"outcome": "approve", "data": {"title": "x"}},
                ),
                no_audit="refused (422): nothing is saved",
                status=422,
            ),
        )
    ),
    "POST api_tasks.withdraw": Route(
        cases=(
            Case(
                "withdraw",
                setup=setup("review", api=True),
                exercise=api("/api/v1/tasks/{prepare}/withdraw"),
                writes=("task.withdraw",),
                status=200,
            ),
            Case(
                "someone else's step",
                setup=setup("review", REVIEWER, api=True),
                exercise=api("/api/v1/tasks/{prepare}/withdraw"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_tasks.transfer": Route(
        cases=(
            Case(
                "to a colleague",
                setup=setup("claimed", REVIEWER, api=True),
                exercise=api(
                    "/api/v1/tasks/{review}/transfer",
                    lambda env: {"user_id": env.data["reviewer2"], "comment": "出差"},
                ),
                writes=("task.transfer",),
                status=200,
            ),
            Case(
                "to someone without the role",
                setup=setup("claimed", REVIEWER, api=True),
                exercise=api(
                    "/api/v1/tasks/{review}/transfer", lambda env: {"user_id": env.data["clerk"]}
                ),
                no_audit="refused (422): nothing is saved",
                status=422,
            ),
        )
    ),
    "POST api_tasks.remind": Route(
        cases=(
            Case(
                "remind",
                setup=setup("review", api=True),
                exercise=api("/api/v1/tasks/{review}/remind", lambda env: {"message": "请尽快"}),
                writes=("task.remind",),
                status=200,
            ),
            Case(
                "a holder cannot remind",
                setup=setup("review", REVIEWER, api=True),
                exercise=api("/api/v1/tasks/{review}/remind"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_tasks.cc": Route(
        cases=(
            Case(
                "copy",
                setup=setup("review", api=True),
                exercise=api(
                    "/api/v1/tasks/{review}/cc", lambda env: {"user_id": env.data["city"]}
                ),
                writes=("task.cc",),
                status=200,
            ),
            Case(
                "no such user",
                setup=setup("review", api=True),
                exercise=api("/api/v1/tasks/{review}/cc", lambda env: {"user_id": 999_999}),
                no_audit="refused (422): nothing is saved",
                status=422,
            ),
        )
    ),
    "POST api_instances.retry": Route(
        cases=(
            Case(
                "retry",
                setup=lambda env: _error_instance(env, api=True),
                exercise=api("/api/v1/instances/{instance}/retry"),
                writes=("workflow.retry",),
                status=200,
            ),
            Case(
                "not an administrator",
                setup=setup("prepare", api=True),
                exercise=api("/api/v1/instances/{instance}/retry"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_instances.start": Route(
        cases=(
            Case(
                "start the demo for the county",
                setup=setup("prepare", api=True),
                exercise=api("/api/v1/instances", lambda env: _start("api:demo")),
                writes=("workflow.start",),
                status=201,
            ),
            Case(
                "start data the start form refuses",
                setup=setup("prepare", api=True),
                exercise=api(
                    "/api/v1/instances", lambda env: _start("api:demo", purpose="事" * 201)
                ),
                no_audit="refused (422): nothing is saved",
                status=422,
            ),
        )
    ),
}


def _start(business_key: str, purpose: str = "两级审批演示") -> dict[str, Any]:
    return {
        "process_key": "demo_two_tier",
        "org_code": COUNTY,
        "business_key": business_key,
        "data": {"purpose": purpose},
    }
