"""Service operations the year-end BPMN processes call (``@service_operation``).

Each wraps one domain operation of the feature.  A step that follows a user task and may be
refused by the domain (an incomplete self-assessment, too few candidates, a submitter approving
their own work) does not fail the instance: it returns ``{"<x>_ok": False, "<x>_error": ...}``
and the BPMN's gateway sends the flow back to the user task, which shows the message.  Anything
else raises (the instance goes to 流程异常 for an administrator).

The task data holds ids only: ``campaign_id``; per unit ``unit_id`` (the unit's instance) or
``unit = {"unit_id", "org_code", "org_name"}`` (the province's multi-instance scoring).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from webapp.assessment import documents, judging, operations, sampling
from webapp.assessment.flow import UNIT_PROCESS, UNIT_PROCESSES, campaign_key, unit_key
from webapp.assessment.models import CampaignState, SiteSample, UnitState
from webapp.core import clock
from webapp.core.errors import DomainError
from webapp.core.models import User
from webapp.engine import ServiceContext, Start, service_operation, start_instances
from webapp.extensions import db


def _try(fn: Callable[[], Any]) -> str:
    """Run a domain operation in a savepoint; '' when it succeeded, else its refusal."""
    savepoint = db.session.begin_nested()
    try:
        fn()
    except DomainError as err:
        savepoint.rollback()
        return err.message
    savepoint.commit()
    return ""


def _actor(ctx: ServiceContext) -> User:
    if ctx.actor is None:
        raise DomainError(f"步骤 {ctx.element_id} 须由用户办理后执行。")
    return ctx.actor


# The unit's instance ---------------------------------------------------------------------------
@service_operation("assessment.self_deadlines")
def self_deadlines(ctx: ServiceContext) -> dict[str, Any]:
    """Timer values of the unit's self-assessment: due at the end of ``self_due`` (local time),
    a reminder ``remind_days`` (parameter, default 3) days before."""
    due = date.fromisoformat(str(ctx.subject["self_due"]))
    days = int(ctx.params.get("remind_days") or 3)
    due_at = datetime.combine(due + timedelta(days=1), time(0), tzinfo=clock.LOCAL_TZ)
    return {
        "self_due_at": due_at.isoformat(),
        "self_remind_at": (due_at - timedelta(days=days)).isoformat(),
    }


@service_operation("assessment.submit_self")
def submit_self(ctx: ServiceContext) -> dict[str, Any]:
    """After 填报自评: the clerk's self-assessment goes to the unit's leader."""
    unit = operations.get_unit(int(ctx.subject["unit_id"]))
    if unit.state == UnitState.SELF_REVIEW.value:  # already submitted (nothing to do)
        return {"submit_ok": True, "submit_error": ""}
    actor = _actor(ctx)
    error = _try(lambda: operations.submit_self_assessment(actor, unit.id))
    return {"submit_ok": not error, "submit_error": error}


@service_operation("assessment.submit_materials")
def submit_materials(ctx: ServiceContext) -> dict[str, Any]:
    """After 报送材料 (附件3): the unit's 工作汇报 and 年度工作计划和总结 go to its leader."""
    unit_id = int(ctx.subject["unit_id"])
    actor = _actor(ctx)
    error = _try(lambda: operations.submit_materials(actor, unit_id))
    return {"materials_ok": not error, "materials_error": error}


def _decide(
    ctx: ServiceContext,
    on_return: Callable[[User, str], Any],
    on_approve: Callable[[User, str], Any],
) -> dict[str, Any]:
    """A leader's decision task (outcome ``return`` or approve, with the comment) → the
    operation; ``decision`` is ``approved``, ``returned`` or ``refused`` (for the gateway)."""
    actor = _actor(ctx)
    comment = str(ctx.data.get("comment") or "")
    if ctx.data.get("outcome") == "return":
        error = _try(lambda: on_return(actor, comment))
        decision = "returned"
    else:
        error = _try(lambda: on_approve(actor, comment))
        decision = "approved"
    return {"decision": "refused" if error else decision, "decision_error": error}


@service_operation("assessment.decide_self")
def decide_self(ctx: ServiceContext) -> dict[str, Any]:
    """After 领导审核自评: approve (reported to the province) or return to the clerk."""
    unit_id = int(ctx.subject["unit_id"])
    return _decide(
        ctx,
        lambda actor, comment: operations.return_self_assessment(actor, unit_id, comment),
        lambda actor, comment: operations.approve_self_assessment(actor, unit_id, comment),
    )


@service_operation("assessment.self_overdue_notice")
def self_overdue_notice(ctx: ServiceContext) -> dict[str, Any]:
    """At the due date: tell the unit's clerks and leaders (and record it) that the
    self-assessment is overdue; the unit may still report (marked 逾期)."""
    notified = operations.record_self_overdue(int(ctx.subject["unit_id"]), ctx.instance.id)
    return {"overdue_notified": notified}


