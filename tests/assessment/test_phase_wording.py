"""附件3's campaign says what it is: 材料报送, never 自评 (its units send materials only).

Issue 15: "附件3 has no self-assessment in the text: the unit uploads its 工作汇报 and
年度工作计划和总结"; the province's pages, notices, status labels and steps of that campaign
say 材料报送 (结束材料报送阶段, 材料报送逾期), while 附件2's (which has a self-assessment)
keep 自评.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from tests.assessment.conftest import unit_of
from webapp.assessment import flow
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.engine import run_timers
from webapp.engine.models import Notification
from webapp.extensions import db

TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)


def visible(html: str) -> str:
    """The page's text as a reader sees it (tags, scripts and styles removed)."""
    return TAGS.sub(" ", html)


def _province_pages(client, campaign) -> dict[str, str]:
    """The pages the province's assessor opens for a campaign in its first phase."""
    [close] = [t for t in flow.campaign_tasks(campaign) if t.element_id in flow.CLOSE_STEPS]
    instance = flow.province_instance(campaign)
    unit = unit_of(campaign, "410100")
    paths = {
        "campaign": f"/assessment/campaigns/{campaign.id}",
        "task": f"/tasks/{close.id}",
        "instance": f"/tasks/instances/{instance.id}",
        "unit": f"/assessment/units/{unit.id}",
        "inbox": "/tasks/",
    }
    out = {}
    for name, path in paths.items():
        page = client.get(path)
        assert page.status_code == 200, (name, path)
        out[name] = visible(page.get_data(as_text=True))
    return out


def test_materials_campaign_says_materials_and_self_assessment_keeps_its_words(
    open_campaign, logged_in
):
    clock.set_now(datetime(2026, 1, 10, 2, tzinfo=UTC))
    materials = open_campaign("fujian3", 2025)
    client = logged_in("assessor", "410000", "assessor9_410000")
    pages = _province_pages(client, materials)
    assert "结束材料报送" in pages["campaign"] and "单位报送材料" in pages["campaign"]
    assert "材料报送状态" in pages["campaign"] and "材料报送中" in pages["campaign"]
    assert "结束材料报送阶段" in pages["task"] and "材料报送截止" in pages["task"]
    assert "单位报送材料中" in pages["instance"]  # the province instance's status label
    assert "结束材料报送" in pages["inbox"]
    for name, text in pages.items():
        assert "自评" not in text.replace("不设单位自评", ""), name

    self_assessed = open_campaign("fujian2", 2026)
    pages = _province_pages(client, self_assessed)
    assert "结束自评" in pages["campaign"] and "自评状态" in pages["campaign"]
    assert "自评填报中" in pages["campaign"] and "自评总分" in pages["campaign"]
    assert "结束自评阶段" in pages["task"] and "单位自评中" in pages["instance"]
    assert "结束材料报送" not in pages["campaign"] and "材料报送中" not in pages["campaign"]


def test_materials_overdue_notice_and_closed_status_say_materials(
    open_campaign, province_staff, make_user
):
    clock.set_now(datetime(2026, 1, 10, 2, tzinfo=UTC))
    campaign = open_campaign("fujian3", 2025)
    clerk = make_user("clerk", "410100")
    clock.set_now(datetime(2026, 2, 2, 2, tzinfo=UTC))  # past the 01-31 due date
    run_timers()
    db.session.commit()
    [notice] = db.session.execute(
        select(Notification).filter_by(user_id=clerk.id, kind="overdue")
    ).scalars()
    assert "材料报送逾期" in notice.message and "自评" not in notice.message
    actions = set(db.session.execute(select(AuditRecord.action)).scalars())
    assert "assessment.materials_overdue" in actions and "assessment.self_overdue" not in actions
    flow.act_on_campaign(province_staff["assessor"], campaign.id, "close")
    db.session.commit()
    unit = unit_of(campaign, "410100")
    assert flow.unit_instance(unit).business_status == "materials_closed"
