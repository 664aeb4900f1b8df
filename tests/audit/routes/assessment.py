"""Expectations for the assessment's routes (pages and API): score sheets, the campaign's
steps, a unit's self-assessment, evidence, site visits, scoring, overrides, ranking, approval.

Each case starts from a campaign advanced through its process (the engine tasks the pages and
the API complete) to the stage it needs (附件3 of 2025 unless said otherwise); 郑州 (410100) is
the unit acted on.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tests.assessment.conftest import fake_candidates, sheet_data
from tests.audit.routes import Case, Env, Route
from webapp.core import clock
from webapp.core.models import User
from webapp.extensions import db

CITY, OTHER_CITY = "410100", "410200"
USERS = {
    "admin": ("admin", "410000"),
    "assessor": ("assessor", "410000"),
    "reviewer": ("reviewer", "410000"),
    "leader": ("leader", "410000"),
    "clerk": ("clerk", CITY),
    "unit_leader": ("leader", CITY),
    "other_clerk": ("clerk", OTHER_CITY),
}
#: Stages in order; each includes the ones before it.
STAGES = (
    "sheets",
    "self",
    "review",
    "submitted",
    "scoring",
    "sampled",
    "scored",
    "ranked",
    "returned",
)


def _name(key: str) -> str:
    role, code = USERS[key]
    return f"{key}_{code}"


def _prepare(env: Env, stage: str, kind: str) -> None:
    """The campaign of ``kind`` advanced to ``stage`` (built once per process, then copied:
    tests/snapshots.py); its ids in ``env.data``."""
    from tests.snapshots import built

    env.data.update(built(("assessment", stage, kind), lambda: _build(env, stage, kind)))


def _build(env: Env, stage: str, kind: str) -> dict[str, Any]:
    from tests.conftest import ROOT
    from webapp.engine import complete_task, deploy_bpmn

    # Opening a campaign on the page or by API starts its process: deploy both workflows.
    for name in ("year_end_assessment", "year_end_self_assessment", "year_end_materials"):
        deploy_bpmn(None, None, (ROOT / "workflows" / f"{name}.bpmn").read_bytes())
    from tests.assessment import flow_helpers as step
    from webapp.assessment import flow, judging, operations

    made = {key: env.make_user(role, code, _name(key)) for key, (role, code) in USERS.items()}
    operations.install_bundled_sheets(None)
    db.session.commit()
    reached = STAGES[: STAGES.index(stage) + 1]
    data: dict[str, Any] = {}
    if "self" not in reached:
        return data
    campaign = flow.start_campaign(made["admin"], kind, 2025)
    db.session.commit()
    units = {u.org.code: u.id for u in campaign.units}
    item = campaign.sheet.parsed().items[0]
    data.update(
        campaign=campaign.id,
        unit=units[CITY],
        other_unit=units[OTHER_CITY],
        sheet=campaign.sheet_id,
        item=item.id,
        points=str(item.points),
    )
    if "review" in reached:  # 附件2 the self-assessment, 附件3 the materials (no self-assessment)
        if kind == "fujian2":
            operations.save_self_assessment(
                made["clerk"], units[CITY], judgments={}, summary="全年工作总结"
            )
        else:  # on time (before 01-31 of the next year): 1.13a is then proposed met
            with clock.moved_to(datetime(2026, 1, 20, 10, tzinfo=clock.LOCAL_TZ)):
                step.send_materials(made["clerk"], units[CITY])
        step.submit_self(made["clerk"], units[CITY])
    if "submitted" in reached:
        step.approve_self(made["unit_leader"], units[CITY], "同意上报")
    if "scoring" in reached:
        step.close_self(made["assessor"], campaign)
    if "sampled" in reached:
        with _ledger_stub():
            sample = flow.draw_sample(made["assessor"], campaign.id, "seed-1")
        db.session.flush()
        data["site"] = next(s.id for u in campaign.units for s in u.sites)
        data["sample"] = sample.id
    if "scored" in reached:  # every 考核评分 done: the process waits at 复核评分表
        for unit_id in units.values():
            judging.score_unit(made["assessor"], unit_id, {})
        province = flow.province_instance(campaign)
        for task in flow.open_tasks(province, "score"):
            complete_task(made["assessor"], task.id, "done")
    if "ranked" in reached:  # every review passed: the process ranked, 审批考核结果 waits
        step.finish_scoring(made["assessor"], made["reviewer"], campaign)
    if "returned" in reached:  # returned for correction: 按审批意见修改评分 waits
        step.return_results(made["leader"], campaign, "请复核")
    db.session.commit()
    return data


def _materials_sent(env: Env) -> None:
    """附件3: the city's clerk uploaded its 工作汇报 and 年度工作计划和总结."""
    from tests.assessment import flow_helpers as step

    clerk = db.session.execute(select(User).filter_by(username=_name("clerk"))).scalar_one()
    step.send_materials(clerk, env.data["unit"])
    db.session.commit()


