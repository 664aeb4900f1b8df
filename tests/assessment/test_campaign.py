from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.assessment import flow_helpers as step
from tests.assessment.conftest import unit_of
from tests.conftest import TEST_PASSWORD
from webapp.assessment import flow, judging, operations
from webapp.assessment.models import CampaignState, ItemScore, ScoreOverride, UnitState
from webapp.core import audit
from webapp.core.errors import Conflict, DomainError, Hidden, InvalidInput, PermissionDenied
from webapp.core.models import AuditRecord
from webapp.extensions import db


def audits(action: str) -> list[AuditRecord]:
    audit.write_pending()  # the records this test's transaction made are linked at commit
    return list(
        db.session.execute(select(AuditRecord).where(AuditRecord.action == action)).scalars()
    )


def test_open_campaign_creates_every_city_and_direct_county(open_campaign, make_user):
    campaign = open_campaign("fujian2", 2026)
    assert campaign.state == CampaignState.SELF_ASSESSMENT
    assert len(campaign.units) == 28  # 18 cities + 10 directly administered counties
    assert {u.org.tier for u in campaign.units} == {"city", "direct_county"}
    assert campaign.self_due == date(2026, 11, 30)
    assert campaign.sheet.kind == "fujian2" and campaign.sheet.is_active
    province = flow.province_instance(campaign)  # opened the way production does
    assert [t.element_id for t in flow.open_tasks(province)] == ["close_self"]
    assert all(flow.open_tasks(flow.unit_instance(u), "fill") for u in campaign.units)
    (rec,) = audits("assessment.campaign_open")
    assert rec.after["kind"] == "fujian2" and len(rec.after["units"]) == 28
    with pytest.raises(Conflict):
        open_campaign("fujian2", 2026)


def test_only_the_province_opens_a_campaign(sheets, workflows, make_user):
    for role, code in (("clerk", "410100"), ("leader", "410100"), ("clerk", "410000")):
        with pytest.raises(PermissionDenied):
            flow.start_campaign(make_user(role, code), "fujian3", 2025)


def test_fujian2_sample_sizes_are_fixed(open_campaign):
    with pytest.raises(InvalidInput, match="每个省辖市查看6个项目"):
        open_campaign("fujian2", 2026, sample_city=4)


def test_self_assessment_clerk_fills_leader_approves(open_campaign, make_user):
    campaign = open_campaign("fujian2", 2026)  # 附件2 has the self-assessment (附件3 has none)
    unit = unit_of(campaign, "410100")
    clerk, leader = make_user("clerk", "410100"), make_user("leader", "410100")
    operations.save_self_assessment(
        clerk, unit.id, judgments={"2.4": {"unmet": ["a", "b"]}}, summary="总结"
    )
    assert unit.self_total == Decimal("99")  # 带班制度: 5 − 2 = 3 of 4
    rows = [s for s in unit.scores if s.phase == "self"]
    assert len(rows) == 26 and {r.scorer_id for r in rows} == {clerk.id}
    with pytest.raises(Conflict, match="领导审核"):  # nothing to approve before submitting
        step.approve_self(leader, unit.id)
    with pytest.raises(PermissionDenied):  # the operation: a clerk does not approve
        operations.approve_self_assessment(clerk, unit.id)
    step.submit_self(clerk, unit.id)
    with pytest.raises(PermissionDenied):  # the step: a clerk does not approve either
        step.approve_self(clerk, unit.id)
    with pytest.raises(Conflict):  # no editing while the leader reviews
        operations.save_self_assessment(clerk, unit.id, judgments={})
    with pytest.raises(InvalidInput, match="退回时必须填写审批意见"):  # the engine's rule
        step.return_self(leader, unit.id, "")
    step.return_self(leader, unit.id, "请补充佐证材料")
    assert unit.state == UnitState.DRAFT and unit.return_reason == "请补充佐证材料"
    step.submit_self(clerk, unit.id)
    step.approve_self(leader, unit.id)
    assert unit.state == UnitState.SELF_SUBMITTED
    assert flow.unit_instance(unit).business_status == "submitted"
    assert [a.action for a in audits("assessment.self_return")] == ["assessment.self_return"]
    assert len(audits("assessment.self_submit")) == 2
    assert audits("assessment.self_save")[0].after["self_total"] == "99.00"


