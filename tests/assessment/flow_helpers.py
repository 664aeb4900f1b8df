"""Drive a campaign's processes in-process (no HTTP), the way the pages and the API do.

A campaign always runs through its BPMN processes (``open_campaign`` in conftest starts them
like production); these helpers complete the engine task of a step (:mod:`webapp.assessment.flow`),
so every test that takes a campaign to a later step exercises the real flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.assessment import flow, judging, operations
from webapp.core.models import User
from webapp.engine import complete_task
from webapp.extensions import db


# A unit's self-assessment ----------------------------------------------------------------------
def submit_self(clerk: User, unit_id: int) -> None:
    """填报自评 or 报送材料 (提交领导审核) → the unit's leader."""
    flow.act_on_unit(clerk, unit_id, "submit")


def approve_self(leader: User, unit_id: int, opinion: str = "") -> None:
    """领导审核自评 → reported to the province."""
    flow.act_on_unit(leader, unit_id, "approve", opinion)


def return_self(leader: User, unit_id: int, reason: str) -> None:
    """领导审核自评 → back to the clerk."""
    flow.act_on_unit(leader, unit_id, "return", reason)


def self_assess(
    unit_id: int,
    clerk: User,
    leader: User,
    judgments: Mapping[str, Any] | None = None,
    summary: str = "全年工作总结",
) -> None:
    """Fill, submit and approve a unit's self-assessment (reported to the province)."""
    operations.save_self_assessment(
        clerk, unit_id, judgments=judgments or {}, summary=summary, notes={"1.1": "见附件"}
    )
    submit_self(clerk, unit_id)
    approve_self(leader, unit_id, "同意上报")
    db.session.commit()


#: A minimal PDF (the archive sniffs the content, never the name).
PDF = b"%PDF-1.4\n% materials\n%%EOF\n"


def send_materials(clerk: User, unit_id: int) -> None:
    """附件3: the unit's 工作汇报 and 年度工作计划和总结 uploaded by its clerk."""
    for which in operations.MATERIALS:
        operations.upload_material(clerk, unit_id, which, f"{which}.pdf", PDF)


def report(unit_id: int, clerk: User, leader: User) -> None:
    """The unit reports to the province through its process: 附件3 its materials (报送材料),
    附件2 its self-assessment (填报自评), then its leader approves."""
    if flow.has_self_assessment(operations.get_unit(unit_id)):
        self_assess(unit_id, clerk, leader)
        return
    send_materials(clerk, unit_id)
    submit_self(clerk, unit_id)
    approve_self(leader, unit_id, "同意上报")
    db.session.commit()


# The province's steps --------------------------------------------------------------------------
def close_self(actor: User, campaign: Any) -> list[str]:
    """结束自评 → scoring starts; returns the units that had not reported."""
    flow.act_on_campaign(actor, campaign.id, "close")
    return judging.not_reported(campaign)


def draw(actor: User, campaign: Any, **data: Any) -> None:
    """抽取现场 (the form's seed / as_of / accept_shortfall; default: accept a shortfall)."""
    flow.act_on_campaign(actor, campaign.id, "sample", None, {"accept_shortfall": True} | data)


def finish_scoring(assessor: User, reviewer: User, campaign: Any) -> None:
    """Complete every open 考核评分 (the scores must be saved) and approve every 复核评分表:
    the process then ranks the units (the system) and waits at 审批考核结果."""
    province = flow.province_instance(campaign)
    for task in flow.open_tasks(province, "score"):
        complete_task(assessor, task.id, "done")
    for task in flow.open_tasks(province, "review_score"):
        complete_task(reviewer, task.id, "approve")
    db.session.commit()


def score_every_unit(
    staff: Mapping[str, User],
    campaign: Any,
    judgments_of: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Close the self-assessment, draw the sites, score every unit (``judgments_of`` by org code,
    default all met) and pass the review: the campaign is ranked."""
    close_self(staff["assessor"], campaign)
    draw(staff["assessor"], campaign)
    for unit in campaign.units:
        judging.score_unit(staff["assessor"], unit.id, (judgments_of or {}).get(unit.org.code, {}))
    finish_scoring(staff["assessor"], staff["reviewer"], campaign)
    assert campaign.state == "ranked", flow.open_tasks(flow.province_instance(campaign))
    if campaign.kind == "fujian2":  # the assessors confirm the proposed laggards
        confirm_laggards(staff["assessor"], campaign)


def confirm_laggards(assessor: User, campaign: Any, **data: Any) -> None:
    """确认工作落后地区 (附件2): ``laggards`` (org codes; default the system's proposal) and
    ``laggards_note`` (the reason of a departure) → 审批考核结果."""
    flow.act_on_campaign(assessor, campaign.id, "laggards", None, data)


def approve_results(leader: User, campaign: Any, opinion: str = "", **data: Any) -> None:
    """审批考核结果 → approved (附件2: ``awards``, ``criticised``) and the notice published."""
    flow.act_on_campaign(leader, campaign.id, "approve", opinion, data)


def return_results(leader: User, campaign: Any, reason: str) -> None:
    """审批考核结果 → returned: scoring reopens (按审批意见修改评分)."""
    flow.act_on_campaign(leader, campaign.id, "return", reason)


def run_to_ranking(admin: User, assessor: User, reviewer: User, year: int = 2025) -> Any:
    """Open a 附件3 campaign through its process and take it to 审批考核结果 (ranked)."""
    campaign = flow.start_campaign(admin, "fujian3", year)
    score_every_unit({"assessor": assessor, "reviewer": reviewer}, campaign)
    return campaign


def in_scoring(open_campaign: Any, province_staff: Mapping[str, User], code: str = "410100") -> Any:
    """A 附件2 campaign of 2026 opened on 2026-01-10, its site sample drawn (seed "x") and its
    self-assessment closed: scoring is open.  Returns ``code``'s unit assessment."""
    from datetime import UTC, datetime

    from tests.assessment.conftest import fake_candidates, unit_of
    from webapp.assessment import sampling
    from webapp.core import clock

    clock.set_now(datetime(2026, 1, 10, 9, tzinfo=UTC))
    campaign = open_campaign("fujian2", 2026)
    sampling.draw_site_sample(
        province_staff["assessor"], campaign.id, "x", candidates=fake_candidates()
    )
    close_self(province_staff["assessor"], campaign)
    db.session.commit()
    return unit_of(campaign, code)
