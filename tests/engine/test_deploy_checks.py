"""Deploy-time validation refuses what the run would refuse (issue 13), anywhere in the XML.

SpiffWorkflow never parses an element that no sequence flow reaches, so a script task standing
alone in the diagram used to deploy whatever it contained.
"""

from __future__ import annotations

import pytest

from tests.engine.test_incidents import script_process
from webapp.core.errors import DomainError
from webapp.engine import deploy_bpmn, validate_bpmn
from webapp.engine.models import ProcessDefinition
from webapp.extensions import db


def with_extra(elements: str, pid: str = "extra") -> bytes:
    """A start → end process with more elements beside it."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="x">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end" />
    {elements}
  </bpmn:process>
</bpmn:definitions>""".encode()


def _messages(content: bytes) -> dict[str | None, list[str]]:
    found: dict[str | None, list[str]] = {}
    for problem in validate_bpmn(content):
        found.setdefault(problem.element_id, []).append(problem.message)
    return found


def test_an_unconnected_script_that_imports_is_refused():
    content = with_extra(
        '<bpmn:scriptTask id="hidden" name="隐藏脚本"><bpmn:script>import os\n'
        "os.system('true')</bpmn:script></bpmn:scriptTask>"
    )
    with pytest.raises(DomainError) as err:
        deploy_bpmn(None, None, content)
    messages = [p["message"] for p in err.value.details if p["element_id"] == "hidden"]
    assert any("不允许 import" in m for m in messages)
    assert any("没有连入和连出的顺序流" in m for m in messages)
    assert db.session.query(ProcessDefinition).count() == 0


@pytest.mark.parametrize(
    ("element", "element_id", "missing"),
    [
        (
            '<bpmn:userTask id="orphan" name="孤立任务"><bpmn:outgoing>f9</bpmn:outgoing></bpmn:userTask>'
            '<bpmn:endEvent id="end9"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="f9" sourceRef="orphan" targetRef="end9" />',
            "orphan",
            "没有连入的顺序流",
        ),
        (
            '<bpmn:endEvent id="lonely_end" />',
            "lonely_end",
            "没有连入的顺序流",
        ),
        (
            '<bpmn:exclusiveGateway id="lonely_gw" />',
            "lonely_gw",
            "没有连入和连出的顺序流",
        ),
    ],
)
def test_unconnected_flow_elements_are_refused(element, element_id, missing):
    assert any(missing in m for m in _messages(with_extra(element))[element_id])


def test_an_unreachable_condition_and_timer_are_compiled_too():
    content = with_extra(
        '<bpmn:intermediateCatchEvent id="lost_timer"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration>"P1D" + __import__("os").name</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        '<bpmn:sequenceFlow id="lost_flow" sourceRef="lost_timer" targetRef="lost_timer">'
        "<bpmn:conditionExpression>().__class__</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )
    found = _messages(content)
    assert any("定时器表达式被沙箱拒绝" in m for m in found["lost_timer"])
    assert any("网关条件被沙箱拒绝" in m for m in found["lost_timer"])


@pytest.mark.parametrize(
    "script",
    ["print(1)", "class A:\n    pass", "x = 1\nx <<= 2", "x = [].__class__"],
)
def test_scripts_that_would_fail_at_run_time_are_refused_at_deploy(script):
    problems = validate_bpmn(script_process(script))
    assert problems and problems[0].element_id == "script"
    assert "脚本被沙箱拒绝" in problems[0].message
