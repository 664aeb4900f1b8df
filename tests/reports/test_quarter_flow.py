"""A whole quarter through the HTTP layer, with the real quarterly_report.bpmn.

Three counties of 郑州 (one returned once by its own reviewer, one returned by the city),
郑州 rolls them up and submits, the province accepts; 巩义 (directly administered) reports
straight to the province.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

from docx import Document
from sqlalchemy import select

from tests.reports.conftest import PERIOD, draft
from webapp.audit.reporting import reporting_record
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.extensions import db

COUNTIES = ("410102", "410103", "410104")


def draft_marked(data: bytes) -> bool:
    """The 草稿 header of a document rendered before it is frozen (issue 17)."""
    doc = Document(io.BytesIO(data))
    return any(
        "草稿" in p.text
        for section in doc.sections
        for header in (section.header, section.even_page_header)
        for p in header.paragraphs
    )


def test_full_quarter_up_the_hierarchy(workflows, oracle, api):
    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))  # within the quarter
    admin = api("admin", "410000")
    opened = admin.send("POST", "/api/v1/reports/open", {"period": PERIOD})
    assert opened["opened"] == 62 and opened["existing"] == 0
    again = admin.send("POST", "/api/v1/reports/open", {"period": PERIOD})
    assert again == {"period": PERIOD, "opened": 0, "existing": 62}  # idempotent

    city = api("reviewer", "410100")
    for code in COUNTIES:
        clerk, reviewer = api("clerk", code), api("reviewer", code)
        draft(clerk, code)
        if code == "410103":  # returned once by its own reviewer
            reviewer.complete(reviewer.task(code), "return", "附表说明不完整，请补充。")
            assert clerk.report(code)["state"] == "returned"
            draft(clerk, code, text="补充后的情况")
        reviewer.complete(reviewer.task(code), "approve", "同意上报。")
        assert clerk.report(code)["state"] == "submitted"
        if code == "410104":  # returned once by the city
            # domain.md §7: the kind of a return is "a required choice when returning"
            refused = city.complete(city.task(code), "return", "竣工面积与台账不符。", status=422)
            assert "退回类别" in refused["message"]
            city.complete(
                city.task(code),
                "return",
                "竣工面积与台账不符，请核实。",
                data={"return_kind": "data_error"},
            )
            assert clerk.report(code)["state"] == "returned"
            draft(clerk, code, text="核实后的情况")
            reviewer.complete(reviewer.task(code), "approve", "同意上报。")
        city.complete(city.task(code), "accept")
        assert clerk.report(code)["state"] == "accepted"

    # 郑州 rolls up: accepted counties from their frozen submissions, the others 未报.
    zz_clerk = api("clerk", "410100")
    zz = zz_clerk.report("410100")
    rows = {r["org_code"]: r for r in zz["tables"]["table5"]["rows"]}
    zhongyuan = city.report("410102")
    assert zhongyuan["frozen"] is True
    assert rows["410102"]["status"] == "已接收"
    for key in ("carried_over", "registered", "under_construction", "completed", "filed"):
        assert rows["410102"][key] == zhongyuan["tables"]["table5"]["total"][key]
    assert rows["410105"]["status"] == "未报"
    assert "410181" not in rows  # 巩义 reports to the province, not to 郑州
    total = zz["tables"]["table5"]["total"]
    assert total["registered"]["count"] == sum(r["registered"]["count"] for r in rows.values())
    assert total["completed"]["area_10k_m2"] == str(
        sum(Decimal(r["completed"]["area_10k_m2"]) for r in rows.values())
    )
    assert any("未报" in p for p in zz["problems"])
    lower = {u["org_code"]: u for u in zz["lower_units"]}
    assert lower["410103"]["state"] == "accepted" and lower["410105"]["state"] == "drafting"

    draft(zz_clerk, "410100")
    api("reviewer", "410100").complete(api("reviewer", "410100").task("410100"), "approve")
    province = api("reviewer", "410000")
    province.complete(province.task("410100"), "accept")
    assert zz_clerk.report("410100")["state"] == "accepted"

    # 巩义 goes straight to the province.
    gy_clerk, gy_reviewer = api("clerk", "410181"), api("reviewer", "410181")
    draft(gy_clerk, "410181")
    gy_reviewer.complete(gy_reviewer.task("410181"), "approve")
    assert api("reviewer", "410100").get("/api/v1/tasks?view=todo")["items"] == []
    province.complete(province.task("410181"), "accept")
    assert gy_clerk.report("410181")["state"] == "accepted"

    # Status board data over the API: the city sees its counties.
    listed = city.get(f"/api/v1/reports?under=410100&period={PERIOD}")["items"]
    states = {i["org_code"]: i["state"] for i in listed}
    assert states["410102"] == states["410103"] == states["410104"] == "accepted"
    assert states["410100"] == "accepted" and states["410105"] == "drafting"

    # The audit trail carries the reporting-work record (第八条(五)).
    db.session.commit()
    actions = list(
        db.session.execute(
            select(AuditRecord.action).where(AuditRecord.action.like("report.%"))
        ).scalars()
    )
    assert actions.count("report.return") == 1  # only the city's return counts against 管城
    assert actions.count("report.accept") == 5
    record = {r.org_code: r for r in reporting_record(2026)}
    assert record["410104"].returns == 1
    assert record["410104"].errors == 1  # 数据差错 counts as an error (domain.md §7)
    returned = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "report.return")
    ).scalar_one()
    assert returned.after["return_kind"] == "data_error" and returned.after["error"] is True
    assert record["410102"].errors == 0 and record["410102"].on_time_met is True  # its one report
    assert record["410102"].on_time == 1 and record["410102"].late == 0


def test_word_document_equals_the_snapshot(workflows, oracle, api):
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    draft(clerk, "410102", text='中原区本季度 R&D <部门> "质量"')
    # Before it is submitted the download is a preview, marked 草稿 inside the document.
    preview = clerk.get(f"/api/v1/reports/{clerk.report('410102')['id']}/document.docx")
    assert draft_marked(preview.data)
    reviewer.complete(reviewer.task("410102"), "approve")
    report = clerk.report("410102")
    response = clerk.get(f"/api/v1/reports/{report['id']}/document.docx")
    doc = Document(io.BytesIO(response.data))
    assert not draft_marked(response.data)  # the archived, submitted file
    text = "\n".join(p.text for p in doc.paragraphs)
    for section in report["sections"]:
        assert f'中原区本季度 R&D <部门> "质量"：{section["title"]}。' in text
    t5 = doc.tables[4]
    snapshot_rows = report["tables"]["table5"]["rows"] + [report["tables"]["table5"]["total"]]
    for row, cells in zip(snapshot_rows, [r.cells for r in t5.rows[2:]], strict=True):
        values = [c.text for c in cells]
        assert values[1:4] == [
            str(row["carried_over"]["count"]),
            row["carried_over"]["area_10k_m2"],
            row["carried_over"]["cost_10k_yuan"],
        ]
        assert values[13] == str(row["filed"]["count"])
        assert values[16] == (row["filing_rate"]["count_pct"] or "—")
    # The archived file is what is sent: a second download is byte-identical.
    again = clerk.get(f"/api/v1/reports/{report['id']}/document.docx")
    assert again.data == response.data
    assert report["documents"][0]["stage"] == "submitted"
