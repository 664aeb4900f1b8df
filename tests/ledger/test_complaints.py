"""The complaints (投诉) ledger: its fields, checks, scope, audit, import and figures.

domain.md §2: "Complaints (投诉): section (9) of the report and 附件3 (投诉和复议) need a
complaints ledger: received date, complainant type (no personal data published), project,
subject, handling unit, result, closing date."
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.ledger.helpers import workbook
from webapp.core.errors import InvalidInput, PermissionDenied
from webapp.core.models import AuditRecord
from webapp.extensions import db
from webapp.ledger import operations
from webapp.ledger.excel import read_sheet
from webapp.ledger.fields import KINDS
from webapp.ledger.figures import ComplaintFigures, complaint_figures

COMPLAINTS = KINDS["complaints"]


def raw(no: str = "TS-1", **over):
    base = {
        "complaint_no": no,
        "received_on": "2026-07-03",
        "complainant_type": "业主（住户）",
        "project_name": "中原小区1号楼",
        "subject": "卫生间渗漏",
        "handling_unit": "中原区质监站",
    }
    base.update(over)
    return base


def test_the_ledger_keeps_the_fields_of_domain_md_and_no_person():
    """domain.md §2: received date, complainant type (no personal data), project, subject,
    handling unit, result, closing date; 附件3 1.7 also needs the 复议/诉讼 outcome."""
    labels = [f.label for f in COMPLAINTS.fields]
    for label in (
        "受理日期",
        "投诉人类型",
        "工程名称",
        "投诉事项",
        "处理单位",
        "处理结果",
        "办结日期",
        "复议或诉讼结果",
    ):
        assert label in labels
    assert not [x for x in labels if "姓名" in x or "电话" in x or "身份证" in x]


def test_create_update_delete_are_audited(make_user, org):
    """Every state change leaves an audit record (house rule), with before and after."""
    clerk = make_user("clerk", "410102")
    saved = operations.save_record(clerk, COMPLAINTS, org("410102"), raw())
    complaint = saved.record
    assert complaint.closed_on is None and complaint.review_outcome == "未申请复议或诉讼"
    closed = raw(result="责令施工单位返修，已修复", closed_on="2026-07-20")
    operations.save_record(clerk, COMPLAINTS, org("410102"), closed, complaint)
    operations.delete_record(clerk, COMPLAINTS, complaint)
    db.session.commit()
    records = (
        db.session.execute(select(AuditRecord).where(AuditRecord.object_type == "ledger_complaint"))
        .scalars()
        .all()
    )
    assert [r.action for r in records] == [
        "ledger.complaints.create",
        "ledger.complaints.update",
        "ledger.complaints.delete",
    ]
    assert records[1].before["closed_on"] == "" and records[1].after["closed_on"] == "2026-07-20"


@pytest.mark.parametrize(
    ("over", "label", "reason"),
    [
        ({"received_on": ""}, "受理日期", "受理日期不能为空"),
        ({"complainant_type": "张三"}, "投诉人类型", "投诉人类型应为"),
        (
            {"closed_on": "2026-07-01", "result": "已处理"},
            "办结日期",
            "办结日期不能早于受理日期",
        ),
        ({"closed_on": "2026-07-10"}, "处理结果", "已办结的投诉须填写处理结果"),
        ({"result": "已处理"}, "办结日期", "填写了处理结果的投诉须填写办结日期"),
        ({"review_outcome": "撤销"}, "复议或诉讼结果", "未办结的投诉不能有复议或诉讼结果"),
        ({"subject": "渗漏，联系电话13812345678"}, "投诉事项", "不得包含身份证号、电话号码"),
        ({"subject": "业主41010219800101123X反映"}, "投诉事项", "不得包含身份证号"),
        ({"subject": "请回电 0371-65551234"}, "投诉事项", "不得包含身份证号、电话号码"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_saved(make_user, org, over, label, reason):
    """Bad input gets a clear Chinese message and nothing half-saved; the complainant is a
    type, and no ID or telephone number may be kept in the texts (no personal data)."""
    clerk = make_user("clerk", "410102")
    with pytest.raises(InvalidInput) as err:
        operations.save_record(clerk, COMPLAINTS, org("410102"), raw(**over))
    assert reason in err.value.details[label]
    assert db.session.execute(select(COMPLAINTS.model)).first() is None


def test_a_year_and_an_area_figure_are_not_personal_data(make_user, org):
    """Dates, areas and amounts in a subject are not telephone numbers."""
    clerk = make_user("clerk", "410102")
    text = "2026年7月3日起12000平方米外墙空鼓，涉及金额35.5万元"
    assert operations.save_record(clerk, COMPLAINTS, org("410102"), raw(subject=text)).created


def test_units_see_their_subtree_only(make_user, org):
    """Per unit, upper units see their subtree (domain.md §1): a city sees its districts'
    complaints, a district never its neighbour's nor may it write for another unit."""
    from webapp.ledger.queries import ListQuery, list_records

    operations.save_record(make_user("clerk", "410102"), COMPLAINTS, org("410102"), raw("A"))
    operations.save_record(make_user("clerk", "410103"), COMPLAINTS, org("410103"), raw("B"))
    city = make_user("reviewer", "410100")
    seen = list_records(city, COMPLAINTS, org("410100"), ListQuery()).items
    assert sorted(c.complaint_no for c in seen) == ["A", "B"]
    district = make_user("reviewer", "410102", "reviewer_zy")
    with pytest.raises(PermissionDenied):
        list_records(district, COMPLAINTS, org("410103"), ListQuery())
    with pytest.raises(PermissionDenied):
        operations.save_record(
            make_user("clerk", "410102", "clerk_zy2"), COMPLAINTS, org("410103"), raw("C")
        )


