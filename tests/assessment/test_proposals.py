"""Evidence the system holds, proposed to the assessor: 附件3 按时报送工程质量运行态势分析报告
from the reporting-work record; the assessor may override it with a reason (audited)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.assessment import flow_helpers as step
from tests.assessment.conftest import unit_of
from tests.conftest import TEST_PASSWORD
from webapp.assessment import judging, proposals
from webapp.core import audit, clock
from webapp.core.models import AuditRecord
from webapp.extensions import db


def submit(code, period, on_time=True):
    audit.record(
        "report.submit",
        actor_name="test",
        org=code,
        object_type="report",
        object_id=f"{code}:{period}",
        after={"period": period, "kind": "quarterly", "due_at": "x", "on_time": on_time},
    )


def opened(code, period):
    """What the engine records when a period is opened for the unit (its expected report)."""
    audit.record(
        "workflow.start",
        actor_name="system",
        org=code,
        object_type="process_instance",
        object_id=f"{code}:{period}",
        after={"process": "quarterly_report", "business_key": f"report:{code}:{period}"},
    )


def test_partial_reporting_is_not_on_time(app, open_campaign, province_staff):
    """domain.md §7: '"按时报送" is met only when nothing is missing and nothing late.'
    A unit that submitted two of its four quarters on time has two missing reports."""
    clock.set_now(datetime(2026, 2, 10, 2, tzinfo=UTC))
    for q in (1, 2, 3, 4):
        opened("410400", f"2025Q{q}")
    submit("410400", "2025Q1")
    submit("410400", "2025Q2")
    db.session.commit()
    campaign = open_campaign("fujian3", 2025)
    step.close_self(province_staff["assessor"], campaign)
    db.session.commit()
    proposal = proposals.proposals(unit_of(campaign, "410400"))["1.9"]
    assert proposal.met is False
    assert proposal.reason == "2025年度应报 4 份、已报 2 份，其中未报 2 份；无退回"


def checkbox(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index(">", start)]


def test_reporting_record_proposes_and_the_assessor_overrides_with_a_reason(
    app, open_campaign, province_staff, logged_in, make_user
):
    clock.set_now(datetime(2026, 2, 10, 2, tzinfo=UTC))
    for q in (1, 2, 3, 4):
        submit("410100", f"2025Q{q}")
        submit("410200", f"2025Q{q}", on_time=q != 3)
    audit.record(
        "report.return",
        actor_name="test",
        org="410200",
        after={"period": "2025Q2", "kind": "quarterly"},
        message="数据有误",
    )
    db.session.commit()
    campaign = open_campaign("fujian3", 2025)
    step.close_self(province_staff["assessor"], campaign)
    db.session.commit()
    zz, kf, ly = (unit_of(campaign, c) for c in ("410100", "410200", "410300"))
    assert proposals.proposals(zz)["1.9"].met is True
    late = proposals.proposals(kf)["1.9"]
    assert late.met is False and late.target == "a"
    assert late.reason == (
        "2025年度应报 4 份、已报 4 份，其中1 份首次报送逾期；被上级退回修改 1 次"
    )
    assert proposals.proposals(ly)["1.9"].met is None  # nothing recorded: nothing proposed

    # the scoring page shows the proposal with a link to the record, and pre-ticks it
    page = logged_in("assessor", "410000", "assessor9_410000")
    html = page.get(f"/assessment/units/{kf.id}/score").get_data(as_text=True)
    assert 'data-proposal="1.9"' in html and "首次报送逾期" in html
    assert "/audit/reporting/410200?year=2025" in html
    assert "checked" not in checkbox(html, "j-1.9-a") and "checked" in checkbox(html, "j-1.9-b")

    # an item not judged follows the proposal; departing from it needs a reason
    assessor = province_staff["assessor"]
    assert judging.score_unit(assessor, kf.id, {})["items"]["1.9"] == "5.00"
    assert judging.score_unit(assessor, ly.id, {})["items"]["1.9"] == "10.00"
    db.session.commit()
    client = app.test_client()  # a token client (the page session above would need CSRF)
    make_user("assessor", "410000", "assessor8_410000")
    token = client.post(
        "/api/v1/auth/tokens", json={"username": "assessor8_410000", "password": TEST_PASSWORD}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    refused = client.put(
        f"/api/v1/assessment/units/{kf.id}/scores",
        json={"judgments": {"1.9": {"met": ["a", "b"]}}},
        headers=headers,
    )
    assert refused.status_code == 422, refused.get_json()
    assert "工程质量运行态势分析" in refused.get_json()["message"]
    accepted = client.put(
        f"/api/v1/assessment/units/{kf.id}/scores",
        json={
            "judgments": {"1.9": {"met": ["a", "b"]}},
            "notes": {"1.9": "第三季度逾期系系统故障，有省厅情况说明"},
        },
        headers=headers,
    )
    assert accepted.status_code == 200 and accepted.get_json()["items"]["1.9"] == "10.00"
    record = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "assessment.evidence_override")
    ).scalar_one()
    assert record.org_code == "410200" and record.before["met"] is False
    assert record.after["met"] is True and "系统故障" in record.message
    assert "首次报送逾期" in record.message


def test_enforcement_and_lower_reviews_are_proposed_from_ledgers_and_reviews(
    open_campaign, province_staff
):
    """附件3 1.5 监督执法 (d) from penalties and bad-behaviour records; 1.8 层级监督考核 (a) from
    the city's acceptances and returns of its counties' reports."""
    from datetime import date

    from webapp.core.operations import get_org
    from webapp.ledger.models import AdministrativePenalty

    clock.set_now(datetime(2025, 12, 20, 2, tzinfo=UTC))
    db.session.add(
        AdministrativePenalty(
            org_id=get_org("410102").id,
            record_no="CF-1",
            project_name="某工程",
            responsible_unit="某公司",
            decided_on=date(2025, 6, 1),
            violation="偷工减料",
        )
    )
    audit.record(
        "report.accept",
        actor_name="reviewer_410100",
        org="410102",
        after={"period": "2025Q3", "kind": "quarterly"},
    )
    audit.record(
        "report.return",
        actor_name="reviewer_410100",
        org="410103",
        after={"period": "2025Q3", "kind": "quarterly"},
        message="数据有误",
    )
    db.session.commit()
    clock.set_now(datetime(2026, 2, 10, 2, tzinfo=UTC))
    campaign = open_campaign("fujian3", 2025)
    db.session.commit()
    zz, kf, gy = (unit_of(campaign, c) for c in ("410100", "410200", "410181"))
    enforcement = proposals.proposals(zz)["1.5"]
    assert enforcement.met is True and enforcement.target == "d"
    assert "行政处罚 1 起" in enforcement.reason
    assert proposals.proposals(kf)["1.5"].met is None  # nothing recorded: nothing proposed
    reviews = proposals.proposals(zz)["1.8"]
    assert reviews.met is True and "接收 1 份、退回修改 1 次" in reviews.reason
    assert proposals.proposals(kf)["1.8"].met is None
    # 1.8 does not apply to 巩义 (a directly administered county): no proposal, not scored
    assert "1.8" not in proposals.proposals(gy)


def test_complaints_review_outcomes_are_proposed_for_item_1_7(open_campaign, province_staff):
    """附件3 1.7 工程质量投诉和复议 (b): "所作出的投诉处理决定未被复议机关、审判机关确认违法、
    撤销或变更" — read from the complaints ledger of the unit's subtree (domain.md §2)."""
    from datetime import date

    from webapp.core.operations import get_org
    from webapp.ledger.models import Complaint

    clock.set_now(datetime(2025, 12, 20, 2, tzinfo=UTC))

    def complaint(no, code, outcome):
        db.session.add(
            Complaint(
                org_id=get_org(code).id,
                complaint_no=no,
                received_on=date(2025, 5, 1),
                complainant_type="业主（住户）",
                project_name="某小区",
                subject="渗漏",
                handling_unit="质监站",
                result="已处理",
                closed_on=date(2025, 6, 1),
                review_outcome=outcome,
            )
        )

    complaint("ZZ-1", "410102", "维持")
    complaint("ZZ-2", "410103", "未申请复议或诉讼")
    complaint("KF-1", "410202", "撤销")
    db.session.commit()
    clock.set_now(datetime(2026, 2, 10, 2, tzinfo=UTC))
    campaign = open_campaign("fujian3", 2025)
    db.session.commit()
    zz, kf, ly = (unit_of(campaign, c) for c in ("410100", "410200", "410300"))
    kept = proposals.proposals(zz)["1.7"]
    assert kept.met is True and kept.target == "b"
    assert "办结投诉 2 件，处理决定均未被确认违法、撤销或变更" in kept.reason
    overturned = proposals.proposals(kf)["1.7"]
    assert (
        overturned.met is False and "其中 1 件的处理决定被复议机关、审判机关" in overturned.reason
    )
    assert proposals.proposals(ly)["1.7"].met is None  # nothing recorded: nothing proposed
