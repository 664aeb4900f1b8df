"""Crash safety: SIGKILL of the server in the middle of a submission.

The real quarterly flow under waitress in a child process, against the tests' database (the
SQLite file, or PostgreSQL with TEST_DATABASE_URL).  The county reviewer approves; the
submission's service operation (``report.submit``) freezes the figures and generates the Word
document inside the transaction; the child pauses right after the document row is flushed and is
killed with SIGKILL.  The instance, its task, the report, its documents and the audit trail are
exactly as last committed; the restarted server takes the same step again, and the document
exists once.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from tests.conftest import ROOT
from tests.reliability.server import serving, wait_for
from tests.reports.conftest import PERIOD, Api, draft
from tests.stats.oracle import load_oracle
from webapp.archive.models import ArchivedDocument
from webapp.core import audit, clock
from webapp.core.models import AuditRecord
from webapp.engine import deploy_bpmn
from webapp.engine.models import HumanTask, ProcessInstance, WorkflowEvent
from webapp.extensions import db
from webapp.reports.models import Report

NOW = datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ)


def _post(url: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def _state(report_id: int, instance_id: int, task_id: int) -> dict[str, Any]:
    db.session.commit()
    db.session.expire_all()
    report = db.session.get(Report, report_id)
    instance = db.session.get(ProcessInstance, instance_id)
    return {
        "instance_version": instance.version,
        "instance_state": instance.state,
        "business_status": instance.business_status,
        "task_state": db.session.get(HumanTask, task_id).state,
        "submitted_at": report.submitted_at,
        "snapshot": report.snapshot is not None,
        "documents": db.session.execute(
            select(func.count(ArchivedDocument.id)).where(
                ArchivedDocument.owner_kind == "report", ArchivedDocument.owner_id == report_id
            )
        ).scalar_one(),
        "events": db.session.execute(
            select(func.count(WorkflowEvent.id)).where(WorkflowEvent.instance_id == instance_id)
        ).scalar_one(),
        "audit": db.session.execute(select(func.count(AuditRecord.id))).scalar_one(),
    }


def test_sigkill_during_a_submission_leaves_the_last_committed_state(
    app, client, make_user, tmp_path
):
    clock.set_now(NOW)
    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    db.session.commit()
    load_oracle()
    make_user("admin", "410000")
    Api(client, "admin_410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    make_user("clerk", "410102")
    make_user("reviewer", "410102")
    clerk, reviewer = Api(client, "clerk_410102"), Api(client, "reviewer_410102")
    draft(clerk, "410102")
    task = reviewer.task("410102")
    report = db.session.execute(select(Report).where(Report.period == PERIOD)).scalars()
    report = next(r for r in report if r.org.code == "410102")
    report_id, instance_id = report.id, report.instance_id
    before = _state(report_id, instance_id, task["id"])
    assert before["documents"] == 0 and before["task_state"] == "ready"

    url_db = app.config["SQLALCHEMY_DATABASE_URI"]
    marker = tmp_path / "paused"
    complete = f"/api/v1/tasks/{task['id']}/complete"
    body = {"outcome": "approve", "comment": "同意上报。", "data": {}}
    results: list[Any] = []
    paused = {"HQR_TEST_SERVE_NOW": NOW.isoformat(), "HQR_TEST_SERVE_PAUSE": str(marker)}
    with serving(url_db, **paused) as srv:

        def submit() -> None:
            try:
                results.append(_post(srv.base + complete, reviewer.headers, body))
            except OSError as exc:  # the connection dies with the server
                results.append(exc)

        thread = threading.Thread(target=submit)
        thread.start()
        wait_for(marker)  # paused inside report.submit, the document row flushed, not committed
        assert int(marker.read_text()) > 0
        srv.kill()
        thread.join(30)
    assert len(results) == 1 and isinstance(results[0], OSError), results

    after_crash = _state(report_id, instance_id, task["id"])
    assert after_crash == before  # nothing of the killed transaction survives
    assert audit.verify_chain().ok

    with serving(url_db, HQR_TEST_SERVE_NOW=NOW.isoformat()) as srv:
        status, answer = _post(srv.base + complete, reviewer.headers, body)
    assert status == 200, answer
    done = _state(report_id, instance_id, task["id"])
    assert done["task_state"] == "completed" and done["business_status"] == "submitted"
    assert done["documents"] == 1 and done["snapshot"] and done["submitted_at"] is not None
    assert done["instance_version"] == before["instance_version"] + 1
    submits = db.session.execute(
        select(func.count(AuditRecord.id)).where(AuditRecord.action == "report.submit")
    ).scalar_one()
    assert submits == 1
    assert audit.verify_chain().ok