def test_self_assessment_needs_summary_and_other_units_are_refused(open_campaign, make_user):
    campaign = open_campaign("fujian2", 2026)
    unit = unit_of(campaign, "410100")
    clerk = make_user("clerk", "410100")
    with pytest.raises(InvalidInput, match="尚未填写自评评分表；尚未填写全年活动情况书面总结"):
        step.submit_self(clerk, unit.id)
    # another city, and a county below the city, may not even see the unit: answered as missing
    with pytest.raises(Hidden):
        operations.save_self_assessment(make_user("clerk", "410200"), unit.id, judgments={})
    with pytest.raises(Hidden):  # a county below the city does not fill it either
        operations.save_self_assessment(make_user("clerk", "410102"), unit.id, judgments={})


def test_submitter_cannot_approve_own_self_assessment(open_campaign, make_user):
    unit = unit_of(open_campaign("fujian2", 2026), "410181")
    both = make_user(["clerk", "leader"], "410181")
    operations.save_self_assessment(both, unit.id, judgments={}, summary="总结")
    step.submit_self(both, unit.id)
    with pytest.raises(DomainError, match="提交人不能审核"):
        step.approve_self(both, unit.id)
    assert unit.state == UnitState.SELF_REVIEW  # the task stays open for another leader
    assert flow.open_tasks(flow.unit_instance(unit), "approve")


