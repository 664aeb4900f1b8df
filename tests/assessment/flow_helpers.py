"""Drive a campaign's processes in-process (no HTTP): for tests that need a later step."""

from __future__ import annotations

from typing import Any

from webapp.assessment import flow, judging
from webapp.core.models import User
from webapp.engine import complete_task
from webapp.extensions import db


def run_to_ranking(admin: User, assessor: User, reviewer: User, year: int = 2025) -> Any:
    """Open a 附件3 campaign through its process and take it to 审批考核结果 (ranked)."""
    campaign = flow.start_campaign(admin, "fujian3", year)
    province = flow.province_instance(campaign)
    [close] = flow.open_tasks(province, "close_self")
    complete_task(assessor, close.id, "close")
    [sample] = flow.open_tasks(province, "sample")
    complete_task(assessor, sample.id, "draw", data={"accept_shortfall": True})
    tasks = flow.open_tasks(province, "score")
    units = flow.unit_of_task(tasks)
    for task in tasks:
        judging.score_unit(assessor, units[task.id], {})
        complete_task(assessor, task.id, "done")
    for task in flow.open_tasks(province, "review_score"):
        complete_task(reviewer, task.id, "approve")
    db.session.commit()
    assert campaign.state == "ranked", flow.open_tasks(province)
    return campaign