def at(stage: str, actor: str, api: bool = False, kind: str = "fujian3") -> Callable[[Env], None]:
    """Set up the campaign at ``stage`` and sign in ``actor`` (a key of USERS)."""

    def run(env: Env) -> None:
        _prepare(env, stage, kind)
        env.sign_in(_name(actor), api)

    return run


def leading_assessor(env: Env) -> None:
    """All scored, signed in as a province leader who is also an assessor: the score page, where
    调整得分 is, is the assessors' (a leader alone is refused it)."""
    _prepare(env, "scored", "fujian3")
    env.make_user(["leader", "assessor"], "410000", "leading_assessor_410000")
    env.sign_in("leading_assessor_410000")


def page(path: str, data: Callable[[Env], Any] | None = None, **kw: Any) -> Callable[[Env], Any]:
    """POST a page form; ``{unit}``, ``{campaign}``, ``{site}``... come from ``env.data``."""

    def run(env: Env) -> Any:
        url = path.format(**env.data)
        body = data(env) if data else {}
        token = env.csrf("/assessment/")
        return env.client.post(url, data={**body, "csrf_token": token}, **kw)

    return run


def api(method: str, path: str, body: Callable[[Env], Any] | None = None) -> Callable[[Env], Any]:
    return lambda env: env.call(method, path, body(env) if body else {})


@contextmanager
def _ledger_stub() -> Iterator[None]:
    """The ledger's in-construction projects, faked for the draw (restored afterwards)."""
    from webapp.assessment import sampling

    previous = sampling.candidate_source()
    sampling.set_candidate_source(fake_candidates())
    try:
        yield
    finally:
        sampling.set_candidate_source(previous)


def with_ledger(exercise: Callable[[Env], Any]) -> Callable[[Env], Any]:
    def run(env: Env) -> Any:
        with _ledger_stub():
            return exercise(env)

    return run


def _new_sheet() -> bytes:
    data = sheet_data("fujian2")
    data["year"] = 2027
    return json.dumps(data, ensure_ascii=False).encode()


def _uploaded(stage_actor: str, api_: bool = False) -> Callable[[Env], None]:
    """Sheets installed, a 2027 附件2 sheet uploaded (inactive) as ``env.data["new_sheet"]``."""

    def run(env: Env) -> None:
        from webapp.assessment import operations

        at("sheets", stage_actor, api_)(env)
        admin = db.session.execute(select(User).filter_by(username=_name("admin"))).scalar_one()
        env.data["new_sheet"] = operations.upload_sheet(admin, _new_sheet(), "2027.json").id
        db.session.commit()

    return run


def _future_due() -> str:
    """A due date that has not passed (opening with a past one asks for a new date)."""
    from datetime import timedelta

    from webapp.core import clock

    return (clock.today_local() + timedelta(days=30)).isoformat()


def _override(env: Env) -> dict[str, Any]:
    return {"item_id": env.data["item"], "score": "0", "reason": "现场核查发现问题"}


_FLASHED = "refused with a message on the page (flash): nothing is saved"
_REFUSED = "refused: nothing is saved"
_REFUSED_ON_PAGE = "refused on its own page (422/409, what was typed kept): nothing is saved"
_COMPUTES = "it only computes scores for display: nothing is stored"
_SCORE_FORM = {"summary": "全年工作总结"}

