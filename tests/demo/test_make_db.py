"""The demo province that ``make db`` builds (tests/demo/conftest.py runs its commands once):

- the reports: a province's real year, built relative to today (issue 15): last year complete,
  this year's past quarters accepted (two returned first, one unit late), the current quarter
  open, the annual report open in December;
- the publication: reports with the outcome-only index, records in publicity at the tier that
  approved them, one withdrawn after an objection, one objection open;
- the assessments: last year's 附件3 approved with every unit's materials and this year's 附件2
  ranked and waiting for the laggards to be confirmed (docs/assessment.md §7a).

One module, so that pytest-xdist's ``--dist loadfile`` gives the whole build to one worker.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from tests.demo.conftest import TODAY
from webapp.assessment import flow, judging, operations, proposals
from webapp.assessment.models import AssessmentCampaign, Observation, SiteSample
from webapp.audit.reporting import reporting_record
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.publication.demo import seed_publication
from webapp.publication.index import METHOD
from webapp.publication.models import PublishedRecord, RecordObjection
from webapp.publication.operations import find_publication
from webapp.publication.publicity import UPHELD
from webapp.publication.state import publication_state
from webapp.reports.demo import history_periods, seed_history
from webapp.reports.models import Report
from webapp.reports.state import report_state


def _count(**where) -> int:
    stmt = select(func.count()).select_from(Report).filter_by(**where)
    return db.session.execute(stmt).scalar_one()


def test_demo_is_a_real_year_relative_to_today(demo):
    """domain.md §3 (periods: quarterly due at quarter end, annual due 12-20) and §5 ("A window
    already open when the system starts (for example the annual window that opens 12-01) is
    opened at once"); §7 Decision (reporting record): "expected = every report the unit had to
    make …; late = first submitted after its due time; errors = returns that the upper level
    classifies as 数据差错 or 内容失误 …"."""
    assert history_periods(TODAY.date()) == [
        "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2025", "2026Q1", "2026Q2", "2026Q3",
    ]  # fmt: skip
    # 62 units × 7 quarters + the 29 annual reports of last year, through the flow
    assert (
        demo["reports demo-history"]
        .strip()
        .endswith(f"接收 {62 * 7 + 29} 份报告（其中上级退回后重报 2 份，逾期报送 1 份）。")
    )
    assert clock.now() == TODAY.astimezone(clock.UTC)  # the clock is restored

    # last year complete: every unit's four quarters and the 29 annual reports accepted
    for q in (1, 2, 3, 4):
        assert _count(period=f"2025Q{q}", locked=True) == 62
    assert _count(period="2025", kind="annual", locked=True) == 29
    # this year's past quarters accepted; the current quarter and the annual report open
    for q in (1, 2, 3):
        assert _count(period=f"2026Q{q}", locked=True) == 62
    assert _count(period="2026Q4") == 62 and _count(period="2026Q4", locked=True) == 0
    annual = list(db.session.execute(select(Report).filter_by(period="2026")).scalars())
    assert len(annual) == 29 and {report_state(r).value for r in annual} == {"drafting"}

    # the reporting record: last year clean; this year two returns (one an error), one late
    last = {r.org_code: r for r in reporting_record(2025)}
    assert len(last) == 61  # every unit below the province
    assert all(r.missing == 0 and r.late_reports == 0 and r.errors == 0 for r in last.values())
    assert sum(r.expected for r in last.values()) == 61 * 4 + 28
    assert all(r.on_time_met for r in last.values())
    this = {r.org_code: r for r in reporting_record(2026)}
    assert this["410300"].returns == 1 and this["410300"].errors == 1  # 数据差错
    assert this["410102"].returns == 1 and this["410102"].errors == 0  # 其他（格式）
    assert this["410200"].late_reports == 1
    assert sum(r.returns for r in this.values()) == 2
    assert sum(r.late_reports for r in this.values()) == 1
    # so far this year: Q4 open for everyone, the annual report for cities and 直管县
    assert this["410102"].missing == 1 and this["410100"].missing == 2

    # the 通报 proposal for this year (domain.md §7: 批评 for 重大失误 or 上报不及时); the reports
    # not yet due (Q4, the annual report) are not missing
    from webapp.reports.notice import propose

    lists = propose(2026)
    assert {u["org_code"]: u["reason"] for u in lists["criticise_units"]} == {
        "410200": "上报不及时（首报逾期 1 份）",
        "410300": "重大失误（报送差错 1 次）",
    }
    assert len(lists["commend_units"]) == 26 and len(propose(2025)["commend_units"]) == 28

    # 引用上期内容 has something to copy in the open quarter
    from webapp.reports.operations import find_report, previous_narrative

    q4 = find_report(get_org("410102"), "2026Q4", "quarterly")
    assert previous_narrative(q4)["s01"]

    again = seed_history()  # idempotent
    assert (again.accepted, again.returned, again.late) == (0, 0, 0)


def test_demo_publishes_records_an_objection_and_the_index(demo, client):
    """domain.md §6 Decisions (records, quality index) as the demo province shows them."""
    assert "演示公开：2026H1 已发布 4 份报告（" in demo["publication demo"]
    assert "河南省" in demo["publication demo"] and "信用记录异议 2 件" in demo["publication demo"]
    province = find_publication(get_org("410000"), "2026H1")
    index = province.snapshot["figures"]["index"]
    assert index["method"] == METHOD and index["value"] is not None
    assert len(province.snapshot["figures"]["unit_indexes"]) == 28  # 18 cities, 10 直管县
    # 郑州市 is left drafting for the README's journey.
    assert publication_state(find_publication(get_org("410100"), "2026H1")).value == "drafting"
    records = list(db.session.execute(select(PublishedRecord)).scalars())
    withdrawn = [r for r in records if r.withdrawn_at is not None]
    assert len(withdrawn) == 1 and withdrawn[0].withdrawal_reason == UPHELD
    public = client.get("/api/v1/public/records").get_json()
    assert public["total"] == len(records) - 1 >= 2
    assert all(r["person_name"] and r["public_until"] for r in public["items"])
    waiting = db.session.execute(
        select(RecordObjection).where(RecordObjection.answered_at.is_(None))
    ).scalars()
    assert len(list(waiting)) == 1
    # Idempotent.
    assert seed_publication()["published"] == []


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
