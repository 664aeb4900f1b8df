"""What the principal leader reads before approving is what the portal then publishes (第十五条:
the leader approves the report made public): the quality index's worked example, each lower
unit's index, and the behaviour records with their 责任人 — not only counts (found from outside,
a leader: the workspace showed the index without the lower units' figures and said the records
carried no person's name, while the portal printed both)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.conftest import login
from tests.publication.conftest import accept_quarter, awaiting_leader, load_records, open_task
from tests.stats.oracle import load_oracle
from webapp.core.models import User
from webapp.core.operations import get_org
from webapp.engine import complete_task
from webapp.extensions import db
from webapp.ledger.models import BadBehaviourRecord

pytestmark = pytest.mark.usefixtures("workflows")


@pytest.fixture
def data() -> None:
    """The oracle with a bad-behaviour record 郑州市 approved itself (published with its
    report, with the responsible person), and 2026Q1–Q4 accepted."""
    load_oracle()
    load_records()
    db.session.add(
        BadBehaviourRecord(
            org=get_org("410100"),
            record_no="ZZ-BAD-9",
            project_name="工程ZZ-1",
            responsible_unit="郑州某某建筑公司",
            unit_type="施工",
            person_name="孙责任",
            person_title="项目负责人",
            fact="擅自变更设计",
            clause="第十三条",
            recorder="赵记录",
            recorded_on=date(2026, 10, 8),
            approver="王批准",
            approved_on=date(2026, 10, 12),
        )
    )
    db.session.commit()
    for code in ("410100", "410000"):
        for period in ("2026Q1", "2026Q2", "2026Q3", "2026Q4"):
            accept_quarter(code, period)


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def block(html: str, element_id: str) -> str:
    """The element ``element_id``'s inner HTML (a table, a list or a div)."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(table|div|section)>', html, re.S)
    assert found, element_id
    return found.group(1)


def cells(html: str) -> list[str]:
    """Each row of a table / item of a list, as its plain text."""
    return [
        plain(row).strip() for row in re.findall(r"<(?:tr|li)[^>]*>(.*?)</(?:tr|li)>", html, re.S)
    ]


@pytest.mark.usefixtures("data")
def test_the_leader_reads_every_published_figure_and_record_before_approving(client, make_user):
    pub = awaiting_leader(make_user)
    login(client, "leader_410100")
    before = client.get(f"/publication/{pub.id}").get_data(as_text=True)
    seen = plain(before)
    assert "仅企业信息，不含个人姓名" not in seen  # the records do name their 责任人

    leader = db.session.query(User).filter_by(username="leader_410100").one()
    complete_task(leader, open_task(pub, "approve").id, "approve", comment="同意公开。")
    db.session.commit()
    client.get("/logout")
    public = client.get(f"/public/reports/{pub.id}").get_data(as_text=True)

    units, example = cells(block(public, "index-units")), cells(block(public, "index-example"))
    assert "中原区 80.00" in units and any(line.startswith("指数 = (30×75.00") for line in example)
    missing = [line for line in units + example if line and line not in seen]
    assert not missing, missing
    # The record published with the report, its person and title, was in front of the leader.
    records = plain(client.get("/public/records?under=410100").get_data(as_text=True))
    assert "孙责任" in records and "项目负责人" in records
    assert "孙责任（项目负责人）" in seen and "擅自变更设计" in seen
