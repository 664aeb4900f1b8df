"""The year-end assessment as BPMN processes: start a campaign's process, find its tasks, act.

Instance structure (docs/assessment.md §5): one ``year_end_assessment`` instance per campaign
at the province (business key ``assessment:<campaign id>``), which starts one
``year_end_self_assessment`` instance per assessed unit (``assessment:<campaign id>:<org code>``,
org = the unit, so its lanes ``clerk@self`` / ``leader@self`` are the unit's staff).  A unit's
instance throws ``assessment_self_reported`` to the province's when its leader approved; the
province's throws ``assessment_closed`` to the units still open when the phase ends.  Site
sampling, the parallel scoring (multi-instance over the units), the ranking, the leader's
approval and the notice are steps of the province's instance.

A campaign always runs through its process: there is no other way to change its state.  The
pages and the API act on a campaign through the same tasks: their buttons complete the open
inbox task of the step (:func:`act_on_unit`, :func:`act_on_campaign`), so whichever way a user
takes, the BPMN decides what happens next; a button whose step is not open is refused.  The
service operations in :mod:`webapp.assessment.flow_steps` only adapt the engine's context to
the domain operations (:mod:`~webapp.assessment.operations`, :mod:`~webapp.assessment.judging`,
:mod:`~webapp.assessment.sampling`), which change the state and write the audit records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from webapp.assessment import operations, sampling
from webapp.assessment.access import province
from webapp.assessment.models import AssessmentCampaign, SiteSample, UnitAssessment
from webapp.core.errors import Conflict, DomainError, InvalidInput
from webapp.core.models import User
from webapp.core.permissions import can, require
from webapp.engine import (
    HumanTask,
    ProcessDefinition,
    ProcessInstance,
    complete_task,
    find_instance,
    register_subject_label,
    register_subject_viewer,
    start_instance,
    task_data,
)
from webapp.engine import open_tasks as engine_open_tasks
from webapp.extensions import db

PROCESS = "year_end_assessment"
UNIT_PROCESS = "year_end_self_assessment"
#: 附件3's unit process: materials only (its text has no self-assessment).
MATERIALS_PROCESS = "year_end_materials"
#: The processes a unit's instance may run (the province's BPMN chooses, parameter
#: ``unit_process`` of 启动各单位报送).
UNIT_PROCESSES = (UNIT_PROCESS, MATERIALS_PROCESS)
#: The form of the self-assessment step (填报自评): a unit process has that step when its BPMN
#: has it (an administrator may add it to year_end_materials.bpmn).
SELF_FILL_FORM = b'value="assessment.self_fill"'


def _may_view_assessment(user: User, instance: ProcessInstance) -> bool:
    """The campaign's instance is the province's, a unit's is that unit's (assessment.view)."""
    return can(user, "assessment.view", instance.org)


#: A copy (抄送) of an assessment task goes only to those who may read that assessment.
for _process in (PROCESS, *UNIT_PROCESSES):
    register_subject_viewer(_process, _may_view_assessment)


def _campaign_year(instance: ProcessInstance) -> str:
    """ "2026年度": the campaign's year (a unit's instance names only its campaign)."""
    subject = instance.subject or {}
    if subject.get("year"):
        return f"{subject['year']}年度"
    campaign = db.session.get(AssessmentCampaign, subject.get("campaign_id") or 0)
    return f"{campaign.year}年度" if campaign is not None else ""


for _process in (PROCESS, *UNIT_PROCESSES):
    register_subject_label(_process, _campaign_year)

#: Page/API actions → (BPMN user task, outcome, the permission its operation checks).  The
#: permission is checked first (at the unit's or the province's org), so that someone who may not
#: act learns nothing about the step; the task's lane then decides who works on it.
UNIT_STEPS = {
    # 提交领导审核: the self-assessment (填报自评) or the materials (报送材料), whichever is open
    "submit": ("fill", "submit", "assessment.self"),
    "approve": ("approve", "approve", "assessment.self_approve"),
    "return": ("approve", "return", "assessment.self_approve"),
}
CAMPAIGN_STEPS = {
    "close": ("close_self", "close", "assessment.manage"),
    "sample": ("sample", "draw", "assessment.manage"),
    "approve": ("approve_results", "approve", "assessment.approve"),
    "return": ("approve_results", "return", "assessment.approve"),
    "rescore": ("rescore", "done", "assessment.manage"),
    "laggards": ("confirm_laggards", "confirm", "assessment.manage"),
}


#: The province's step that ends the units' phase: 附件2's 结束自评, 附件3's 结束材料报送 (its
#: units send materials only); the BPMN chooses by the unit process it started.
CLOSE_STEPS = ("close_self", "close_materials")

NO_INSTANCE = "该考核没有运行中的考核流程，不能办理此步骤。"


def campaign_key(campaign_id: int) -> str:
    return f"assessment:{campaign_id}"


def unit_key(campaign_id: int, org_code: str) -> str:
    return f"assessment:{campaign_id}:{org_code}"


def province_instance(campaign: AssessmentCampaign) -> ProcessInstance | None:
    return find_instance(PROCESS, campaign_key(campaign.id))


def unit_instance(unit: UnitAssessment) -> ProcessInstance | None:
    key = unit_key(unit.campaign_id, unit.org.code)
    for process in UNIT_PROCESSES:
        instance = find_instance(process, key)
        if instance is not None:
            return instance
    return None


def has_self_assessment(unit: UnitAssessment) -> bool:
    """Does the unit's process have a self-assessment step (填报自评)?  The BPMN decides: 附件2's
    process has it, 附件3's (materials only) has it only when an administrator added it."""
    instance = unit_instance(unit)
    if instance is None:
        return False
    return SELF_FILL_FORM in db.session.get(ProcessDefinition, instance.definition_id).content


