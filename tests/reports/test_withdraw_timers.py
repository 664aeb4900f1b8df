"""撤回 in the real quarterly_report.bpmn, whose every drafting and review step carries a
reminder and a deadline boundary timer.

Withdrawing a step drops the next step (and its two timers) from the workflow; SpiffWorkflow
left those timers registered, and the withdrawal's own engine steps then put the instance in
error ("'NoneType' object has no attribute 'data'").  Here the withdrawn flow stays running,
the reopened step's reminder and deadline fire when due, and the report goes on to 已接收.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tests.reports.conftest import PERIOD, draft
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.engine import run_timers
from webapp.engine.models import HumanTask, ProcessInstance
from webapp.extensions import db

CODE = "410102"


def _instance(instance_id: int) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance_id)


def _done(instance_id: int, element_id: str) -> HumanTask:
    """The latest completed task of a step."""
    return db.session.execute(
        select(HumanTask)
        .where(
            HumanTask.instance_id == instance_id,
            HumanTask.element_id == element_id,
            HumanTask.state == "completed",
        )
        .order_by(HumanTask.id.desc())
        .limit(1)
    ).scalar_one()


def _audited(action: str, report_id: int) -> int:
    """How often ``action`` was audited about this report."""
    rows = select(AuditRecord).where(
        AuditRecord.action == action, AuditRecord.object_id == str(report_id)
    )
    return len(db.session.execute(rows).all())


def _running(instance_id: int) -> ProcessInstance:
    instance = _instance(instance_id)
    assert (instance.state, instance.error) == ("running", None)
    return instance


def test_withdrawn_steps_keep_the_report_running_to_its_end(
    workflows, oracle, api, app, monkeypatch
):
    monkeypatch.setitem(app.config, "API_TOKEN_HOURS", 24 * 365)  # the clock jumps weeks
    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    clerk, reviewer, city = api("clerk", CODE), api("reviewer", CODE), api("reviewer", "410100")
    report = clerk.report(CODE)
    instance_id = report["instance_id"]
    db.session.commit()

    # 撰写分析报告 withdrawn while 本级审核 (with its reminder and deadline) waits unclaimed.
    draft(clerk, CODE)
    narrative = _done(instance_id, "narrative")
    review_row = reviewer.task(CODE)
    reopened = clerk.send("POST", f"/api/v1/tasks/{narrative.id}/withdraw")
    assert (reopened["element_id"], reopened["state"]) == ("narrative", "ready")
    instance = _running(instance_id)
    assert db.session.get(HumanTask, review_row["id"]).state == "cancelled"
    # The reopened step's own timers are the ones that wait: remind_at, then due_at.
    assert instance.next_timer_at == datetime.fromisoformat(instance.subject["remind_at"])

    # Resubmitted, returned by the reviewer, the return withdrawn: 填报数据 and its timers go.
    clerk.complete(clerk.task(CODE, PERIOD, "撰写分析报告"), "submit")
    reviewer.complete(reviewer.task(CODE), "return", "请补充说明。")
    back = clerk.task(CODE, PERIOD, "填报数据（附表1–6/7）")
    returned = _done(instance_id, "review")
    again = reviewer.send("POST", f"/api/v1/tasks/{returned.id}/withdraw")
    assert (again["element_id"], again["state"]) == ("review", "ready")
    assert db.session.get(HumanTask, back["id"]).state == "cancelled"
    assert _running(instance_id).return_count == 0

    # The reminder, then the deadline, of the reopened step fire on time, once each.
    clock.set_now(datetime(2026, 9, 29, 9, 0, tzinfo=clock.LOCAL_TZ))
    assert run_timers()["errors"] == 0
    db.session.commit()
    _running(instance_id)
    assert _audited("report.remind", report["id"]) == 1
    assert _audited("report.overdue", report["id"]) == 0
    clock.set_now(datetime(2026, 10, 1, 9, 0, tzinfo=clock.LOCAL_TZ))
    assert run_timers()["errors"] == 0
    db.session.commit()
    _running(instance_id)
    assert _audited("report.remind", report["id"]) == 1
    assert _audited("report.overdue", report["id"]) == 1
    assert clerk.report(CODE)["state"] == "overdue"

    # The flow goes on to its end.
    reviewer.complete(reviewer.task(CODE), "approve", "同意上报。")
    city.complete(city.task(CODE), "accept")
    db.session.commit()
    instance = _instance(instance_id)
    assert (instance.state, instance.business_status) == ("completed", "accepted")
    assert clerk.report(CODE)["state"] == "accepted"


def test_a_step_done_after_the_reminder_date_can_still_be_withdrawn(
    workflows, oracle, api, app, monkeypatch
):
    """After remind_at every step the report enters fires its reminder at once (a service task,
    report.remind).  A reminder stays true when the step before it is taken back, so it does
    not block 撤回 (``withdrawable`` operations); the freeze-and-submit after the reviewer's
    approval does.  The reopened step is a new activity: its own reminder fires again, as a
    BPMN engine re-enters a boundary timer (the clerk is told the date once more)."""
    monkeypatch.setitem(app.config, "API_TOKEN_HOURS", 24 * 365)  # the clock jumps 9 days
    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    clerk, reviewer = api("clerk", CODE), api("reviewer", CODE)
    report = clerk.report(CODE)
    instance_id = report["instance_id"]
    db.session.commit()
    clock.set_now(datetime(2026, 9, 29, 9, 0, tzinfo=clock.LOCAL_TZ))  # past remind_at
    assert run_timers()["errors"] == 0
    draft(clerk, CODE)  # 填报 and 撰写: the reminders of 撰写 and 本级审核 fire as they open
    assert run_timers()["errors"] == 0
    db.session.commit()
    reminded = _audited("report.remind", report["id"])
    assert reminded == 3
    review_row = reviewer.task(CODE)

    narrative = _done(instance_id, "narrative")
    reopened = clerk.send("POST", f"/api/v1/tasks/{narrative.id}/withdraw")
    assert (reopened["element_id"], reopened["state"]) == ("narrative", "ready")
    assert db.session.get(HumanTask, review_row["id"]).state == "cancelled"
    _running(instance_id)
    assert _audited("report.remind", report["id"]) == reminded + 1

    # Resubmitted and approved: the freeze ran, so the reviewer can no longer take it back.
    clerk.complete(clerk.task(CODE, PERIOD, "撰写分析报告"), "submit")
    reviewer.complete(reviewer.task(CODE), "approve", "同意上报。")
    db.session.commit()
    approved = _done(instance_id, "review")
    refused = reviewer.send("POST", f"/api/v1/tasks/{approved.id}/withdraw", status=409)
    assert "不能撤回" in refused["message"]
    assert clerk.report(CODE)["state"] == "submitted"
    _running(instance_id)
