"""Cycle timers (``R<n>/<interval>``): bounded at deploy and at start, never replayed (issue 13).

An every-second cycle without a repetition bound deployed; the worker then replayed every missed
firing (passes of 64 s and 92 s, each instance's state from 18 KB to 800 KB).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.engine.conftest import bpmn_bytes, open_task
from webapp.core import clock
from webapp.core.errors import DomainError
from webapp.engine import deploy_bpmn, run_timers, start_instance, validate_bpmn
from webapp.engine.models import Notification, ProcessInstance
from webapp.extensions import db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=clock.UTC)


def cycle_process(cycle: str) -> bytes:
    """The timers fixture with its reminder repeating on a cycle instead of once."""
    return bpmn_bytes("timers").replace(
        b'<bpmn:timeDuration>"P1D"</bpmn:timeDuration>',
        f"<bpmn:timeCycle>{cycle}</bpmn:timeCycle>".encode(),
    )


def _instance(instance: ProcessInstance) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance.id)


def _reminders() -> int:
    return db.session.query(Notification).filter_by(kind="reminder").count()


@pytest.mark.parametrize(
    ("cycle", "needle"),
    [
        ('"R/PT1S"', "没有重复次数上限"),
        ('"R/PT1H"', "没有重复次数上限"),
        ('"R5/PT1S"', "间隔短于下限 60 分钟"),
        ('"R1000/PT1H"', "重复 1000 次，超过上限 100 次"),
        ('"PT1S"', "应写成“R次数/间隔”"),
    ],
)
def test_short_or_unbounded_cycles_are_refused_at_deploy(cycle, needle):
    with pytest.raises(DomainError) as err:
        deploy_bpmn(None, None, cycle_process(cycle))
    [problem] = err.value.details
    assert problem["element_id"] == "reminder" and needle in problem["message"]


def test_the_cycle_bounds_are_settings(app, monkeypatch):
    assert validate_bpmn(cycle_process('"R10/PT1H"')) == []
    assert validate_bpmn(cycle_process('"R10/PT5M"'))
    monkeypatch.setitem(app.config, "TIMER_MIN_CYCLE_MINUTES", 5)
    monkeypatch.setitem(app.config, "TIMER_MAX_REPETITIONS", 3)
    assert validate_bpmn(cycle_process('"R3/PT5M"')) == []
    assert "超过上限 3 次" in validate_bpmn(cycle_process('"R10/PT5M"'))[0].message


def test_a_cycle_given_by_a_variable_is_held_to_the_same_rules_when_it_starts(org, make_user):
    make_user("reviewer", "410102")
    deploy_bpmn(None, None, cycle_process("cycle"))  # a variable: deployable
    bad = start_instance(None, "timers", org("410102"), "bad", {"cycle": "R/PT1S"})
    good = start_instance(None, "timers", org("410102"), "good", {"cycle": "R3/PT2H"})
    db.session.commit()
    failed = _instance(bad)
    assert failed.state == "error" and "没有重复次数上限" in failed.error
    assert _instance(good).state == "running"


def test_a_cycle_many_firings_behind_fires_once_and_waits_for_the_next(org, make_user):
    clock.set_now(T0)
    make_user("reviewer", "410102")
    deploy_bpmn(None, None, cycle_process('"R10/PT1H"'))
    instance = start_instance(None, "timers", org("410102"), "cycle")
    db.session.commit()
    assert _instance(instance).next_timer_at == T0 + timedelta(hours=1)
    size = len(_instance(instance).state_json)

    clock.set_now(T0 + timedelta(hours=5, minutes=30))  # the worker was down: 5 firings missed
    assert run_timers()["instances"] == 1
    db.session.commit()
    assert _reminders() == 1  # the latest missed firing only, not five
    assert _instance(instance).next_timer_at == T0 + timedelta(hours=6)  # the next future one
    assert run_timers()["instances"] == 0

    clock.set_now(T0 + timedelta(hours=6, minutes=1))
    run_timers()
    db.session.commit()
    assert _reminders() == 2
    assert _instance(instance).next_timer_at == T0 + timedelta(hours=7)
    assert open_task(instance).element_id == "review"
    assert len(_instance(instance).state_json) < size + 20_000


def test_a_cycle_far_behind_ends_after_its_last_repetition(org, make_user):
    clock.set_now(T0)
    make_user("reviewer", "410102")
    deploy_bpmn(None, None, cycle_process('"R3/PT1H"'))
    instance = start_instance(None, "timers", org("410102"), "short-cycle")
    db.session.commit()
    clock.set_now(T0 + timedelta(hours=2, minutes=30))  # the first firing is skipped
    run_timers()
    db.session.commit()
    assert _reminders() == 1
    clock.set_now(T0 + timedelta(hours=12))  # the third and last firing was due at T0 + 3 h
    run_timers()
    db.session.commit()
    assert _reminders() == 2
    clock.set_now(T0 + timedelta(hours=20))
    run_timers()
    db.session.commit()
    assert _reminders() == 2  # three repetitions: two fired, one skipped while the worker slept
    assert _instance(instance).next_timer_at == T0 + timedelta(days=3)  # only the deadline
