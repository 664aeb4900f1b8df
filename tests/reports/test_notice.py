"""The yearly 通报 of the reporting work: the system proposes, the province edits, its leader
approves through workflows/reporting_notice.bpmn, and the Word notice is archived."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from docx import Document
from sqlalchemy import select

from tests.conftest import ROOT, csrf_token, login
from webapp.archive import operations as archive
from webapp.core import audit, clock
from webapp.core.models import AuditRecord
from webapp.engine import HumanTask, deploy_bpmn
from webapp.extensions import db
from webapp.reports import notice as nt


def _record(action, code, period, actor=None, **after):
    audit.record(
        action,
        actor=actor,
        actor_name=None if actor else "system",
        org=code,
        object_type="report",
        object_id=f"{code}:{period}",
        after={"period": period, "kind": "quarterly", **after},
    )


def _year(make_user):
    """2025: 郑州 every quarter on time (its clerk drafted, its reviewer approved); 开封 one
    quarter first submitted late; 洛阳 returned once for 数据差错; 安阳 never opened anything."""
    zz_clerk = make_user("clerk", "410100", full_name="郑州填表人")
    zz_reviewer = make_user("reviewer", "410100", full_name="郑州审核人")
    for code in ("410100", "410200", "410300"):
        for q in (1, 2, 3, 4):
            period = f"2025Q{q}"
            audit.record(
                "workflow.start",
                actor_name="system",
                org=code,
                object_type="process_instance",
                object_id=f"{code}:{period}",
                after={"process": "quarterly_report", "business_key": f"report:{code}:{period}"},
            )
            if code == "410100":
                _record("report.narrative_save", code, period, zz_clerk)
            late = code == "410200" and q == 3
            _record(
                "report.submit",
                code,
                period,
                zz_reviewer if code == "410100" else None,
                on_time=not late,
                due_at="x",
            )
    _record("report.return", "410300", "2025Q2", return_kind="data_error", error=True)
    db.session.commit()
    return zz_clerk, zz_reviewer


@pytest.fixture
def notice_flow():
    deploy_bpmn(None, None, (ROOT / "workflows" / "reporting_notice.bpmn").read_bytes())
    db.session.commit()


def test_the_system_proposes_whom_to_commend_and_criticise(make_user):
    """domain.md §7: 'the system proposes whom to commend (表扬: units, and individuals, who
    发挥突出作用 — every report on time and no error as a starting point) and whom to criticise
    (批评: 重大失误 or 上报不及时)'."""
    clock.set_now(datetime(2026, 1, 20, 2, tzinfo=UTC))
    zz_clerk, zz_reviewer = _year(make_user)
    lists = nt.propose(2025)
    assert [u["org_code"] for u in lists["commend_units"]] == ["410100"]
    assert lists["commend_units"][0]["reason"] == "应报 4 份，均按时报送，无差错"
    people = {p["user_id"]: p for p in lists["commend_people"]}
    assert set(people) == {zz_clerk.id, zz_reviewer.id}
    assert people[zz_clerk.id]["reason"].startswith("填表") and people[zz_reviewer.id][
        "reason"
    ].startswith("审核")
    criticised = {u["org_code"]: u["reason"] for u in lists["criticise_units"]}
    assert criticised == {
        "410200": "上报不及时（首报逾期 1 份）",
        "410300": "重大失误（报送差错 1 次）",
    }
    assert "410500" not in criticised  # 安阳: nothing was opened for it, nothing to judge


def test_the_province_edits_and_its_leader_approves_the_notice(app, make_user, notice_flow):
    """第八条(五) / domain.md §7: 'the province edits both lists, and its principal leader
    approves the 通报 through BPMN (第八条(五), 第十八条)'; every step audited."""
    clock.set_now(datetime(2026, 1, 20, 2, tzinfo=UTC))
    _year(make_user)
    for role in ("clerk", "reviewer", "leader"):
        make_user(role, "410000", username=f"hn_{role}")
    web = app.test_client()
    login(web, "hn_clerk")
    page = web.get("/reports/notice/2025").get_data(as_text=True)
    assert "系统建议" in page and "郑州市" in page and 'id="notice-start"' in page
    token = csrf_token(web, "/reports/notice/2025")
    assert web.post("/reports/notice/2025/start", data={"csrf_token": token}).status_code == 302
    db.session.commit()
    # remove 开封 from the criticised with a reason; a reason is required
    edit = {"csrf_token": token, "list": "criticise_units", "op": "remove", "target": "410200"}
    assert web.post("/reports/notice/2025/edit", data=edit).status_code == 422
    edit["reason"] = "逾期系系统故障，有情况说明"
    assert web.post("/reports/notice/2025/edit", data=edit).status_code == 302
    add = {"csrf_token": token, "list": "commend_units", "op": "add", "target": "410181"}
    add["reason"] = "巩义按时报送且质量较高"
    assert web.post("/reports/notice/2025/edit", data=add).status_code == 302
    db.session.commit()
    notice = nt.find_notice(2025)
    assert [u["org_code"] for u in notice.criticise_units] == ["410300"]
    assert [u["org_code"] for u in notice.commend_units] == ["410100", "410181"]
    edits = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "notice.edit").order_by(AuditRecord.id)
    ).scalars()
    assert [(e.after["op"], e.message) for e in edits] == [
        ("remove", "逾期系系统故障，有情况说明"),
        ("add", "巩义按时报送且质量较高"),
    ]

    def complete(username, outcome, comment=""):
        client = app.test_client()
        login(client, username)
        task = nt.open_task(nt.find_notice(2025))
        response = client.post(
            f"/tasks/{task.id}/complete",
            data={
                "csrf_token": csrf_token(client, "/reports/notice/2025"),
                "outcome": outcome,
                "comment": comment,
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        db.session.commit()

    complete("hn_clerk", "submit")
    assert web.post("/reports/notice/2025/edit", data=add).status_code == 409  # in review
    complete("hn_reviewer", "approve")
    complete("hn_leader", "return", "批评名单请再核实。")
    assert nt.open_task(nt.find_notice(2025)).form_key == "notice.draft"
    complete("hn_clerk", "submit")
    complete("hn_reviewer", "approve")
    complete("hn_leader", "approve", "同意印发。")
    notice = nt.find_notice(2025)
    archived = archive.latest("reporting_notice", notice.id)
    assert notice.issued_at is not None and archived is not None
    assert archived.sha256 == notice.document_sha256 and archived.stage == "issued"
    assert nt.open_task(notice) is None
    issued = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "notice.issue")
    ).scalar_one()
    assert issued.after["document"] == notice.document_sha256
    assert issued.actor_name == "hn_leader"

    response = web.get("/reports/notice/2025/document.docx")
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)
    # The title breaks between words (title_lines), one paragraph a line.
    assert "关于2025年度工程质量分析报告\n报送工作的通报\n" in text
    assert "巩义市：巩义按时报送且质量较高。" in text and "郑州填表人" in text
    assert "洛阳市：重大失误（报送差错 1 次）。" in text and "开封市" not in text
    tasks = db.session.execute(
        select(HumanTask).where(HumanTask.instance_id == notice.instance_id)
    ).scalars()
    assert len(list(tasks)) == 6


def test_only_the_province_reads_the_notice(app, make_user, logged_in):
    client = logged_in("clerk", "410100")
    assert client.get("/reports/notice/2025").status_code == 403