def judgments_losing(missing: Decimal) -> dict:
    """附件3 judgments that lose exactly ``missing`` points (steps of 0.5 up to 25)."""
    judgments: dict = {}
    if missing % 1:
        judgments["3.1"] = {"met": ["b", "c", "d"]}  # −2.5
        missing -= Decimal("2.5")
    r = int(missing)
    a = min(r, 12)  # 施工现场监管: 1 per duty
    b = min((r - a) // 2, 5)  # 监督执法工作: 2 per duty
    c = r - a - 2 * b  # 档案管理: 1 per part
    assert 0 <= c <= 3
    if a:
        judgments["2.2"] = {"unmet": list("abcdefghijkl")[:a]}
    if b:
        judgments["1.5"] = {"unmet": list("abcde")[:b]}
    if c:
        judgments["1.4"] = {"met": ["a", "b", "c"][c:]}
    return judgments


def scored_campaign(open_campaign, province_staff, totals_by_code, kind="fujian3"):
    """Open, close self-assessment, draw, score every unit to the given totals (default 100)
    and pass the review: the process ranks the units."""
    campaign = open_campaign(kind, 2025 if kind == "fujian3" else 2026)
    step.close_self(province_staff["assessor"], campaign)
    step.draw(province_staff["assessor"], campaign)
    for unit in campaign.units:
        total = totals_by_code.get(unit.org.code, Decimal(100))
        judgments = judgments_losing(Decimal(100) - total)
        result = judging.score_unit(province_staff["assessor"], unit.id, judgments)
        assert Decimal(result["total"]) == total
    step.finish_scoring(province_staff["assessor"], province_staff["reviewer"], campaign)
    return campaign


def test_scoring_override_ranking_and_fujian3_results(open_campaign, province_staff):
    totals = {"410100": Decimal(95), "410200": Decimal(95), "410300": Decimal("97.5")}
    totals |= {"411700": Decimal(90), "411600": Decimal(91), "411500": Decimal(92)}
    campaign = scored_campaign(open_campaign, province_staff, totals)
    assert campaign.state == CampaignState.RANKED  # the process ranked once all were reviewed
    rows = judging.ranking(campaign)
    by_code = {r["org_code"]: r for r in rows}
    # 22 units at 100 share rank 1; then 97.5 is 23rd; the two 95s share 24
    assert by_code["410400"]["rank"] == 1 and by_code["410300"]["rank"] == 23
    assert by_code["410100"]["rank"] == by_code["410200"]["rank"] == 24
    assert by_code["411700"]["rank"] == 28 and by_code["411700"]["total"] == "90.00"

    zz = unit_of(campaign, "411700")
    with pytest.raises(PermissionDenied):
        judging.override_item_score(province_staff["assessor"], zz.id, "2.2", "12", "复核")
    judging.override_item_score(province_staff["leader"], zz.id, "2.2", "12", "复核后补充证据")
    (rec,) = audits("assessment.override")
    assert rec.before == {"item": "2.2", "score": "2.00"}
    assert rec.after == {"item": "2.2", "score": "12"} and rec.message == "复核后补充证据"
    with pytest.raises(InvalidInput, match="须在 0 至 12 分之间"):
        judging.override_item_score(province_staff["leader"], zz.id, "2.2", "12.5", "x")
    assert db.session.query(ScoreOverride).count() == 1
    assert zz.final_score == Decimal(100) and zz.rank == 1  # re-ranked at once

    step.approve_results(province_staff["leader"], campaign, "同意")
    assert campaign.state == CampaignState.APPROVED
    results = campaign.results
    assert len(results["advanced"]) == 23  # every unit tied at the top counts
    assert "410300" not in results["advanced"]
    # 91, 92 and the two tied 95s: fewer than three units scored less than each
    assert results["interview"] == ["410100", "410200", "411500", "411600"]


def test_bottom_three_and_top_five_with_distinct_scores(open_campaign, province_staff):
    codes = ["410100", "410200", "410300", "410400", "410500", "410600", "410700", "410800"]
    totals = {c: Decimal(100) - i for i, c in enumerate(codes)}
    totals |= {"411700": Decimal(80), "411600": Decimal(81), "411500": Decimal(82)}
    campaign = scored_campaign(open_campaign, province_staff, totals)  # ranked by the process
    step.approve_results(province_staff["leader"], campaign)
    assert sorted(campaign.results["interview"]) == ["411500", "411600", "411700"]
    assert unit_of(campaign, "411700").result == ["约谈、通报批评"]
    # 410100 at 100 ties with the 17 untouched units: all share rank 1 and are 先进单位
    assert "410100" in campaign.results["advanced"] and "410200" not in campaign.results["advanced"]
    (rank_rec,) = audits("assessment.rank")
    assert rank_rec.actor_name == "system"


def test_ranking_refuses_unscored_units(open_campaign, province_staff):
    campaign = open_campaign()
    assessor = province_staff["assessor"]
    step.close_self(assessor, campaign)
    step.draw(assessor, campaign)
    judging.score_unit(assessor, campaign.units[0].id, {})
    step.finish_scoring(assessor, province_staff["reviewer"], campaign)
    # the process does not rank: every unscored unit's 考核评分 came back with the reason
    assert campaign.state == CampaignState.SCORING
    back = flow.open_tasks(flow.province_instance(campaign), "score")
    assert len(back) == len(campaign.units) - 1
    assert {flow.step_error(t) for t in back} >= {"尚未保存洛阳市的评分。"}
    with pytest.raises(InvalidInput, match="以下单位尚未评分"):  # nor does the operation
        judging.compute_ranking(province_staff["reviewer"], campaign.id)


def test_two_assessors_are_averaged(open_campaign, province_staff):
    campaign = open_campaign()
    step.close_self(province_staff["assessor"], campaign)
    unit = unit_of(campaign, "410100")
    judging.score_unit(
        province_staff["assessor"], unit.id, {"1.6": {"unmet": ["a"]}}, notes={"1.6": "未见记录"}
    )
    judging.score_unit(province_staff["assessor2"], unit.id, {})
    items = judging.final_items(unit)
    assert items["1.6"] == Decimal("1.50")  # (1 + 2) / 2
    final = judging.final_scores(unit)
    assert final.total == Decimal("99.50")
    assert final.sections["住房城乡建设主管部门"] == Decimal("59.50")
    row = db.session.execute(
        select(ItemScore).where(ItemScore.item_id == "1.6", ItemScore.note != "")
    ).scalar_one()
    assert row.unmet == ["a"] and row.scorer_id == province_staff["assessor"].id
    with pytest.raises(PermissionDenied):
        judging.score_unit(province_staff["reviewer"], unit.id, {})


def test_fujian2_awards_are_chosen_by_the_leader(open_campaign, province_staff):
    campaign = open_campaign("fujian2", 2026)
    step.score_every_unit(province_staff, campaign)
    with pytest.raises(InvalidInput, match="先进个人奖须填写获奖人姓名"):
        step.approve_results(
            province_staff["leader"],
            campaign,
            awards=[{"award": "先进个人奖", "org_code": "410100"}],
        )
    step.approve_results(
        province_staff["leader"],
        campaign,
        awards=[
            {"award": "优秀组织奖", "org_code": "410100"},
            {"award": "先进个人奖", "org_code": "410300", "person": "张三"},
        ],
        criticised=["410500"],
    )
    assert unit_of(campaign, "410100").result == ["优秀组织奖"]
    assert unit_of(campaign, "410300").result == ["先进个人奖（张三）"]
    assert unit_of(campaign, "410500").result == ["通报批评"]


def test_a_huge_override_score_is_a_422_not_a_500(open_campaign, province_staff, client):
    campaign = open_campaign()
    step.close_self(province_staff["assessor"], campaign)
    db.session.commit()
    zz = unit_of(campaign, "411700")
    with pytest.raises(InvalidInput, match="得分数值过大"):
        judging.override_item_score(province_staff["leader"], zz.id, "2.2", "1e300", "复核")
    token = client.post(
        "/api/v1/auth/tokens", json={"username": "leader_410000", "password": TEST_PASSWORD}
    ).get_json()["token"]
    response = client.post(
        f"/api/v1/assessment/units/{zz.id}/overrides",
        json={"item_id": "2.2", "score": "1e300", "reason": "复核"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["json"]["score"] == ["数值过大"]


def test_the_leader_reaches_the_score_adjustment_from_the_ranking(
    open_campaign, province_staff, app, make_user
):
    """Found from outside: the province's leader (who approves the results and adjusts a score,
    assessment.approve) was not an assessor and got 403 on the score page where 调整得分 is.
    Now the ranking links each unit's score page; the leader reads it (no sheet to save, no
    site-visit forms) and adjusts there; saving scores stays the assessors'."""
    from tests.conftest import csrf_token, login

    totals = {"411700": Decimal(90)}
    campaign = scored_campaign(open_campaign, province_staff, totals)
    zz = unit_of(campaign, "411700")
    web = app.test_client()
    login(web, province_staff["leader"].username)
    ranking = web.get(f"/assessment/campaigns/{campaign.id}/ranking").get_data(as_text=True)
    assert f'href="/assessment/units/{zz.id}/score">查看评分、调整得分' in ranking
    page = web.get(f"/assessment/units/{zz.id}/score")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="override-form"' in html
    assert 'id="save-score"' not in html and 'id="scores-read-only"' in html
    assert "assessment/sites/" not in html  # no 现场检查 form for the leader
    # a county, to which some items do not apply: the adjustment's list says — for them (it
    # was a 500, found by the demo link sweep)
    county = next(u for u in campaign.units if u.org.tier != "city")
    assert web.get(f"/assessment/units/{county.id}/score").status_code == 200
    done = web.post(
        f"/assessment/units/{zz.id}/override",
        data={"csrf_token": csrf_token(web, f"/assessment/units/{zz.id}/score"),
              "item_id": "2.2", "score": "12", "reason": "复核后补充证据"},
    )  # fmt: skip
    assert done.status_code == 302 and db.session.query(ScoreOverride).count() == 1
    saved = web.post(
        f"/assessment/units/{zz.id}/score",
        data={"csrf_token": csrf_token(web, f"/assessment/units/{zz.id}/score")},
    )
    assert saved.status_code == 403  # scoring stays the assessors'
    # a city's leader (no assessment.approve at the province) is still refused: another city's
    # unit is not theirs to see, so it answers as a missing one
    city_leader = make_user("leader", "410100", "leader_zz_city")
    other = app.test_client()
    login(other, city_leader.username)
    assert other.get(f"/assessment/units/{zz.id}/score").status_code == 404