EXPECTATIONS: dict[str, Route] = {
    # Sheets (pages) ---------------------------------------------------------------------------
    "POST assessment.install_sheets": Route(
        cases=(
            Case(
                "install the bundled sheets",
                setup=lambda env: (
                    env.make_user("admin", "410000", "admin_410000"),
                    env.sign_in("admin_410000"),
                ),
                exercise=page("/assessment/sheets/install"),
                writes=("assessment.sheet_load",),
                status=302,
            ),
            Case(
                "already installed",
                setup=at("sheets", "admin"),
                exercise=page("/assessment/sheets/install"),
                no_audit="every bundled sheet is already loaded: nothing to do",
                status=302,
            ),
            Case(
                "not an administrator",
                setup=at("sheets", "assessor"),
                exercise=page("/assessment/sheets/install"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST assessment.upload_sheet": Route(
        cases=(
            Case(
                "upload next year's sheet",
                setup=at("sheets", "admin"),
                exercise=page(
                    "/assessment/sheets/upload",
                    lambda env: {"file": (io.BytesIO(_new_sheet()), "2027.json")},
                    content_type="multipart/form-data",
                ),
                writes=("assessment.sheet_load",),
                status=302,
            ),
            Case(
                "a sheet that does not add up",
                setup=at("sheets", "admin"),
                exercise=page(
                    "/assessment/sheets/upload",
                    lambda env: {"file": (io.BytesIO(b'{"format": 1}'), "bad.json")},
                    content_type="multipart/form-data",
                ),
                no_audit=_FLASHED,
                status=302,
            ),
        )
    ),
    "POST assessment.activate_sheet": Route(
        cases=(
            Case(
                "activate",
                setup=_uploaded("admin"),
                exercise=page("/assessment/sheets/{new_sheet}/activate"),
                writes=("assessment.sheet_activate",),
                status=302,
            ),
            Case(
                "not an administrator",
                setup=_uploaded("assessor"),
                exercise=page("/assessment/sheets/{new_sheet}/activate"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    # Campaign steps (pages) -------------------------------------------------------------------
    "POST assessment.open_campaign": Route(
        cases=(
            Case(
                "open",
                setup=at("sheets", "admin"),
                exercise=page(
                    "/assessment/campaigns",
                    # a due date already past is refused (a new one is asked for)
                    lambda env: {"kind": "fujian3", "year": "2025", "self_due": _future_due()},
                ),
                writes=("assessment.campaign_open",),
                status=302,
            ),
            Case(
                "already open",
                setup=at("self", "admin"),
                exercise=page(
                    "/assessment/campaigns", lambda env: {"kind": "fujian3", "year": "2025"}
                ),
                no_audit=_REFUSED_ON_PAGE,
                status=409,
            ),
            Case(
                "a unit's clerk",
                setup=at("sheets", "clerk"),
                exercise=page(
                    "/assessment/campaigns", lambda env: {"kind": "fujian3", "year": "2025"}
                ),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST assessment.close_self": Route(
        cases=(
            Case(
                "close the self-assessment (completes 结束自评)",
                setup=at("submitted", "assessor"),
                exercise=page("/assessment/campaigns/{campaign}/close"),
                writes=("assessment.materials_close",),
                status=302,
            ),
            Case(
                "already closed: the process no longer waits at 结束自评",
                setup=at("scoring", "assessor"),
                exercise=page("/assessment/campaigns/{campaign}/close"),
                no_audit=_FLASHED,
                status=302,
            ),
            Case(
                "a unit's leader",
                setup=at("self", "unit_leader"),
                exercise=page("/assessment/campaigns/{campaign}/close"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST assessment.draw_sample": Route(
        cases=(
            Case(
                "draw",
                setup=at("scoring", "assessor"),
                exercise=with_ledger(
                    page("/assessment/campaigns/{campaign}/sample", lambda env: {"seed": "s"})
                ),
                writes=("assessment.sample_draw",),
                status=302,
            ),
            Case(
                "too few candidates in the ledger, not accepted",
                setup=at("scoring", "assessor"),
                exercise=page("/assessment/campaigns/{campaign}/sample"),
                no_audit=_REFUSED_ON_PAGE,
                status=422,
            ),
        )
    ),
    "POST assessment.rank": Route(
        cases=(
            Case(
                "rank again after the return (completes 按审批意见修改评分)",
                setup=at("returned", "assessor"),
                exercise=page("/assessment/campaigns/{campaign}/rank"),
                writes=("assessment.rank",),
                status=302,
            ),
            Case(
                "units not scored yet: the process does not wait at 按审批意见修改评分",
                setup=at("scoring", "assessor"),
                exercise=page("/assessment/campaigns/{campaign}/rank"),
                no_audit=_FLASHED,
                status=302,
            ),
        )
    ),
    "POST assessment.upload_material": Route(
        cases=(
            Case(
                "upload the 工作汇报 (附件3 1.13)",
                setup=at("self", "clerk"),
                exercise=page(
                    "/assessment/units/{unit}/materials/work_report",
                    lambda env: {"file": (io.BytesIO(b"%PDF-1.4 report"), "汇报.pdf")},
                    content_type="multipart/form-data",
                ),
                writes=("assessment.material_upload",),
                status=302,
            ),
            Case(
                "not a PDF or Word file",
                setup=at("self", "clerk"),
                exercise=page(
                    "/assessment/units/{unit}/materials/work_report",
                    lambda env: {"file": (io.BytesIO(b"MZ"), "汇报.pdf")},
                    content_type="multipart/form-data",
                ),
                writes=("security.upload_refused",),
                status=302,
            ),
        )
    ),
    "POST assessment.confirm_laggards": Route(
        cases=(
            Case(
                "confirm (completes 确认工作落后地区, 附件2)",
                setup=at("ranked", "assessor", kind="fujian2"),
                exercise=page("/assessment/campaigns/{campaign}/laggards"),
                writes=("assessment.laggards_confirm",),
                status=302,
            ),
            Case(
                "附件3: the process has no such step",
                setup=at("ranked", "assessor"),
                exercise=page("/assessment/campaigns/{campaign}/laggards"),
                no_audit=_REFUSED_ON_PAGE,
                status=409,
            ),
        )
    ),
    "POST assessment.observations": Route(
        cases=(
            Case(
                "record a 日常考察",
                setup=at("sheets", "assessor"),
                exercise=page(
                    "/assessment/observations",
                    lambda env: {
                        "observed_on": "2026-03-02",
                        "org_code": "410100",
                        "observation": "抽查资料齐全",
                    },
                ),
                writes=("assessment.observation_add",),
                status=302,
            ),
            Case(
                "no text",
                setup=at("sheets", "assessor"),
                exercise=page(
                    "/assessment/observations",
                    lambda env: {"observed_on": "2026-03-02", "org_code": "410100"},
                ),
                no_audit=_REFUSED_ON_PAGE,
                status=422,
            ),
        )
    ),
    "POST assessment.approve": Route(
        cases=(
            Case(
                "approve",
                setup=at("ranked", "leader"),
                exercise=page(
                    "/assessment/campaigns/{campaign}/approve", lambda env: {"opinion": "同意"}
                ),
                writes=("assessment.approve",),
                status=302,
            ),
            Case(
                "not ranked yet",
                setup=at("scored", "leader"),
                exercise=page("/assessment/campaigns/{campaign}/approve"),
                no_audit=_REFUSED_ON_PAGE,
                status=409,
            ),
            Case(
                "an assessor",
                setup=at("ranked", "assessor"),
                exercise=page("/assessment/campaigns/{campaign}/approve"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    # A unit (pages) ---------------------------------------------------------------------------
    "POST assessment.unit": Route(
        cases=(
            Case(
                "save the self-assessment",
                setup=at("self", "clerk", kind="fujian2"),
                exercise=page("/assessment/units/{unit}", lambda env: _SCORE_FORM),
                writes=("assessment.self_save",),
                status=302,
            ),
            Case(
                "附件3 has no self-assessment",
                setup=at("self", "clerk"),
                exercise=page("/assessment/units/{unit}", lambda env: _SCORE_FORM),
                no_audit=_REFUSED_ON_PAGE,
                status=409,  # the sheet's state, not its input: 409 like the API's refusal
            ),
            Case(
                "already submitted",
                setup=at("review", "clerk", kind="fujian2"),
                exercise=page("/assessment/units/{unit}", lambda env: _SCORE_FORM),
                no_audit=_REFUSED_ON_PAGE,
                status=409,  # the sheet's state, not its input: 409 like the API's refusal
            ),
            Case(
                "another city's clerk",
                setup=at("self", "other_clerk"),
                exercise=page("/assessment/units/{unit}", lambda env: _SCORE_FORM),
                writes=("permission.denied",),
                status=404,  # another unit's object: answered as a missing one
            ),
        )
    ),
    "POST assessment.self_action": Route(
        cases=(
            Case(
                "submit to the leader",
                setup=lambda env: (
                    at("self", "clerk", kind="fujian2")(env),
                    page("/assessment/units/{unit}", lambda e: _SCORE_FORM)(env),
                ),
                exercise=page("/assessment/units/{unit}/self/submit"),
                writes=("assessment.self_submit",),
                status=302,
            ),
            Case(
                "approve and report",
                setup=at("review", "unit_leader"),
                exercise=page(
                    "/assessment/units/{unit}/self/approve", lambda env: {"opinion": "同意"}
                ),
                writes=("assessment.materials_approve",),
                status=302,
            ),
            Case(
                "return",
                setup=at("review", "unit_leader"),
                exercise=page(
                    "/assessment/units/{unit}/self/return", lambda env: {"reason": "补充材料"}
                ),
                writes=("assessment.materials_return",),
                status=302,
            ),
            Case(
                "submit without a self-assessment",
                setup=at("self", "clerk"),
                exercise=page("/assessment/units/{unit}/self/submit"),
                no_audit=_REFUSED_ON_PAGE,
                status=422,
            ),
            Case(
                "the clerk cannot approve",
                setup=at("review", "clerk"),
                exercise=page("/assessment/units/{unit}/self/approve"),
                writes=("permission.denied",),
                status=403,
            ),
            Case(
                "an unknown step",
                setup=at("self", "clerk"),
                exercise=page("/assessment/units/{unit}/self/publish"),
                no_audit="no such step: back to the unit's page",
                status=302,
            ),
        )
    ),
    "POST assessment.upload_evidence": Route(
        cases=(
            Case(
                "upload",
                setup=at("self", "clerk"),
                exercise=page(
                    "/assessment/units/{unit}/evidence",
                    lambda env: {"files": (io.BytesIO(b"%PDF-1.4 evidence"), "总结.pdf")},
                    content_type="multipart/form-data",
                ),
                writes=("assessment.evidence_add",),
                status=302,
            ),
            Case(
                "a file type not accepted",
                setup=at("self", "clerk"),
                exercise=page(
                    "/assessment/units/{unit}/evidence",
                    lambda env: {"files": (io.BytesIO(b"MZ"), "run.exe")},
                    content_type="multipart/form-data",
                ),
                no_audit=_FLASHED,
                status=302,
            ),
            Case(
                "another city's clerk",
                setup=at("self", "other_clerk"),
                exercise=page(
                    "/assessment/units/{unit}/evidence",
                    lambda env: {"files": (io.BytesIO(b"%PDF-1.4"), "x.pdf")},
                    content_type="multipart/form-data",
                ),
                writes=("permission.denied",),
                status=404,  # another unit's object: answered as a missing one
            ),
        )
    ),
    "POST assessment.score": Route(
        cases=(
            Case(
                "score",
                setup=at("scoring", "assessor"),
                exercise=page("/assessment/units/{unit}/score", lambda env: {}),
                writes=("assessment.score",),
                status=302,
            ),
            Case(
                "not in the scoring phase",
                setup=at("self", "assessor"),
                exercise=page("/assessment/units/{unit}/score", lambda env: {}),
                no_audit=_REFUSED_ON_PAGE,
                status=409,  # the sheet's state, not its input: 409 like the API's refusal
            ),
            Case(
                "a unit's leader",
                setup=at("scoring", "unit_leader"),
                exercise=page("/assessment/units/{unit}/score", lambda env: {}),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST assessment.override": Route(
        cases=(
            Case(
                "override",
                setup=at("scored", "leader"),
                exercise=page("/assessment/units/{unit}/override", _override),
                writes=("assessment.override",),
                status=302,
            ),
            Case(
                "without a reason",
                setup=leading_assessor,
                exercise=page(
                    "/assessment/units/{unit}/override",
                    lambda env: {**_override(env), "reason": ""},
                ),
                no_audit=_REFUSED_ON_PAGE,
                status=422,
            ),
            Case(
                "an assessor",
                setup=at("scored", "assessor"),
                exercise=page("/assessment/units/{unit}/override", _override),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST assessment.site_visit": Route(
        cases=(
            Case(
                "record the visit",
                setup=at("sampled", "assessor"),
                exercise=page(
                    "/assessment/sites/{site}/visit",
                    lambda env: {"visit_date": "2026-01-05", "findings": "资料齐全"},
                ),
                writes=("assessment.site_visit",),
                status=302,
            ),
            Case(
                "a bad date",
                setup=at("sampled", "assessor"),
                exercise=page("/assessment/sites/{site}/visit", lambda env: {"visit_date": "x"}),
                no_audit=_REFUSED_ON_PAGE,
                status=422,
            ),
            Case(
                "a unit's clerk",
                setup=at("sampled", "clerk"),
                exercise=page(
                    "/assessment/sites/{site}/visit",
                    lambda env: {"visit_date": "2026-01-05", "findings": "x"},
                ),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    # API ----------------------------------------------------------------------------------------
    "POST api_assessment.upload_sheet": Route(
        cases=(
            Case(
                "upload",
                setup=at("sheets", "admin", api=True),
                exercise=lambda env: env.client.post(
                    "/api/v1/assessment/sheets",
                    data=_new_sheet(),
                    content_type="application/json",
                    headers=env.data["headers"],
                ),
                writes=("assessment.sheet_load",),
                status=201,
            ),
            Case(
                "does not add up",
                setup=at("sheets", "admin", api=True),
                exercise=lambda env: env.client.post(
                    "/api/v1/assessment/sheets",
                    data=b'{"format": 1, "kind": "fujian2"}',
                    content_type="application/json",
                    headers=env.data["headers"],
                ),
                no_audit=_REFUSED,
                status=422,
            ),
        )
    ),
    "POST api_assessment.activate_sheet": Route(
        cases=(
            Case(
                "activate",
                setup=_uploaded("admin", True),
                exercise=api("POST", "/api/v1/assessment/sheets/{new_sheet}/activate"),
                writes=("assessment.sheet_activate",),
                status=200,
            ),
            Case(
                "not an administrator",
                setup=_uploaded("assessor", True),
                exercise=api("POST", "/api/v1/assessment/sheets/{new_sheet}/activate"),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_assessment.compute_score": Route(
        cases=(
            Case(
                "compute without saving",
                setup=at("self", "clerk", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/sheets/{sheet}/score",
                    lambda env: {"judgments": {}},
                ),
                no_audit=_COMPUTES,
                status=200,
            ),
            Case(
                "an item the sheet does not have",
                setup=at("self", "clerk", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/sheets/{sheet}/score",
                    lambda env: {"judgments": {"9.9": {"unmet": ["a"]}}},
                ),
                no_audit=_COMPUTES,
                status=422,
            ),
        )
    ),
    "POST api_assessment.open_campaign": Route(
        cases=(
            Case(
                "open",
                setup=at("sheets", "admin", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/campaigns",
                    # a due date already past is refused (a new one is asked for)
                    lambda env: {"kind": "fujian2", "year": 2026, "self_due": _future_due()},
                ),
                writes=("assessment.campaign_open",),
                status=201,
            ),
            Case(
                "already open",
                setup=at("self", "admin", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/campaigns",
                    lambda env: {"kind": "fujian3", "year": 2025},
                ),
                no_audit=_REFUSED,
                status=409,
            ),
        )
    ),
    "POST api_assessment.close_self": Route(
        cases=(
            Case(
                "close (completes 结束自评)",
                setup=at("self", "assessor", api=True),
                exercise=api(
                    "POST", "/api/v1/assessment/campaigns/{campaign}/close-self-assessment"
                ),
                writes=("assessment.materials_close",),
                status=200,
            ),
            Case(
                "a unit's clerk",
                setup=at("self", "clerk", api=True),
                exercise=api(
                    "POST", "/api/v1/assessment/campaigns/{campaign}/close-self-assessment"
                ),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_assessment.draw_sample": Route(
        cases=(
            Case(
                "draw",
                setup=at("scoring", "assessor", api=True),
                exercise=with_ledger(
                    api(
                        "POST",
                        "/api/v1/assessment/campaigns/{campaign}/sample",
                        lambda env: {"seed": "2025"},
                    )
                ),
                writes=("assessment.sample_draw",),
                status=201,
            ),
            Case(
                "too few candidates in the ledger, not accepted",
                setup=at("scoring", "assessor", api=True),
                exercise=api("POST", "/api/v1/assessment/campaigns/{campaign}/sample"),
                no_audit=_REFUSED,
                status=422,
            ),
        )
    ),
    "POST api_assessment.upload_evidence": Route(
        cases=(
            Case(
                "upload",
                setup=at("self", "clerk", api=True),
                exercise=lambda env: env.client.post(
                    "/api/v1/assessment/units/{unit}/evidence".format(**env.data),
                    data={"file": (io.BytesIO(b"%PDF-1.4 evidence"), "总结.pdf")},
                    content_type="multipart/form-data",
                    headers=env.data["headers"],
                ),
                writes=("assessment.evidence_add",),
                status=201,
            ),
            Case(
                "content not what the name claims",
                setup=at("self", "clerk", api=True),
                exercise=lambda env: env.client.post(
                    "/api/v1/assessment/units/{unit}/evidence".format(**env.data),
                    data={"file": (io.BytesIO(b"MZ"), "总结.pdf")},
                    content_type="multipart/form-data",
                    headers=env.data["headers"],
                ),
                writes=("security.upload_refused",),
                status=422,
            ),
            Case(
                "another city's clerk",
                setup=at("self", "other_clerk", api=True),
                exercise=lambda env: env.client.post(
                    "/api/v1/assessment/units/{unit}/evidence".format(**env.data),
                    data={"file": (io.BytesIO(b"%PDF-1.4"), "x.pdf")},
                    content_type="multipart/form-data",
                    headers=env.data["headers"],
                ),
                writes=("permission.denied",),
                status=404,  # another unit's object: answered as a missing one
            ),
        )
    ),
    "POST api_assessment.site_visit": Route(
        cases=(
            Case(
                "record the visit",
                setup=at("sampled", "assessor", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/sites/{site}/visit",
                    lambda env: {"visit_date": "2026-01-05", "findings": "资料齐全"},
                ),
                writes=("assessment.site_visit",),
                status=200,
            ),
            Case(
                "a bad date",
                setup=at("sampled", "assessor", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/sites/{site}/visit",
                    lambda env: {"visit_date": "x", "findings": "资料齐全"},
                ),
                no_audit=_REFUSED,
                status=422,
            ),
            Case(
                "a unit's clerk",
                setup=at("sampled", "clerk", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/sites/{site}/visit",
                    lambda env: {"visit_date": "2026-01-05", "findings": "x"},
                ),
                writes=("permission.denied",),
                status=403,
            ),
        )
    ),
    "POST api_assessment.rank": Route(
        cases=(
            Case(
                "rank again after the return (completes 按审批意见修改评分)",
                setup=at("returned", "assessor", api=True),
                exercise=api("POST", "/api/v1/assessment/campaigns/{campaign}/rank"),
                writes=("assessment.rank",),
                status=200,
            ),
            Case(
                "units not scored: the process does not wait at 按审批意见修改评分",
                setup=at("scoring", "assessor", api=True),
                exercise=api("POST", "/api/v1/assessment/campaigns/{campaign}/rank"),
                no_audit=_REFUSED,
                status=409,
            ),
        )
    ),
    "POST api_assessment.approve": Route(
        cases=(
            Case(
                "approve",
                setup=at("ranked", "leader", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/campaigns/{campaign}/approve",
                    lambda env: {"opinion": "同意"},
                ),
                writes=("assessment.approve",),
                status=200,
            ),
            Case(
                "附件3 awards follow from the ranking",
                setup=at("ranked", "leader", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/campaigns/{campaign}/approve",
                    lambda env: {"criticised": [CITY]},
                ),
                no_audit=_REFUSED,
                status=422,
            ),
        )
    ),
    "PUT api_assessment.save_self": Route(
        cases=(
            Case(
                "save",
                setup=at("self", "clerk", api=True, kind="fujian2"),
                exercise=api(
                    "PUT",
                    "/api/v1/assessment/units/{unit}/self-assessment",
                    lambda env: {"judgments": {}, "summary": "总结"},
                ),
                writes=("assessment.self_save",),
                status=200,
            ),
            Case(
                "another city's clerk",
                setup=at("self", "other_clerk", api=True),
                exercise=api(
                    "PUT",
                    "/api/v1/assessment/units/{unit}/self-assessment",
                    lambda env: {"judgments": {}},
                ),
                writes=("permission.denied",),
                status=404,  # another unit's object: answered as a missing one
            ),
        )
    ),
    "POST api_assessment.submit_self": Route(
        cases=(
            Case(
                "submit",
                setup=lambda env: (
                    at("self", "clerk", api=True, kind="fujian2")(env),
                    api(
                        "PUT",
                        "/api/v1/assessment/units/{unit}/self-assessment",
                        lambda e: {"judgments": {}, "summary": "总结"},
                    )(env),
                ),
                exercise=api("POST", "/api/v1/assessment/units/{unit}/self-assessment/submit"),
                writes=("assessment.self_submit",),
                status=200,
            ),
            Case(
                "nothing filled in",
                setup=at("self", "clerk", api=True),
                exercise=api("POST", "/api/v1/assessment/units/{unit}/self-assessment/submit"),
                no_audit=_REFUSED,
                status=422,
            ),
            Case(
                "附件3 materials",
                setup=lambda env: (
                    at("self", "clerk", api=True)(env),
                    _materials_sent(env),
                ),
                exercise=api("POST", "/api/v1/assessment/units/{unit}/self-assessment/submit"),
                writes=("assessment.materials_submit",),
                status=200,
            ),
        )
    ),
    "POST api_assessment.approve_self": Route(
        cases=(
            Case(
                "approve",
                setup=at("review", "unit_leader", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/units/{unit}/self-assessment/approve",
                    lambda env: {"opinion": "同意"},
                ),
                writes=("assessment.materials_approve",),
                status=200,
            ),
            Case(
                "nothing to approve",
                setup=at("self", "unit_leader", api=True),
                exercise=api("POST", "/api/v1/assessment/units/{unit}/self-assessment/approve"),
                no_audit=_REFUSED,
                status=409,
            ),
        )
    ),
    "POST api_assessment.return_self": Route(
        cases=(
            Case(
                "return",
                setup=at("review", "unit_leader", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/units/{unit}/self-assessment/return",
                    lambda env: {"reason": "补充材料"},
                ),
                writes=("assessment.materials_return",),
                status=200,
            ),
            Case(
                "without a reason",
                setup=at("review", "unit_leader", api=True),
                exercise=api("POST", "/api/v1/assessment/units/{unit}/self-assessment/return"),
                no_audit=_REFUSED,
                status=422,
            ),
        )
    ),
    "PUT api_assessment.score": Route(
        cases=(
            Case(
                "score",
                setup=at("scoring", "assessor", api=True),
                exercise=api(
                    "PUT", "/api/v1/assessment/units/{unit}/scores", lambda env: {"judgments": {}}
                ),
                writes=("assessment.score",),
                status=200,
            ),
            Case(
                "not in the scoring phase",
                setup=at("self", "assessor", api=True),
                exercise=api(
                    "PUT", "/api/v1/assessment/units/{unit}/scores", lambda env: {"judgments": {}}
                ),
                no_audit=_REFUSED,
                status=409,
            ),
        )
    ),
    "POST api_assessment.override": Route(
        cases=(
            Case(
                "override",
                setup=at("scored", "leader", api=True),
                exercise=api("POST", "/api/v1/assessment/units/{unit}/overrides", _override),
                writes=("assessment.override",),
                status=201,
            ),
            Case(
                "above the item's points",
                setup=at("scored", "leader", api=True),
                exercise=api(
                    "POST",
                    "/api/v1/assessment/units/{unit}/overrides",
                    lambda env: {**_override(env), "score": "1000"},
                ),
                no_audit=_REFUSED,
                status=422,
            ),
        )
    ),
}
