"""Timer durations: zero, negative or absurdly long ones are refused at deploy and at start.

An administrator could deploy a reminder or a deadline of "P0D" (it fired the moment the task
opened: every report overdue at once) or "P100000Y" (the timer's start overflowed the date and
stopped the instance in an English error); a cycle of "R3/P999999999Y" held the request that
validated it for hours (SpiffWorkflow adds a duration's months up one at a time).
"""

from __future__ import annotations

import threading

import pytest

from tests.engine.conftest import bpmn_bytes
from webapp.core.errors import DomainError
from webapp.engine import deploy_bpmn, start_instance, validate_bpmn
from webapp.engine.models import ProcessInstance
from webapp.extensions import db


def duration_process(duration: str) -> bytes:
    """The timers fixture with its reminder after ``duration`` (an expression)."""
    return bpmn_bytes("timers").replace(
        b'<bpmn:timeDuration>"P1D"</bpmn:timeDuration>',
        f"<bpmn:timeDuration>{duration}</bpmn:timeDuration>".encode(),
    )


@pytest.mark.parametrize(
    ("duration", "needle"),
    [
        ('"P0D"', "为零"),
        ('"PT0S"', "为零"),
        ('"P0Y0M"', "为零"),
        ('"-P1D"', "不能为负数"),
        ('"P100000Y"', "超过上限 3660 天"),
        ('"P999999999D"', "超过上限 3660 天"),
        ('"PT99999999H"', "超过上限 3660 天"),
        ('"R3/P100000Y"', "超过上限 3660 天"),
    ],
)
def test_zero_negative_and_endless_durations_are_refused_at_deploy(duration, needle):
    with pytest.raises(DomainError) as err:
        deploy_bpmn(None, None, duration_process(duration))
    [problem] = err.value.details
    assert problem["element_id"] == "reminder" and needle in problem["message"], problem


@pytest.mark.parametrize("duration", ['"P1D"', '"PT2H"', '"P1W"', '"P10Y"', '"PT0.5S"'])
def test_ordinary_durations_still_deploy(duration):
    assert validate_bpmn(duration_process(duration)) == []


def test_a_cycle_of_a_billion_years_is_refused_at_once():
    found: list[object] = []
    cycle = bpmn_bytes("timers").replace(
        b'<bpmn:timeDuration>"P1D"</bpmn:timeDuration>',
        b'<bpmn:timeCycle>"R3/P999999999Y"</bpmn:timeCycle>',
    )
    worker = threading.Thread(target=lambda: found.append(validate_bpmn(cycle)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "validation still adding up months"
    [[problem]] = found
    assert "超过上限" in problem.message


def test_a_duration_given_by_a_variable_is_held_to_the_same_rules_when_it_starts(org, make_user):
    make_user("reviewer", "410102")
    deploy_bpmn(None, None, duration_process("wait"))  # a variable: deployable
    bad = start_instance(None, "timers", org("410102"), "bad", {"wait": "P100000Y"})
    zero = start_instance(None, "timers", org("410102"), "zero", {"wait": "P0D"})
    good = start_instance(None, "timers", org("410102"), "good", {"wait": "P2D"})
    db.session.commit()
    db.session.expire_all()
    failed = db.session.get(ProcessInstance, bad.id)
    assert failed.state == "error" and "超过上限 3660 天" in failed.error
    assert "为零" in db.session.get(ProcessInstance, zero.id).error
    assert db.session.get(ProcessInstance, good.id).state == "running"
