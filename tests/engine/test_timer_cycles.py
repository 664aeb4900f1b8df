"""Cycle timers (``R<n>/<interval>``): bounded at deploy (issue 13).

An every-second cycle without a repetition bound deployed; the worker then replayed every missed
firing (passes of 64 s and 92 s, each instance's state from 18 KB to 800 KB).
"""

from __future__ import annotations

import pytest

from tests.engine.conftest import bpmn_bytes
from webapp.core.errors import DomainError
from webapp.engine import deploy_bpmn, validate_bpmn


def cycle_process(cycle: str) -> bytes:
    """The timers fixture with its reminder repeating on a cycle instead of once."""
    return bpmn_bytes("timers").replace(
        b'<bpmn:timeDuration>"P1D"</bpmn:timeDuration>',
        f"<bpmn:timeCycle>{cycle}</bpmn:timeCycle>".encode(),
    )


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