def save_self_assessment(actor: User, unit_id: int, **kwargs: Any) -> UnitAssessment:
    """Save a unit's self-assessment (:func:`operations.save_self_assessment`), refused when the
    unit's process has no self-assessment step (附件3 by default: materials only)."""
    unit = operations.get_unit(unit_id, actor)
    require(actor, "assessment.self", unit.org)
    if not has_self_assessment(unit):
        raise Conflict("本次考核不设单位自评：请上传工作汇报和年度工作计划和总结后提交领导审核。")
    return operations.save_self_assessment(actor, unit_id, **kwargs)


def draw_sample(
    actor: User,
    campaign_id: int,
    seed: str | None,
    *,
    accept_shortfall: bool = False,
    as_of: date | None = None,
) -> SiteSample:
    """Draw (or redraw) the site sample; when the process waits at 抽取现场, complete it."""
    sample = sampling.draw_site_sample(
        actor, campaign_id, seed, accept_shortfall=accept_shortfall, as_of=as_of
    )
    campaign = operations.get_campaign(campaign_id)
    step = open_tasks(province_instance(campaign), "sample")
    if step:
        complete_task(actor, step[0].id, "draw", None, {})
        _raise_if_refused(step[0].instance, "sample")
    return sample


def start_campaign(actor: User, kind: str, year: int, **kwargs: Any) -> AssessmentCampaign:
    """Open a campaign (:func:`operations.open_campaign`) and start its process.

    The process starts each unit's self-assessment instance.  Everything is one transaction:
    if the process cannot start (not deployed, a step failed) nothing is opened.
    """
    campaign = operations.open_campaign(actor, kind, year, **kwargs)
    # The engine's own start right (workflow.start) is for reporting units; opening a
    # campaign was checked above (assessment.manage), so the process starts as the system and
    # records who opened it.
    instance = start_instance(
        None,
        PROCESS,
        province(),
        campaign_key(campaign.id),
        {"campaign_id": campaign.id, "kind": kind, "year": year},
    )
    if instance.state == "error":
        raise DomainError(f"考核流程启动失败：{instance.error}")
    instance.started_by_id = actor.id
    db.session.flush()
    return campaign


# Finding the open task of a step ---------------------------------------------------------------
def open_tasks(instance: ProcessInstance | None, element_id: str | None = None) -> list[HumanTask]:
    """The instance's open tasks (of the step ``element_id``), from the engine; none when the
    campaign or unit has no instance."""
    return [] if instance is None else engine_open_tasks(instance.id, element_id)


def unit_of_task(tasks: list[HumanTask]) -> dict[int, int]:
    """Multi-instance tasks of the province's process (考核评分, 复核评分表) → their unit id."""
    out = {}
    for task_id, data in task_data(tasks).items():
        unit = data.get("unit")
        if isinstance(unit, dict) and isinstance(unit.get("unit_id"), int):
            out[task_id] = unit["unit_id"]
    return out


def tasks_by_unit(campaign: AssessmentCampaign) -> dict[int, HumanTask]:
    """The open task of each unit: its self-assessment step, or its scoring/review step."""
    out: dict[int, HumanTask] = {}
    for unit in campaign.units:
        mine = open_tasks(unit_instance(unit))
        if mine:
            out[unit.id] = mine[0]
    province_tasks = open_tasks(province_instance(campaign))
    scoring = [t for t in province_tasks if t.element_id not in CLOSE_STEPS]
    per_unit = unit_of_task([t for t in scoring if t.element_id in ("score", "review_score")])
    for task in scoring:
        unit_id = per_unit.get(task.id)
        if unit_id is not None:
            out[unit_id] = task
    return out