def test_excel_import_all_or_nothing(make_user, org):
    """Import like the other ledgers: every bad cell listed, nothing written."""
    clerk = make_user("clerk", "410102")
    headers = [f.label for f in COMPLAINTS.fields]
    good = {f.label: raw("X1").get(f.name) for f in COMPLAINTS.fields}
    bad = {**good, "投诉编号": "X2", "投诉事项": "电话13812345678"}
    rows = read_sheet(workbook([good, bad], headers), COMPLAINTS)
    with pytest.raises(InvalidInput) as err:
        operations.import_records(clerk, COMPLAINTS, org("410102"), rows)
    assert any("个人信息" in p["reason"] for p in err.value.details)
    assert db.session.execute(select(COMPLAINTS.model)).first() is None
    rows = read_sheet(workbook([good], headers), COMPLAINTS)
    assert operations.import_records(clerk, COMPLAINTS, org("410102"), rows).created == 1


def test_period_figures_of_the_subtree(make_user, org):
    """Section (9) 工程质量事故及投诉情况 reads the period's complaints: received, closed in the
    period (whenever received), still open at its end, and decisions overturned on review."""
    clerk = make_user("clerk", "410102")
    district, other = org("410102"), org("410103")
    save = operations.save_record
    save(clerk, COMPLAINTS, district, raw("Q2", received_on="2026-06-20"))  # open since Q2
    save(
        clerk,
        COMPLAINTS,
        district,
        raw("Q2C", received_on="2026-06-01", closed_on="2026-07-05", result="已返修"),
    )
    save(
        clerk,
        COMPLAINTS,
        district,
        raw(
            "Q3R",
            received_on="2026-07-02",
            closed_on="2026-08-01",
            result="不予支持",
            review_outcome="撤销",
        ),
    )
    save(clerk, COMPLAINTS, district, raw("Q4", received_on="2026-10-02"))  # after the period
    save(make_user("clerk", "410103"), COMPLAINTS, other, raw("NB", received_on="2026-07-09"))
    q3 = complaint_figures(district, date(2026, 7, 1), date(2026, 9, 30))
    assert q3 == ComplaintFigures(received=1, closed=2, open_at_end=1, overturned=1)
    city = complaint_figures(org("410100"), date(2026, 7, 1), date(2026, 9, 30))
    assert city.received == 2 and city.open_at_end == 2
    assert "本期受理工程质量投诉 1 件，办结 2 件，期末尚未办结 1 件" in q3.sentence
    assert "1 件投诉处理决定被复议机关或审判机关确认违法、撤销或变更" in q3.sentence


def test_pages_list_and_form(logged_in):
    """The ledger's pages: a 质量投诉 tab, its form, a Chinese refusal on bad input."""
    client = logged_in("clerk", "410102")
    page = client.get("/ledger/complaints/").get_data(as_text=True)
    assert "质量投诉" in page and "投诉编号" in page
    form = client.get("/ledger/complaints/new")
    assert form.status_code == 200 and "投诉人类型" in form.get_data(as_text=True)
    assert client.get("/ledger/complaints/template.xlsx").status_code == 200


def test_api_create_and_read(api_token):
    """The JSON API of the ledgers serves complaints like the others."""
    from flask import current_app

    headers = api_token("clerk", "410102")
    client = current_app.test_client()
    created = client.post("/api/v1/ledger/complaints", json=raw("API-1"), headers=headers)
    assert created.status_code == 201, created.get_json()
    item = created.get_json()["item"]
    assert item["complainant_type"] == "业主（住户）" and item["closed_on"] is None
    refused = client.post(
        "/api/v1/ledger/complaints", json=raw("API-2", subject="电话13812345678"), headers=headers
    )
    assert refused.status_code == 422 and "个人信息" in refused.get_json()["message"]