# The province's instance -----------------------------------------------------------------------
@service_operation("assessment.start_unit_processes")
def start_unit_processes(ctx: ServiceContext) -> dict[str, Any]:
    """Start one instance per assessed unit (org = the unit) of the process the BPMN names
    (parameter ``unit_process``: 附件2's self-assessment, 附件3's materials)."""
    campaign = operations.get_campaign(int(ctx.subject["campaign_id"]))
    process = str(ctx.params.get("unit_process") or UNIT_PROCESS)
    if process not in UNIT_PROCESSES:
        raise DomainError(f"单位流程 {process} 不是考核单位的流程（{'、'.join(UNIT_PROCESSES)}）。")
    assessed = operations.load_orgs(list(campaign.units))
    start_instances(
        None,
        process,
        [
            Start(
                unit.org,
                unit_key(campaign.id, unit.org.code),
                {
                    "campaign_id": campaign.id,
                    "unit_id": unit.id,
                    "province_key": campaign_key(campaign.id),
                    "self_due": campaign.self_due.isoformat(),
                },
            )
            for unit in assessed
        ],
    )
    units = [
        {"unit_id": unit.id, "org_code": unit.org.code, "org_name": unit.org.name}
        for unit in assessed
    ]
    # the province's steps name the phase after it (结束自评 or 结束材料报送)
    return {"units": units, "unit_count": len(units), "unit_process": process}


@service_operation("assessment.count_self_reports")
def count_self_reports(ctx: ServiceContext) -> dict[str, Any]:
    """A unit reported (message): has every unit reported now?"""
    campaign = operations.get_campaign(int(ctx.subject["campaign_id"]))
    reported = sum(1 for u in campaign.units if u.state == UnitState.SELF_SUBMITTED.value)
    return {"reported_count": reported, "all_reported": reported == len(campaign.units)}


@service_operation("assessment.close_self_assessment")
def close_self_assessment(ctx: ServiceContext) -> dict[str, Any]:
    """End of the self-assessment phase: scoring starts; the units still open are closed."""
    campaign = operations.get_campaign(int(ctx.subject["campaign_id"]))
    if campaign.state == CampaignState.SELF_ASSESSMENT.value:
        # by hand: the assessor who completed 结束自评; when the last unit reported: the
        # system (a delivered message runs without a user)
        missing = judging.close_self_assessment(ctx.actor, campaign.id)
    else:
        missing = judging.not_reported(campaign)
    return {
        "not_reported": missing,
        "close_keys": [unit_key(campaign.id, code) for code in missing],
    }


@service_operation("assessment.draw_sample")
def draw_sample(ctx: ServiceContext) -> dict[str, Any]:
    """After 抽取现场: draw the sites (seed, sampling date and shortfall from the form); a sample
    already drawn on the campaign page is kept unless a seed is given."""
    campaign_id = int(ctx.subject["campaign_id"])
    seed = str(ctx.data.get("seed") or "").strip() or None
    existing = db.session.execute(
        select(SiteSample.id).where(SiteSample.campaign_id == campaign_id)
    ).first()
    if existing is not None and seed is None:
        return {"sample_ok": True, "sample_error": ""}
    actor = _actor(ctx)
    as_of = ctx.data.get("as_of")
    error = _try(
        lambda: sampling.draw_site_sample(
            actor,
            campaign_id,
            seed,
            accept_shortfall=bool(ctx.data.get("accept_shortfall")),
            as_of=date.fromisoformat(as_of) if as_of else None,
        )
    )
    return {"sample_ok": not error, "sample_error": error}


@service_operation("assessment.check_scored")
def check_scored(ctx: ServiceContext) -> dict[str, Any]:
    """After 考核评分 of one unit: it must have the assessors' scores."""
    unit = operations.get_unit(int(ctx.data["unit"]["unit_id"]))
    if unit.campaign_id != int(ctx.subject["campaign_id"]):
        raise DomainError("评分单位不属于本考核活动。")
    if judging.final_items(unit) is None:
        return {"scored_ok": False, "score_error": f"尚未保存{unit.org.name}的评分。"}
    return {"scored_ok": True, "score_error": ""}


@service_operation("assessment.compute_ranking")
def compute_ranking(ctx: ServiceContext) -> dict[str, Any]:
    """Totals and ranking of every unit (ties share a rank)."""
    rows = judging.compute_ranking(None, int(ctx.subject["campaign_id"]))
    return {"ranked_units": len(rows)}


@service_operation("assessment.confirm_laggards")
def record_laggards(ctx: ServiceContext) -> dict[str, Any]:
    """After 确认工作落后地区 (附件2): the laggards as confirmed (``laggards`` from the form, the
    system's proposal when absent; ``laggards_note`` the reason of a departure)."""
    actor = _actor(ctx)
    codes = ctx.data.get("laggards")
    error = _try(
        lambda: judging.confirm_laggards(
            actor,
            int(ctx.subject["campaign_id"]),
            list(codes) if isinstance(codes, list) else None,
            str(ctx.data.get("laggards_note") or ctx.data.get("comment") or ""),
        )
    )
    return {"laggards_ok": not error, "laggards_error": error}


@service_operation("assessment.decide_results")
def decide_results(ctx: ServiceContext) -> dict[str, Any]:
    """After 审批考核结果: approve (附件2 awards from the form) or return for correction."""
    campaign_id = int(ctx.subject["campaign_id"])
    return _decide(
        ctx,
        lambda actor, comment: judging.reopen_scoring(actor, campaign_id, comment),
        lambda actor, comment: judging.approve_results(
            actor,
            campaign_id,
            awards=ctx.data.get("awards") or None,
            criticised=ctx.data.get("criticised") or None,
            measures=ctx.data.get("measures") or None,
            opinion=comment,
        ),
    )


@service_operation("assessment.publish_results")
def publish_results(ctx: ServiceContext) -> dict[str, Any]:
    """Generate the results notice (Word) and publish it to every assessed unit."""
    campaign_id = int(ctx.subject["campaign_id"])
    return documents.publish_results_notice(ctx.actor, campaign_id, ctx.instance.id)
