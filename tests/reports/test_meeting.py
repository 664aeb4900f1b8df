"""第十四条 and section (9): the quarter's analysis meeting and the complaints with the report.

第十四条: "各级住房城乡建设主管部门应每季度召开一次建设工程质量分析会，并形成质量分析报告。"
Issue 15: "each quarter's analysis meeting (date, attendees, conclusions) recorded with the report
(optional; its absence shows in the reporting record)"; domain.md §2: "section (9) of the report
… need[s] a complaints ledger".
"""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from docx import Document
from sqlalchemy import select

from tests.reports.conftest import PERIOD, draft
from webapp.audit.reporting import reporting_details, reporting_record
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.extensions import db
from webapp.ledger import operations as ledger
from webapp.ledger.fields import KINDS
from webapp.reports.operations import find_report

COUNTY, OTHER = "410102", "410103"
MEETING = {
    "held_on": "2026-09-18",
    "attendees": "局长王某、分管副局长、质监站站长及各科室负责人",
    "conclusions": "本季度工程质量总体受控；下季度重点治理住宅渗漏通病。",
}


@pytest.fixture
def quarter(workflows, api, org, make_user):
    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    clerk = make_user("clerk", COUNTY, "clerk_ledger")
    complaints = KINDS["complaints"]
    base = {
        "complainant_type": "业主（住户）",
        "project_name": "中原小区1号楼",
        "subject": "外墙渗漏",
        "handling_unit": "中原区质监站",
    }
    for no, received, closed in (("T1", "2026-07-05", "2026-08-01"), ("T2", "2026-09-02", "")):
        ledger.save_record(
            clerk,
            complaints,
            org(COUNTY),
            {
                **base,
                "complaint_no": no,
                "received_on": received,
                "closed_on": closed,
                "result": "已返修" if closed else "",
            },
        )
    db.session.commit()


def test_meeting_is_recorded_audited_and_checked(quarter, api):
    """The clerk records date, attendees and conclusions; bad input is refused in Chinese and
    nothing is saved; each change is audited; the annual report takes none."""
    clerk = api("clerk", COUNTY)
    report = clerk.report(COUNTY)
    assert report["meeting"] is None
    path = f"/api/v1/reports/{report['id']}/meeting"
    refused = clerk.send("PUT", path, {**MEETING, "held_on": "2026-06-30"}, status=422)
    assert "会议日期不能早于本季度开始（2026-07-01）" in refused["message"]
    refused = clerk.send("PUT", path, {**MEETING, "held_on": "2026-09-21"}, status=422)
    assert "会议日期不能晚于今天" in refused["message"]
    refused = clerk.send("PUT", path, {**MEETING, "attendees": "", "conclusions": "好"}, 422)
    assert "请填写参会人员" in refused["message"] and "请填写会议结论" in refused["message"]
    assert clerk.report(COUNTY)["meeting"] is None
    clerk.send("PUT", path, MEETING)
    assert clerk.report(COUNTY)["meeting"] == MEETING
    clerk.send("PUT", path, MEETING)  # unchanged: nothing more to audit
    api("reviewer", OTHER).send("PUT", path, MEETING, status=404)
    audits = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "report.meeting_save")
    ).scalars()
    assert [a.after["held_on"] for a in audits] == ["2026-09-18"]


def test_report_page_shows_meeting_and_section9_figures(quarter, api, logged_in):
    """The report page shows the meeting form and, under section (9), the period's accidents
    and complaints from the ledgers."""
    clerk = api("clerk", COUNTY)
    report = clerk.report(COUNTY)
    assert report["complaints"] == {"received": 2, "closed": 1, "open_at_end": 1, "overturned": 0}
    assert report["accidents"]["count"] == 0
    client = logged_in("clerk", COUNTY, "clerk_page")
    html = client.get(f"/reports/{report['id']}").get_data(as_text=True)
    assert 'id="meeting-form"' in html
    assert "本期受理工程质量投诉 2 件，办结 1 件，期末尚未办结 1 件" in html


def _word_text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_submitted_report_freezes_meeting_and_figures_into_word(
    quarter, api, client, make_user, org
):
    """The meeting and section (9)'s figures are frozen with the submission and written into
    the Word document sent up (第十六条: the generated Word file is the document sent)."""
    clerk, reviewer = api("clerk", COUNTY), api("reviewer", COUNTY)
    report = clerk.report(COUNTY)
    clerk.send("PUT", f"/api/v1/reports/{report['id']}/meeting", MEETING)
    draft(clerk, COUNTY)
    reviewer.complete(reviewer.task(COUNTY), "approve", "同意上报。")
    db.session.expire_all()
    frozen = find_report_row(COUNTY).snapshot
    assert frozen["meeting"] == MEETING
    assert frozen["complaints"]["received"] == 2
    doc = client.get(f"/reports/{report['id']}/document.docx", headers=clerk.headers)
    text = _word_text(doc.data)
    assert "2026年9月18日召开本季度建设工程质量分析会（第十四条）" in text
    assert "会议结论：本季度工程质量总体受控" in text
    assert "本期受理工程质量投诉 2 件，办结 1 件，期末尚未办结 1 件" in text
    # A complaint entered after the freeze does not change what was sent.
    ledger.save_record(
        make_user("clerk", COUNTY, "clerk_late"),
        KINDS["complaints"],
        org(COUNTY),
        {
            "complaint_no": "T3",
            "received_on": "2026-09-19",
            "complainant_type": "企业",
            "project_name": "中原小区2号楼",
            "subject": "验收资料不全",
            "handling_unit": "中原区质监站",
        },
    )
    db.session.commit()
    assert clerk.report(COUNTY)["complaints"]["received"] == 2


def find_report_row(code: str):
    from webapp.core.operations import get_org

    return find_report(get_org(code), PERIOD, "quarterly")


def test_absence_of_a_meeting_shows_in_the_reporting_record(quarter, api):
    """Issue 15: the meeting is optional; "its absence shows in the reporting record"."""
    for code, with_meeting in ((COUNTY, True), (OTHER, False)):
        clerk, reviewer = api("clerk", code), api("reviewer", code)
        if with_meeting:
            report = clerk.report(code)
            clerk.send("PUT", f"/api/v1/reports/{report['id']}/meeting", MEETING)
        draft(clerk, code)
        reviewer.complete(reviewer.task(code), "approve", "同意上报。")
    db.session.commit()
    rows = {r.org_code: r for r in reporting_record(2026)}
    assert (rows[COUNTY].quarterly_reports, rows[COUNTY].meetings_missing) == (1, 0)
    assert (rows[OTHER].quarterly_reports, rows[OTHER].meetings_missing) == (1, 1)
    from webapp.core.operations import get_org

    (detail,) = reporting_details(2026, get_org(OTHER))
    assert detail.meeting is False
    admin = api("admin", "410000")
    listed = admin.get("/api/v1/audit/reporting?year=2026&org=410100")
    row = next(r for r in listed if r["org_code"] == OTHER)
    assert row["meetings_missing"] == 1
