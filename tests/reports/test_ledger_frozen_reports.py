"""A ledger record's page, of every kind, names the accepted reports whose frozen figures
already count the record (found as a clerk: editing a closed quarter's project changes none of
them, which the page did not say, nor that such a change needs 更正)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from tests.conftest import login
from tests.reports.conftest import draft
from webapp.core.models import User
from webapp.core.operations import get_org
from webapp.extensions import db
from webapp.ledger.models import Project
from webapp.ledger.queries import frozen_reports


def _project(no: str, registered_on: date) -> Project:
    project = Project(
        org_id=get_org("410102").id,
        registration_no=no,
        name=f"工程{no}",
        structure_type="框架",
        area_m2=Decimal("12000"),
        cost_10k_yuan=Decimal("9000"),
        registered_on=registered_on,
    )
    db.session.add(project)
    db.session.commit()
    return project


def _banner(client, username: str, project: Project) -> str | None:
    own = client.application.test_client()
    login(own, username)
    response = own.get(f"/ledger/projects/{project.id}")
    assert response.status_code == 200
    found = re.search(
        r'id="frozen-reports"[^>]*>(.*?)</div>', response.get_data(as_text=True), re.S
    )
    return found.group(1) if found else None


def test_the_edit_page_lists_the_accepted_reports_counting_the_project(workflows, api, client):
    counted = _project("R-frozen-1", date(2026, 8, 6))  # registered in 2026Q3
    later = _project("R-frozen-2", date(2026, 11, 2))  # registered after it
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": "2026Q3"})
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    assert _banner(client, "clerk_410102", counted) is None  # nothing accepted yet
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    assert _banner(client, "clerk_410102", counted) is None  # submitted, not accepted
    api("reviewer", "410100").complete(api("reviewer", "410100").task("410102"), "accept")
    q3 = clerk.report("410102")

    banner = _banner(client, "clerk_410102", counted)
    assert banner is not None, "the accepted 2026Q3 report counts the project"
    assert f'href="/reports/{q3["id"]}#tab-docs"' in banner
    assert "中原区 · 2026年第三季度" in banner and "不会改变" in banner and "更正" in banner
    assert _banner(client, "clerk_410102", later) is None  # counted in no accepted period
    # the city's clerk, who may open the county's report, is told too
    api("clerk", "410100")
    assert f"/reports/{q3['id']}#tab-docs" in (_banner(client, "clerk_410100", counted) or "")


def test_only_reports_the_user_may_open_are_listed(workflows, api):
    project = _project("R-frozen-3", date(2026, 8, 6))
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": "2026Q3"})
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    api("reviewer", "410100").complete(api("reviewer", "410100").task("410102"), "accept")
    api("clerk", "410103")
    own, peer = (
        db.session.query(User).filter_by(username=n).one() for n in ("clerk_410102", "clerk_410103")
    )
    labels = [r.label for r in frozen_reports(own, project)]
    assert labels == ["中原区 · 2026年第三季度 · 季度分析报告"]
    assert frozen_reports(peer, project) == []  # a peer county may not open 中原区's report


def _records(day: date, tag: str) -> dict[str, object]:
    """One record of every ledger kind, dated ``day`` (a complaint received and closed then)."""
    from webapp.ledger.models import (
        AdministrativePenalty,
        BadBehaviourRecord,
        Complaint,
        GoodBehaviourRecord,
        QualityAccident,
    )

    org_id = get_org("410102").id
    case = {"org_id": org_id, "project_name": "工程X", "responsible_unit": "甲公司"}
    made = {
        "projects": Project(
            org_id=org_id, registration_no=f"R-{tag}", name="工程X", structure_type="框架",
            area_m2=Decimal("1000"), cost_10k_yuan=Decimal("500"), registered_on=day,
        ),
        "bad_records": BadBehaviourRecord(
            **case, record_no=f"BL-{tag}", unit_type="施工", fact="未按图施工", recorded_on=day
        ),
        "good_records": GoodBehaviourRecord(
            org_id=org_id, enterprise="乙公司", fact="创优", recorded_on=day
        ),
        "penalties": AdministrativePenalty(
            **case, record_no=f"CF-{tag}", decided_on=day, violation="未按图施工"
        ),
        "accidents": QualityAccident(
            org_id=org_id, occurred_on=day, project_name="工程X",
            loss_10k_yuan=Decimal("10"), level="一般",
        ),
        "complaints": Complaint(
            org_id=org_id, complaint_no=f"TS-{tag}", received_on=day,
            complainant_type="业主（住户）", project_name="工程X", subject="渗漏",
            handling_unit="质监站", closed_on=day, review_outcome="未申请复议或诉讼",
        ),
    }  # fmt: skip
    db.session.add_all(made.values())
    db.session.commit()
    return made


def test_every_ledger_kind_names_the_reports_counting_it(workflows, api, client):
    """Found from outside: the project page named the accepted reports counting it; the
    accidents' and penalties' pages did not.  The class: every ledger kind whose records a
    report's figures count (a good-behaviour record is in none)."""
    from webapp.ledger.fields import KINDS

    counted, later = _records(date(2026, 8, 6), "in"), _records(date(2026, 11, 2), "out")
    assert set(counted) == set(KINDS)  # a new kind must be placed here
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": "2026Q3"})
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    api("reviewer", "410100").complete(api("reviewer", "410100").task("410102"), "accept")
    q3 = clerk.report("410102")
    own = client.application.test_client()
    login(own, "clerk_410102")
    for kind, record in counted.items():
        html = own.get(f"/ledger/{kind}/{record.id}").get_data(as_text=True)
        found = re.search(r'id="frozen-reports"[^>]*>(.*?)</div>', html, re.S)
        if kind == "good_records":
            assert found is None, kind
            continue
        assert found and f'href="/reports/{q3["id"]}#tab-docs"' in found.group(1), kind
        assert "更正" in found.group(1)
    for kind, record in later.items():
        html = own.get(f"/ledger/{kind}/{record.id}").get_data(as_text=True)
        assert 'id="frozen-reports"' not in html, kind
