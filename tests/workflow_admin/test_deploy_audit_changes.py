"""The auditor reads what a deploy or rollback changed in the audit record itself.

The ``workflow.deploy`` record held only the old and new content hashes, and the comparison
page is the administrators': an auditor could tell that 季度报告's procedure changed, not that
分管领导审核 was inserted, nor what a rollback took out again.
"""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import csrf_token, login
from tests.workflow_admin.bpmn_edits import with_leader_step
from webapp.core.models import AuditRecord
from webapp.extensions import db


def _deploys() -> list[AuditRecord]:
    db.session.expire_all()
    stmt = select(AuditRecord).where(AuditRecord.action == "workflow.deploy")
    return list(db.session.execute(stmt.order_by(AuditRecord.id)).scalars())


def test_deploy_and_rollback_records_name_what_changed_and_the_auditor_reads_it(
    app, logged_in, make_user, deployed
):
    deployed()
    client = logged_in("admin", "410000")
    token = csrf_token(client, "/admin/workflows/quarterly_report/edit")
    r = client.post(
        "/admin/workflows/quarterly_report/deploy",
        json={"xml": with_leader_step().decode()},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert r.status_code == 201
    first, added = _deploys()
    assert "changes" not in first.after  # version 1 has nothing to be compared with
    changes = added.after["changes"]
    assert "用户任务“分管领导审核”" in changes["added"]
    assert any(line.startswith("泳道") and "分管领导" in line for line in changes["added"])
    assert any("本单位审核" in line and "后续流向" in line for line in changes["changed"])
    assert changes["removed"] == []

    token = csrf_token(client, "/admin/workflows/quarterly_report")
    r = client.post(
        "/admin/workflows/quarterly_report/rollback", data={"csrf_token": token, "version": "1"}
    )
    assert r.status_code == 302
    rolled_back = _deploys()[-1]
    assert rolled_back.after["version"] == 3
    assert "用户任务“分管领导审核”" in rolled_back.after["changes"]["removed"]

    auditor = app.test_client()
    make_user("auditor", "410000")
    assert login(auditor, "auditor_410000").status_code == 302
    page = auditor.get(f"/audit/{added.id}").get_data(as_text=True)
    assert "新增的元素" in page and "分管领导审核" in page
