"""Found as a clerk: a generated first draft writes the tables' figures as they are when it is
made; the ledger changed afterwards and the submitted text disagreed with the submitted 附表,
and nothing said so.  Every generated draft now keeps the figures it was written from; the
checks name each section and figure (old → new), block while the draft's sentence with the old
figure is still in the text, and only notify once the clerk has rewritten it
(webapp.reports.staleness, docs/reports.md)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login
from tests.reports.conftest import PERIOD
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.core.operations import get_org
from webapp.drafts import operations as drafts
from webapp.extensions import db
from webapp.ledger.models import BadBehaviourRecord, Project
from webapp.reports.drafting import NARRATIVE
from webapp.reports.narrative import DRAFT_SECTIONS, first_draft
from webapp.reports.operations import find_report, open_period, write_first_draft
from webapp.reports.sections import DRAFT_MARK
from webapp.reports.staleness import outdated_sections, submission_problems

UNIT = "410102"


@pytest.fixture
def setup(workflows, oracle, make_user):
    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    clerk = make_user("clerk", UNIT)
    open_period(make_user("admin", "410000"), PERIOD)
    db.session.commit()
    return find_report(get_org(UNIT), PERIOD, "quarterly"), clerk


def _draft_and_keep(report, clerk, section: str) -> str:
    """生成初稿, then the clerk deletes the draft mark and keeps the rest (the usual case)."""
    write_first_draft(clerk, report, section)
    db.session.commit()
    kept = report.narrative[section].split("\n", 1)[1]
    drafts.save(NARRATIVE, report, clerk, {section: kept}, None)
    db.session.commit()
    return kept


def _change_the_ledger() -> None:
    """A project registered and a bad-behaviour record entered after the drafts were made:
    附表1, 附表3, 附表5 and 附表6 change."""
    org = get_org(UNIT)
    db.session.add(
        Project(
            org=org, registration_no="ZY-LATE", name="工程ZY-LATE", structure_type="框架",
            area_m2=Decimal("12000"), cost_10k_yuan=Decimal("3600"),
            registered_on=date(2026, 9, 10),
        )
    )  # fmt: skip
    db.session.add(
        BadBehaviourRecord(
            org=org, record_no="BL-LATE", project_name="工程ZY-LATE",
            responsible_unit="丙建设公司", unit_type="施工", fact="未按图施工",
            recorded_on=date(2026, 9, 11),
        )
    )  # fmt: skip
    db.session.commit()


@pytest.mark.parametrize("section", DRAFT_SECTIONS)
def test_every_section_whose_draft_writes_figures_is_caught(setup, section):
    """The class: each generated section.  One that states figures blocks, naming the section
    and each changed figure; one that states none (section 9, whose figures the Word file
    writes from the frozen snapshot) has nothing to go stale."""
    report, clerk = setup
    _draft_and_keep(report, clerk, section)
    before = first_draft(report, section).facts
    assert not outdated_sections(report, first_draft_data(report))  # nothing changed yet
    _change_the_ledger()
    found = outdated_sections(report, first_draft_data(report))
    if not before and not first_draft(report, section).facts:
        assert section == "s09" and found == []
        return
    assert [o.section for o in found] == [section] and found[0].blocking
    now = {f.source: f.value for f in first_draft(report, section).facts}
    for change in found[0].changes:
        assert change.old != change.new and " → " in str(change)
        assert change.new == now.get(change.source, "（未写）")
    problems = [p for p in submission_problems(report) if p.section == section]
    assert len(problems) == 1 and "已过时的数字" in problems[0]
    assert problems[0].anchor == section and problems[0].tab == "tab-narrative"


def first_draft_data(report):
    from webapp.reports.readiness import figures

    return figures(report)


def test_the_figures_named_old_to_new(setup):
    report, clerk = setup
    db.session.add(
        BadBehaviourRecord(
            org=get_org(UNIT), record_no="BL-1", project_name="工程ZY-1",
            responsible_unit="丙建设公司", unit_type="施工", fact="未按图施工",
            recorded_on=date(2026, 8, 1),
        )
    )  # fmt: skip
    db.session.commit()
    _draft_and_keep(report, clerk, "s06")
    before = len(report.narrative["s06"])
    _change_the_ledger()
    (found,) = outdated_sections(report, first_draft_data(report))
    # the same unit again: 2 records of 1 unit, the 施工 count 1 → 2
    assert [str(c) for c in found.changes] == [
        "附表1 记录条数 1 → 2",
        "附表1 责任单位类型为施工的条数 1 → 2",
    ]
    assert "分析报告“企业不良行为记录及行政处罚的情况”" in found.message
    assert len(report.narrative["s06"]) == before  # nothing rewritten by the check


def test_a_rewritten_sentence_is_a_notice_not_a_block(setup):
    """The clerk rewrote every sentence that stated a changed figure: the text is theirs,
    the system cannot read which figure it states — a notice, not a block."""
    report, clerk = setup
    _draft_and_keep(report, clerk, "s06")
    drafts.save(
        NARRATIVE, report, clerk, {"s06": "本季度不良行为情况由本站另行核对（手写）。"}, None
    )
    db.session.commit()
    _change_the_ledger()
    (found,) = outdated_sections(report, first_draft_data(report))
    assert not found.blocking and "请核对正文数字与报表一致" in found.message
    assert not [p for p in submission_problems(report) if p.section]


def test_regenerating_clears_it_keeps_the_old_text_and_is_audited(setup):
    report, clerk = setup
    kept = _draft_and_keep(report, clerk, "s02")
    _change_the_ledger()
    assert outdated_sections(report, first_draft_data(report))
    write_first_draft(clerk, report, "s02", overwrite=True)
    db.session.commit()
    assert outdated_sections(report, first_draft_data(report)) == []
    assert kept in [v.text for v in drafts.history(NARRATIVE, report, "s02")]
    records = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "report.first_draft")
    ).scalars()
    assert [sorted(r.after["figures"]) for r in records] == [["s02"], ["s02"]]
    # asked again with the same figures: no new version, the request is on record all the same
    write_first_draft(clerk, report, "s02", overwrite=True)
    db.session.commit()
    count = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "report.first_draft")
    ).all()
    assert len(count) == 3


def test_the_page_links_the_section_and_offers_to_regenerate(setup, client):
    report, clerk = setup
    _draft_and_keep(report, clerk, "s02")
    _change_the_ledger()
    login(client, clerk.username)
    html = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert 'id="outdated-s02"' in html and "已过时的数字" in html
    assert 'href="#s02" class="problem-link"' in html
    assert 'form="first-draft-s02">重新生成该部分草稿' in html
    # the button asks first: both texts shown, nothing replaced
    token = csrf_token(client, f"/reports/{report.id}")
    asked = client.post(
        f"/reports/{report.id}/first-draft", data={"csrf_token": token, "section": "s02"}
    )
    assert asked.status_code == 200 and "确认以初稿替换现有文字" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert not report.narrative["s02"].startswith(DRAFT_MARK)


def test_the_flow_refuses_the_old_figures_and_the_reviewer_sees_the_rewritten_ones(
    workflows, oracle, api, client
):
    """Through the steps: 提交审核 is refused while the draft's sentence with the old figure
    stands; once the clerk rewrote it the narrative goes to review, and the reviewer's task
    page shows the notice (old → new) beside the buttons."""
    from webapp.core.models import User

    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    clerk, reviewer = api("clerk", UNIT), api("reviewer", UNIT)
    report = find_report(get_org(UNIT), PERIOD, "quarterly")
    person = db.session.execute(select(User).where(User.username == clerk.username)).scalar_one()
    kept = _draft_and_keep(report, person, "s02")
    body = clerk.report(UNIT)
    clerk.send(
        "PUT",
        f"/api/v1/reports/{body['id']}/explanations",
        {
            "explanations": {
                c["id"]: "已核实，数据真实。" for c in body["checks"] if c["severity"] == "warning"
            },
            "base_versions": body["explanation_versions"],
        },
    )
    others = {
        s["key"]: f"本季度情况：{s['title']}。" for s in body["sections"] if s["key"] != "s02"
    }
    clerk.send(
        "PUT",
        f"/api/v1/reports/{body['id']}/narrative",
        {"sections": others, "base_versions": body["narrative_versions"]},
    )
    clerk.complete(clerk.task(UNIT, PERIOD, "填报数据（附表1–6/7）"), "next")
    _change_the_ledger()
    refused = clerk.complete(clerk.task(UNIT, PERIOD, "撰写分析报告"), "submit", status=422)
    assert "已过时的数字" in str(refused) and "本季度工程质量监督管理总体情况" in str(refused)

    body = clerk.report(UNIT)
    assert body["narrative"]["s02"] == kept
    rewritten = "本季度监督工程情况见附表5，本站已逐项核对。"
    clerk.send(
        "PUT",
        f"/api/v1/reports/{body['id']}/narrative",
        {"sections": {"s02": rewritten}, "base_versions": body["narrative_versions"]},
    )
    clerk.complete(clerk.task(UNIT, PERIOD, "撰写分析报告"), "submit")
    task = reviewer.task(UNIT, PERIOD)
    web = client.application.test_client()
    login(web, reviewer.username)
    html = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'id="summary-outdated"' in html and "请核对正文数字与报表一致" in html
    assert " → " in html and f"/reports/{body['id']}#s02" in html
