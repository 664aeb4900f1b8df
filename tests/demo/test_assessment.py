"""The demo's assessment year (``flask assessment demo``, run by ``make db``), as docs/assessment.md
§7a describes it and domain.md §7 the year: "附件3: in Q1 for the previous year, daily observations
plus a year-end check with randomly sampled affordable-housing sites"; issue 15: "附件3 has no
self-assessment in the text: the unit uploads its 工作汇报 and 年度工作计划和总结"; 附件2's
"self-assessment and written summary due 11-30; in December the province team" checks and ranks.
Built on TODAY (2026-12-06): last year's 附件3 approved in March, this year's 附件2 ranked and
waiting for the assessors to confirm the laggards."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from webapp.assessment import flow, judging, operations, proposals
from webapp.assessment.models import AssessmentCampaign, Observation, SiteSample
from webapp.core.models import AuditRecord
from webapp.extensions import db


def _campaign(kind: str, year: int) -> AssessmentCampaign:
    return db.session.execute(
        select(AssessmentCampaign).filter_by(kind=kind, year=year)
    ).scalar_one()


def _audits(action: str) -> int:
    stmt = select(func.count()).select_from(AuditRecord).filter_by(action=action)
    return db.session.execute(stmt).scalar_one()


def test_last_years_fujian3_is_approved_with_materials_log_and_scaled_counties(demo):
    assert demo["assessment demo"].strip() == (
        "演示考核：2025年度附件3考核（已审批通报）、2026年度附件2考核（已排名，待确认工作落后地区）"
    )
    f3 = _campaign("fujian3", 2025)
    assert f3.state == "approved" and len(f3.units) == 28  # 18 cities + 10 direct counties
    assert str(f3.self_due) == "2026-01-31"
    # every unit sent its materials through its materials process (no self-assessment), its
    # leader approved; two sent them after the due date
    assert {flow.unit_instance(u).process_key for u in f3.units} == {"year_end_materials"}
    assert {flow.unit_instance(u).state for u in f3.units} == {"completed"}
    assert all(u.self_total is None for u in f3.units)
    assert _audits("assessment.materials_submit") == 28
    assert _audits("assessment.self_submit") == 2  # 附件2's two units, below
    docs = [operations.materials(u) for u in f3.units]
    assert all(d["work_report"] and d["plan_summary"] for d in docs)
    assert Counter(d["plan_summary"].stage for d in docs) == {"submitted": 26, "late": 2}
    # 1.13a proposed from those dates: the two late units lose the point
    met = Counter(proposals.proposals(u)["1.13"].met for u in f3.units)
    assert met == {True: 26, False: 2}
    # the 日常考察 log of the year
    logged = select(func.count()).select_from(Observation).filter_by(year=2025)
    assert db.session.execute(logged).scalar_one() == 6
    # scored, ranked, results approved; the directly administered counties scaled to 100
    ranking = judging.ranking(f3)
    assert len(ranking) == 28 and all(u.rank for u in f3.units)
    scaled = [u for u in f3.units if judging.final_scores(u).applicable != 100]
    assert {u.org.tier for u in scaled} == {"direct_county"} and len(scaled) == 10
    assert sum(1 for u in f3.units if u.result) >= 8  # 先进单位 (top five) and 约谈 (bottom three)


def test_this_years_fujian2_waits_for_the_laggards_to_be_confirmed(demo):
    f2 = _campaign("fujian2", 2026)
    assert f2.state == "ranked" and len(f2.units) == 28
    assert [t.element_id for t in flow.campaign_tasks(f2)] == ["confirm_laggards"]
    # two units reported their self-assessment (附件2 has one) before the phase was closed
    assert {u.org.code for u in f2.units if u.self_total is not None} == {"410100", "410181"}
    assert {flow.unit_instance(u).process_key for u in f2.units} == {"year_end_self_assessment"}
    closed = Counter(flow.unit_instance(u).business_status for u in f2.units)
    assert closed == {"self_closed": 26, "submitted": 2}
    # 济源 has no 县（市）: its county sites were made up from the city body
    sample = db.session.execute(select(SiteSample).filter_by(campaign_id=f2.id)).scalar_one()
    assert "419001" in {m["org_code"] for m in sample.made_up}
    assert len(judging.ranking(f2)) == 28 and judging.proposed_laggards(f2)
