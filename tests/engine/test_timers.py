from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from tests.engine.conftest import open_task
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.engine import run_timers
from webapp.engine.models import Notification, ProcessInstance
from webapp.extensions import db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=clock.UTC)


def _instance(instance):
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance.id)


def _timer_records() -> list[AuditRecord]:
    return list(
        db.session.query(AuditRecord).filter_by(action="workflow.timer").order_by(AuditRecord.id)
    )


def test_reminder_then_deadline_with_a_frozen_clock(start, make_user):
    clock.set_now(T0)
    reviewer = make_user("reviewer", "410102")
    instance = start("timers", "410102")
    task = open_task(instance)
    assert task.due_at == T0 + timedelta(days=3)  # the interrupting deadline
    assert _instance(instance).next_timer_at == T0 + timedelta(days=1)

    clock.set_now(T0 + timedelta(hours=23))
    assert run_timers()["instances"] == 0
    assert _timer_records() == []

    clock.set_now(T0 + timedelta(days=1, minutes=1))
    assert run_timers()["instances"] == 1
    db.session.commit()
    notes = db.session.query(Notification).filter_by(user_id=reviewer.id, kind="reminder").all()
    assert len(notes) == 1 and "即将到期" in notes[0].message
    assert open_task(instance).element_id == "review"  # non-interrupting
    assert _instance(instance).next_timer_at == T0 + timedelta(days=3)
    # A timer fired by the worker is on the audit trail, as the system, about the instance.
    [fired] = _timer_records()
    assert (fired.actor_name, fired.org_code, fired.object_id) == (
        "system",
        "410102",
        str(instance.id),
    )
    assert fired.after == {"business_key": instance.business_key, "state": "running"}

    clock.set_now(T0 + timedelta(days=3, minutes=1))
    run_timers()
    db.session.commit()
    escalated = open_task(instance)
    assert (escalated.element_id, escalated.candidate_org.code) == ("escalate", "410100")
    assert _instance(instance).business_status == "overdue"
    assert db.session.get(type(task), task.id).state == "cancelled"


def test_a_late_worker_still_fires_the_reminder_before_the_deadline(start, make_user):
    """SpiffWorkflow fires overdue timers in registration order; the worker steps them in due
    order, so the reminder is not cancelled by a deadline that was due later."""
    clock.set_now(T0)
    reviewer = make_user("reviewer", "410102")
    instance = start("timers", "410102")
    clock.set_now(T0 + timedelta(days=5))  # the worker was down for five days
    run_timers()
    db.session.commit()
    assert (
        db.session.query(Notification).filter_by(user_id=reviewer.id, kind="reminder").count() == 1
    )
    assert open_task(instance).element_id == "escalate"


def test_timer_fires_once_per_pass(start, make_user):
    clock.set_now(T0)
    make_user("reviewer", "410102")
    start("timers", "410102")
    clock.set_now(T0 + timedelta(days=1, minutes=1))
    run_timers()
    run_timers()
    db.session.commit()
    assert db.session.query(Notification).filter_by(kind="reminder").count() == 1


def _timer_start_process() -> bytes:
    return """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="x">
  <bpmn:process id="periodic" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="L" name="clerk@self"><bpmn:flowNodeRef>fill</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="opens"><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>"2026-04-01T08:00:00+08:00"</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="pause"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="fill" name="填报">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="generic.approval" />
        <spiffworkflow:property name="outcomes" value="submit:提交" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="opens" targetRef="pause" />
    <bpmn:sequenceFlow id="f2" sourceRef="pause" targetRef="fill" />
    <bpmn:sequenceFlow id="f3" sourceRef="fill" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_timer_start_event_and_intermediate_timer(org):
    from webapp.engine import deploy_bpmn, start_instance
    from webapp.engine.queries import current_tasks

    opens = datetime(2026, 4, 1, 0, 0, tzinfo=clock.UTC)  # 08:00 in Shanghai
    clock.set_now(opens - timedelta(days=2))
    deploy_bpmn(None, None, _timer_start_process())
    instance = start_instance(None, "periodic", org("410102"), "periodic:2026Q1")
    db.session.commit()
    assert _instance(instance).next_timer_at == opens and current_tasks(instance) == []
    clock.set_now(opens + timedelta(minutes=1))
    run_timers()
    db.session.commit()
    assert current_tasks(_instance(instance)) == []
    # The pause is counted from when the start timer was due (timers catch up in due order).
    assert _instance(instance).next_timer_at == opens + timedelta(hours=2, milliseconds=1)
    clock.set_now(opens + timedelta(hours=3))
    run_timers()
    db.session.commit()
    assert open_task(instance).element_id == "fill"


def test_instances_due_at_the_same_second_are_taken_oldest_first(start):
    """At a quarter's deadline every unit's timer falls due at the same second and a pass takes
    at most ``limit``: the pass takes the oldest instances, on either database.  (Ordered by due
    time alone, PostgreSQL returned ties in the rows' physical order, which every state update
    changes, and a city's reviewer missed a county's overdue notice in the first pass.)"""
    from webapp.engine.timers import due_instances

    clock.set_now(T0)
    instances = [start("timers", "410102", business_key=f"tie:{i}") for i in range(6)]
    db.session.commit()
    # touch the older rows so that their physical order is no longer their age
    older = [i.id for i in instances[:3]]
    db.session.execute(
        update(ProcessInstance)
        .where(ProcessInstance.id.in_(older))
        .values(next_timer_at=T0 + timedelta(days=1))
    )
    db.session.commit()
    taken = due_instances(T0 + timedelta(days=2), limit=3)
    assert [i.id for i in taken] == sorted(i.id for i in instances)[:3]
