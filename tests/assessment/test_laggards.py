"""附件2 results: the bottom units proposed as laggards, confirmed by the assessors, measures
approved by the leader in the BPMN process.

附件2 三、（三）: "对工作落后的地区进行通报批评"; issue 15: "the system proposes the bottom units
(a setting) as laggards; assessors confirm; the leader approves 通报批评, 约谈主要领导 and
限制评先评奖 for them".
"""

from __future__ import annotations

import io

import pytest
from docx import Document

from tests.assessment import flow_helpers as step
from tests.assessment.conftest import unit_of
from webapp.assessment import documents, flow, judging
from webapp.core.errors import InvalidInput
from webapp.core.models import AuditRecord
from webapp.extensions import db

LOW = {"410500": {"1.1": {"unmet": ["a", "b"]}}, "410600": {"1.1": {"unmet": ["a"]}}}
LOW |= {"410700": {"1.1": {"unmet": ["a"]}}, "410800": {"2.1": {"unmet": ["a"]}}}


def ranked_fujian2(open_campaign, staff):
    campaign = open_campaign("fujian2", 2026)
    step.close_self(staff["assessor"], campaign)
    step.draw(staff["assessor"], campaign)
    for unit in campaign.units:
        judging.score_unit(staff["assessor"], unit.id, LOW.get(unit.org.code, {}))
    step.finish_scoring(staff["assessor"], staff["reviewer"], campaign)
    return campaign


def test_the_process_waits_for_the_assessors_then_the_leader_approves_measures(
    app, open_campaign, province_staff, ledger_stub
):
    """Bottom 3 by default (安阳 98, then 新乡 and 鹤壁 tied at 99 — both in, 焦作 99.5 not);
    a change needs a reason; the leader's measures become the results and the notice."""
    campaign = ranked_fujian2(open_campaign, province_staff)
    assert [t.element_id for t in flow.campaign_tasks(campaign)] == ["confirm_laggards"]
    assert judging.proposed_laggards(campaign) == ["410500", "410600", "410700"]
    with pytest.raises(InvalidInput, match="须写明理由"):
        step.confirm_laggards(province_staff["assessor"], campaign, laggards=["410500"])
    db.session.rollback()
    step.confirm_laggards(
        province_staff["assessor"],
        campaign,
        laggards=["410500", "410600"],
        laggards_note="鹤壁市已于年底整改到位",
    )
    db.session.commit()
    assert campaign.laggards["confirmed"] == ["410500", "410600"]
    assert campaign.laggards["proposed"] == ["410500", "410600", "410700"]
    rec = db.session.query(AuditRecord).filter_by(action="assessment.laggards_confirm").one()
    assert rec.message == "鹤壁市已于年底整改到位"
    assert [t.element_id for t in flow.campaign_tasks(campaign)] == ["approve_results"]

    with pytest.raises(InvalidInput, match="不是考核组确认的工作落后地区"):
        step.approve_results(province_staff["leader"], campaign, measures={"410800": ["通报批评"]})
    db.session.rollback()
    step.approve_results(
        province_staff["leader"],
        campaign,
        "同意",
        measures={"410600": ["通报批评", "限制评先评奖"]},  # 安阳: all three (the default)
    )
    db.session.commit()
    assert campaign.state == "approved"
    assert campaign.results["laggards"] == [
        {"org_code": "410500", "measures": ["通报批评", "约谈主要领导", "限制评先评奖"]},
        {"org_code": "410600", "measures": ["通报批评", "限制评先评奖"]},
    ]
    all_three = "工作落后（通报批评、约谈主要领导、限制评先评奖）"
    assert unit_of(campaign, "410500").result == [all_three]
    assert set(campaign.results["criticised"]) == {"410500", "410600"}
    text = "\n".join(
        p.text for p in Document(io.BytesIO(documents.render_results_notice(campaign))).paragraphs
    )
    assert "约谈主要领导：安阳市" in text and "限制评先评奖：安阳市、鹤壁市" in text


def test_the_count_is_a_setting_and_a_tie_with_the_best_is_never_a_laggard(
    app, open_campaign, province_staff, ledger_stub
):
    """ASSESSMENT_LAGGARD_COUNT = 1 proposes only the last; when all score alike, nobody."""
    campaign = ranked_fujian2(open_campaign, province_staff)
    app.config["ASSESSMENT_LAGGARD_COUNT"] = 1
    try:
        assert judging.proposed_laggards(campaign) == ["410500"]
    finally:
        app.config.pop("ASSESSMENT_LAGGARD_COUNT")
    for unit in campaign.units:
        unit.final_score = 100
    assert judging.proposed_laggards(campaign) == []
