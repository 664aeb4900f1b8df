"""Deadlines of the self-assessment as BPMN timers (frozen clock), and the automatic end of the
phase when the last unit reports."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tests.assessment import flow_helpers as step
from webapp.assessment import flow
from webapp.assessment.models import AssessmentCampaign, UnitAssessment
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.engine import run_timers
from webapp.engine.models import HumanTask, Notification, ProcessInstance
from webapp.extensions import db


def _open(user, kind="fujian2", year=2026):
    campaign = flow.start_campaign(user, kind, year)
    db.session.commit()
    return campaign


def _unit(campaign, code):
    return next(u for u in campaign.units if u.org.code == code)


def _task(unit, element):
    db.session.expire_all()
    [task] = flow.open_tasks(flow.unit_instance(unit), element)
    return task


def _report(unit, clerk, leader):
    step.report(unit.id, clerk, leader)


def _notes(kind):
    db.session.expire_all()
    return list(db.session.execute(select(Notification).where(Notification.kind == kind)).scalars())


def test_reminder_before_and_overdue_mark_at_the_due_date(
    sheets, workflows, province_staff, make_user
):
    clock.set_now(datetime(2026, 11, 20, 2, tzinfo=UTC))
    clerk, leader = make_user("clerk", "410100"), make_user("leader", "410100")
    clerk2, leader2 = make_user("clerk", "410200"), make_user("leader", "410200")
    campaign = _open(province_staff["assessor"])
    zz, kf = _unit(campaign, "410100"), _unit(campaign, "410200")
    fill = _task(zz, "fill")
    # due at the end of 11-30, Beijing time (the subprocess's timer gives the task its due time)
    assert fill.due_at == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert run_timers(datetime(2026, 11, 27, 15, tzinfo=UTC))["instances"] == 0
    assert _notes("reminder") == []

    # three days before: the candidates of the open task are reminded, once
    clock.set_now(datetime(2026, 11, 27, 16, 30, tzinfo=UTC))
    assert run_timers()["instances"] == 28
    db.session.commit()
    reminded = {n.user_id for n in _notes("reminder")}
    assert reminded == {clerk.id, clerk2.id}
    assert run_timers()["instances"] == 0
    assert len(_notes("reminder")) == 2

    _report(kf, clerk2, leader2)  # on time: its deadline timers are gone with the phase
    clock.set_now(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    assert run_timers()["instances"] == 27
    db.session.commit()
    zz_instance = flow.unit_instance(zz)
    assert zz_instance.business_status == "overdue"
    assert flow.unit_instance(kf).business_status == "submitted"
    assert {n.user_id for n in _notes("overdue")} == {clerk.id, leader.id}
    overdue = db.session.execute(
        select(AuditRecord.org_code).where(AuditRecord.action == "assessment.self_overdue")
    ).scalars()
    assert "410100" in set(overdue) and "410200" not in set(overdue)

    # late, but still accepted: marked 逾期 on the unit
    clock.set_now(datetime(2026, 12, 2, 1, tzinfo=UTC))
    _report(zz, clerk, leader)
    db.session.expire_all()
    unit = db.session.get(UnitAssessment, zz.id)
    assert unit.state == "self_submitted" and unit.self_overdue
    assert flow.unit_instance(zz).business_status == "submitted"
    # Issue 18: "a leader still sees 自评逾期 after approving" — no more: cleared once acted on.
    assert {n.user_id for n in _notes("overdue") if n.cleared_at is not None} == {
        clerk.id,
        leader.id,
    }


def test_self_assessment_phase_ends_when_every_unit_has_reported(
    sheets, workflows, province_staff, make_user
):
    clock.set_now(datetime(2026, 1, 5, 2, tzinfo=UTC))
    campaign = _open(province_staff["admin"], "fujian3", 2025)
    province = flow.province_instance(campaign)
    [close] = flow.open_tasks(province, "close_materials")
    for unit in campaign.units[:-1]:
        _report(unit, make_user("clerk", unit.org.code), make_user("leader", unit.org.code))
    db.session.expire_all()
    assert db.session.get(HumanTask, close.id).state == "ready"  # one unit still open
    last = campaign.units[-1]
    _report(last, make_user("clerk", last.org.code), make_user("leader", last.org.code))
    db.session.expire_all()
    assert db.session.get(HumanTask, close.id).state == "cancelled"
    assert db.session.get(AssessmentCampaign, campaign.id).state == "scoring"
    assert [t.element_id for t in flow.campaign_tasks(campaign)] == ["sample"]
    closed = db.session.execute(
        select(AuditRecord).where(AuditRecord.action == "assessment.materials_close")
    ).scalar_one()
    assert closed.actor_name == "system" and closed.after["not_reported"] == []
    running = db.session.execute(
        select(ProcessInstance).where(ProcessInstance.state == "running")
    ).scalars()
    assert [i.business_key for i in running] == [f"assessment:{campaign.id}"]


def test_a_unit_reported_in_the_run_where_its_reminder_fires_shows_reported(
    sheets, workflows, province_staff, make_user
):
    """Engine: an instance that ends shows its end event's status (已上报), even when a timer
    fired in the same run.  No worker ran since the reminder fell due (01-28); the leader's
    approval on 01-29 runs the engine, which fires the reminder (its branch ends at a plain end
    event, completed last) and finishes the process: the instance kept 待领导审批 before."""
    clock.set_now(datetime(2026, 1, 5, 2, tzinfo=UTC))
    campaign = _open(province_staff["admin"], "fujian3", 2025)
    unit = _unit(campaign, "410100")
    clerk, leader = make_user("clerk", "410100"), make_user("leader", "410100")
    clock.set_now(datetime(2026, 1, 29, 2, tzinfo=UTC))  # reminder due 01-28, not yet fired
    step.send_materials(clerk, unit.id)
    step.submit_self(clerk, unit.id)
    step.approve_self(leader, unit.id, "同意上报")
    db.session.commit()
    db.session.expire_all()
    instance = flow.unit_instance(db.session.get(UnitAssessment, unit.id))
    assert instance.state == "completed" and instance.business_status == "submitted"