def tasks_by_unit_one(unit: UnitAssessment) -> HumanTask | None:
    """The unit's open task, if any (for the links on its pages)."""
    mine = open_tasks(unit_instance(unit))
    if mine:
        return mine[0]
    scoring = [
        t
        for t in open_tasks(province_instance(unit.campaign))
        if t.element_id in ("score", "review_score")
    ]
    for task_id, unit_id in unit_of_task(scoring).items():
        if unit_id == unit.id:
            return next(t for t in scoring if t.id == task_id)
    return None


def campaign_tasks(campaign: AssessmentCampaign) -> list[HumanTask]:
    """The province's open tasks that are not per unit (结束自评, 抽取现场, 审批, 修改评分)."""
    return [
        t
        for t in open_tasks(province_instance(campaign))
        if t.element_id not in ("score", "review_score")
    ]


#: The user tasks a page/API button completes → their name in a refusal.
STEP_NAMES = {
    "fill": "填报自评",
    "materials": "报送材料",
    "approve": "领导审核",
    "close_self": "结束自评",
    "close_materials": "结束材料报送",
    "sample": "抽取现场",
    "approve_results": "审批考核结果",
    "rescore": "按审批意见修改评分",
    "confirm_laggards": "确认工作落后地区",
}


# Acting through the tasks ----------------------------------------------------------------------
def _complete_step(
    actor: User,
    instance: ProcessInstance | None,
    element: str,
    outcome: str,
    comment: str | None,
    data: dict[str, Any] | None = None,
    check: Callable[[], None] | None = None,
) -> HumanTask:
    """Complete the open task ``element`` of the instance; refuse (Conflict, in Chinese) when the
    campaign has no process or the process does not wait at that step."""
    if instance is None:
        raise Conflict(NO_INSTANCE)
    tasks = open_tasks(instance, element)
    if not tasks:
        raise Conflict(f"流程当前不在“{STEP_NAMES[element]}”步骤，请在待办事项中查看当前步骤。")
    if check is not None:
        check()
    done = complete_task(actor, tasks[0].id, outcome, comment, data)
    _raise_if_refused(instance, element)
    return done


def act_on_unit(
    actor: User,
    unit_id: int,
    action: str,
    comment: str | None = None,
) -> HumanTask:
    """A page/API button of a unit's self-assessment: complete the open task of that step."""
    unit = operations.get_unit(unit_id, actor)
    element, outcome, permission = UNIT_STEPS[action]
    require(actor, permission, unit.org)
    instance = unit_instance(unit)
    # Submitting: refuse here with every problem rather than loop back through the process.
    check = None
    if action == "submit" and open_tasks(instance, "materials"):
        element, check = "materials", partial(operations.check_materials, unit)
    elif action == "submit":
        check = partial(operations.check_submittable, unit)
    return _complete_step(actor, instance, element, outcome, comment, check=check)


def act_on_campaign(
    actor: User,
    campaign_id: int,
    action: str,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
) -> HumanTask:
    """A page/API button of the province's steps: complete the open task of that step."""
    campaign = operations.get_campaign(campaign_id)
    element, outcome, permission = CAMPAIGN_STEPS[action]
    require(actor, permission, campaign.org)
    instance = province_instance(campaign)
    if action == "close" and open_tasks(instance, "close_materials"):
        element = "close_materials"
    return _complete_step(actor, instance, element, outcome, comment, data)


#: The task-data key where the service step after a user task stores why it refused the step
#: (the process then comes back to the same task, which shows it).
ERROR_KEYS = {
    "fill": "submit_error",
    "materials": "materials_error",
    "approve": "decision_error",
    "sample": "sample_error",
    "score": "score_error",
    "approve_results": "decision_error",
    "confirm_laggards": "laggards_error",
}


def step_error(task: HumanTask) -> str:
    """Why the step after this task refused the last attempt ('' when it did not)."""
    key = ERROR_KEYS.get(task.element_id)
    if key is None:
        return ""
    value = task_data([task]).get(task.id, {}).get(key)
    return value if isinstance(value, str) else ""


def _raise_if_refused(instance: ProcessInstance, element: str) -> None:
    """A page/API action whose step the process refused is an error for that request (the
    request rolls back: the task stays as it was)."""
    db.session.refresh(instance)
    if instance.state == "error":
        raise DomainError(f"流程自动步骤出错：{instance.error}")
    for task in open_tasks(instance, element):
        message = step_error(task)
        if message:
            raise InvalidInput(message)
