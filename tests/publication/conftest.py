"""Publication test helpers: the real workflows, the oracle ledger with behaviour records, and
quarterly reports accepted (the quarterly flow itself is tested in tests/reports)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.reports.conftest import Api, api  # noqa: F401 (the api fixture)
from tests.stats.oracle import load_oracle
from webapp.core import clock
from webapp.core.operations import get_org
from webapp.engine import deploy_bpmn
from webapp.extensions import db
from webapp.ledger.models import AdministrativePenalty, BadBehaviourRecord, GoodBehaviourRecord

__all__ = ["Api", "accept_quarter", "at", "awaiting_leader", "load_records"]


def at(day: str, hour: int = 10) -> datetime:
    """A moment in Asia/Shanghai (the clock tests freeze)."""
    d = date.fromisoformat(day)
    return datetime(d.year, d.month, d.day, hour, 0, tzinfo=clock.LOCAL_TZ)


@pytest.fixture
def workflows() -> None:
    for name in ("publication.bpmn", "publication_schedule.bpmn", "publication_records_sweep.bpmn"):
        deploy_bpmn(None, None, (ROOT / "workflows" / name).read_bytes())
    db.session.commit()


def load_records() -> None:
    """Behaviour records for the oracle's 2026 second half year.

    - ZY-BAD-1 (中原区, Q3, approved): counted and published, without the person's name;
    - EQ-BAD-1 (二七区, Q3, not approved): counted in 附表1, never published;
    - one penalty (郑州市本级, Q4) and one approved good-behaviour record (郑州市, Q3).
    """
    db.session.add_all(
        [
            BadBehaviourRecord(
                org=get_org("410102"),
                record_no="ZY-BAD-1",
                project_name="工程ZY-3",
                responsible_unit="河南某某建设有限公司",
                unit_type="施工",
                person_name="张责任",
                person_title="项目经理",
                fact="未按图施工",
                clause="第十二条",
                recorder="赵记录",
                recorded_on=date(2026, 8, 5),
                approver="王批准",
                approved_on=date(2026, 8, 10),
            ),
            BadBehaviourRecord(
                org=get_org("410103"),
                record_no="EQ-BAD-1",
                project_name="工程EQ-2",
                responsible_unit="二七监理咨询有限公司",
                unit_type="监理",
                person_name="钱未批",
                fact="旁站记录缺失",
                recorded_on=date(2026, 9, 12),
            ),
            AdministrativePenalty(
                org=get_org("410100"),
                record_no="ZZ-PEN-1",
                project_name="工程ZZ-1",
                responsible_unit="郑州某某建筑公司",
                decided_on=date(2026, 11, 20),
                violation="违规使用不合格材料",
                penalty="罚款",
            ),
            GoodBehaviourRecord(
                org=get_org("410100"),
                enterprise="郑州一建集团有限公司",
                fact="获评省级安全文明标准化工地",
                recorded_on=date(2026, 9, 1),
                approver="李批准",
            ),
        ]
    )
    db.session.commit()


def accept_quarter(org_code: str, period: str) -> Any:
    """A quarterly report of ``org_code`` frozen from the ledger and accepted."""
    from webapp.reports.deadlines import due_at, remind_at
    from webapp.reports.document import freeze
    from webapp.reports.models import Report
    from webapp.stats.compute import parse_period

    org = get_org(org_code)
    due = due_at(parse_period(period), org)
    report = Report(
        org=org,
        period=period,
        kind="quarterly",
        due_at=due,
        remind_at=remind_at(due),
        narrative={},
        explanations={},
    )
    db.session.add(report)
    db.session.flush()
    snapshot = freeze(report, None)
    report.snapshot = report.accepted_snapshot = snapshot
    report.locked = True
    report.submitted_at = report.accepted_at = clock.now()
    db.session.commit()
    return report


@pytest.fixture
def h2_data() -> None:
    """The oracle, its records, and 2026Q1–Q4 accepted for 郑州市 and the province (the first
    half year is the trend's previous period)."""
    load_oracle()
    load_records()
    for code in ("410100", "410000"):
        for period in ("2026Q1", "2026Q2", "2026Q3", "2026Q4"):
            accept_quarter(code, period)


FILLED = {
    "problems": "部分工程质量备案不及时。",
    "measures": "加强竣工验收备案管理，开展质量通病专项治理。",
}


def fill_draft(clerk: Api, pub_id: int) -> None:
    """The clerk writes what the generated draft left to fill, on top of the versions read."""
    versions = clerk.get(f"/api/v1/publications/{pub_id}")["versions"]
    clerk.send(
        "PUT",
        f"/api/v1/publications/{pub_id}/sections",
        {"sections": FILLED, "base_versions": versions},
    )


def decimal(value: str) -> Decimal:
    return Decimal(value)


def open_task(pub: Any, element_id: str) -> Any:
    from webapp.engine import HumanTask

    db.session.expire_all()
    return (
        db.session.query(HumanTask)
        .filter(
            HumanTask.instance_id == pub.instance_id,
            HumanTask.element_id == element_id,
            HumanTask.state.in_(("ready", "claimed")),
        )
        .one()
    )


def awaiting_leader(make_user: Any, **leader: Any) -> Any:
    """郑州市's 2026H2 public report drafted by its clerk and approved by its reviewer on
    2027-01-05 (the clock is left there): the leader's approval waits.  ``leader`` goes to
    ``make_user`` for the leader (a ``username`` or ``full_name``)."""
    from webapp.engine import complete_task
    from webapp.publication.operations import find_publication, open_period, save_sections

    clock.set_now(at("2027-01-05"))
    open_period(None, "2026H2")
    db.session.commit()
    clerk, reviewer = make_user("clerk", "410100"), make_user("reviewer", "410100")
    make_user("leader", "410100", **leader)
    pub = find_publication(get_org("410100"), "2026H2")
    save_sections(clerk, pub, FILLED | {"trends": "与上期基本持平。"})
    db.session.commit()
    complete_task(clerk, open_task(pub, "draft").id, "submit")
    complete_task(reviewer, open_task(pub, "review").id, "approve", comment="数据核对无误。")
    db.session.commit()
    return pub


def run_to_publication(org_code: str, period: str = "2026H2", make_user: Any = None) -> Any:
    """Open the half year (all units) if needed and take ``org_code``'s report to published,
    through the engine's task operations, as its clerk, reviewer and leader."""
    from webapp.core.models import User
    from webapp.engine import complete_task
    from webapp.publication.operations import find_publication, open_period, save_sections

    org = get_org(org_code)
    pub = find_publication(org, period)
    if pub is None:
        open_period(None, period)
        db.session.commit()
        pub = find_publication(org, period)

    def user(role: str) -> User:
        found = db.session.query(User).filter_by(username=f"{role}_{org_code}").one_or_none()
        return found or make_user(role, org_code)

    save_sections(user("clerk"), pub, FILLED | {"trends": "与上期基本持平。"})
    db.session.commit()
    complete_task(user("clerk"), open_task(pub, "draft").id, "submit")
    complete_task(user("reviewer"), open_task(pub, "review").id, "approve")
    complete_task(user("leader"), open_task(pub, "approve").id, "approve")
    db.session.commit()
    db.session.refresh(pub)
    assert pub.is_public
    return pub
