"""A deploy refuses an expression or script that reads a name nothing in the process defines
(``outcom == "return"`` for ``outcome`` deployed and stopped the instance at its gateway), and
says it in Chinese with the element's name and id; names that cannot be known are never refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.test_deploy_checks import with_extra
from webapp.core.errors import DomainError
from webapp.engine import deploy_bpmn, service_operation, validate_bpmn
from webapp.engine.models import ProcessDefinition
from webapp.engine.names import defined_names, service_outputs
from webapp.engine.parsing import parse_xml
from webapp.engine.registry import SERVICE_OPERATIONS, SERVICE_OUTPUTS
from webapp.extensions import db

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
DEMO = (WORKFLOWS / "demo_two_tier.bpmn").read_bytes()
UNDEFINED = "使用了未定义的名称"


def _named(content: bytes) -> dict[str | None, list[str]]:
    found: dict[str | None, list[str]] = {}
    for problem in validate_bpmn(content):
        if UNDEFINED in problem.message:
            found.setdefault(problem.element_id, []).append(problem.message)
    return found


def test_a_misspelt_gateway_condition_is_refused_naming_the_gateway_and_the_name():
    content = DEMO.replace(b'outcome == "return"', b'outcom == "return"', 1)
    with pytest.raises(DomainError) as err:
        deploy_bpmn(None, None, content)
    [problem] = err.value.details
    assert problem["element_id"] == "gw_review"
    assert "“审核结果”（gw_review）" in problem["message"]
    assert "outcom（是否应为 outcome？）" in problem["message"]
    assert db.session.query(ProcessDefinition).count() == 0


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_shipped_workflow_is_checked_and_a_wrong_name_in_it_is_refused(path):
    content = path.read_bytes()
    root = parse_xml(content)
    names, unknowable = defined_names(root, path.stem)
    assert unknowable is None  # every name source of the shipped processes is known
    assert validate_bpmn(content) == []
    for tag in (b"conditionExpression>", b"timeDate>"):
        start = content.find(b"<bpmn:" + tag)
        if start < 0:
            continue
        start += len(b"<bpmn:" + tag)
        end = content.index(b"<", start)
        broken = content[:start] + b"no_such_name_42" + content[end:]
        messages = [m for ms in _named(broken).values() for m in ms]
        assert len(messages) == 1 and "no_such_name_42" in messages[0], tag


@pytest.mark.parametrize(
    ("element", "element_id"),
    [
        (
            '<bpmn:intermediateCatchEvent id="wait" name="等待"><bpmn:timerEventDefinition>'
            "<bpmn:timeDate>due_att</bpmn:timeDate></bpmn:timerEventDefinition>"
            "</bpmn:intermediateCatchEvent>",
            "wait",
        ),
        (
            '<bpmn:scriptTask id="calc" name="计算"><bpmn:script>total = cout + 1'
            "</bpmn:script></bpmn:scriptTask>",
            "calc",
        ),
        (
            '<bpmn:serviceTask id="svc" name="通知"><bpmn:extensionElements>'
            '<spiffworkflow:serviceTaskOperator id="engine.notify_candidates">'
            '<spiffworkflow:parameters><spiffworkflow:parameter id="message" type="str" '
            'value="messsage" /></spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>'
            "</bpmn:extensionElements></bpmn:serviceTask>",
            "svc",
        ),
        (
            '<bpmn:userTask id="multi" name="多人"><bpmn:multiInstanceLoopCharacteristics>'
            "<bpmn:loopCardinality>reviewer_count</bpmn:loopCardinality>"
            "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>",
            "multi",
        ),
        (
            '<bpmn:intermediateThrowEvent id="send" name="发送"><bpmn:messageEventDefinition '
            'messageRef="m"><bpmn:extensionElements><spiffworkflow:messagePayload>'
            '{"id": reprot_id}</spiffworkflow:messagePayload></bpmn:extensionElements>'
            "</bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>",
            "send",
        ),
    ],
    ids=["timer", "script", "service-parameter", "cardinality", "payload"],
)
def test_every_evaluated_source_is_checked(element, element_id):
    found = _named(with_extra(element, pid="demo_two_tier"))
    assert list(found) == [element_id]
    assert "未定义的名称" in found[element_id][0] and element_id in found[element_id][0]


def test_names_the_process_defines_are_accepted():
    sources = [
        "purpose",  # start form
        "org_code == business_key",  # the engine's
        'outcome == "return" and len(comment) > 0',  # every completion, a builtin
        "computed > 1",  # assigned by a script of the document
        "notified",  # returned by a service operation (read from its source)
        "unit",  # a multi-instance item
    ]
    flows = "".join(
        f'<bpmn:sequenceFlow id="c{i}" sourceRef="start" targetRef="end">'
        f"<bpmn:conditionExpression>{s}</bpmn:conditionExpression></bpmn:sequenceFlow>"
        for i, s in enumerate(sources)
    )
    extra = (
        '<bpmn:scriptTask id="calc"><bpmn:script>computed = 2\n'
        "for i in range(2):\n    computed = computed + i</bpmn:script></bpmn:scriptTask>"
        '<bpmn:serviceTask id="svc"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="engine.notify_candidates" />'
        "</bpmn:extensionElements></bpmn:serviceTask>"
        '<bpmn:userTask id="multi"><bpmn:multiInstanceLoopCharacteristics>'
        '<bpmn:loopDataInputRef>purpose</bpmn:loopDataInputRef><bpmn:inputDataItem id="unit" />'
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
    )
    assert _named(with_extra(flows + extra, pid="demo_two_tier")) == {}


def test_names_that_cannot_be_known_are_not_refused():
    condition = (
        '<bpmn:sequenceFlow id="c" sourceRef="start" targetRef="end">'
        "<bpmn:conditionExpression>whatever_the_starter_gave</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>"
    )
    # no start form: the starter's data is free
    assert _named(with_extra(condition, pid="no_start_form")) == {}

    @service_operation("test.opaque")
    def opaque(ctx):
        result = dict(ctx.params)
        result["x"] = 1
        return result

    try:
        assert service_outputs("test.opaque") is None
        service = (
            '<bpmn:serviceTask id="svc"><bpmn:extensionElements>'
            '<spiffworkflow:serviceTaskOperator id="test.opaque" />'
            "</bpmn:extensionElements></bpmn:serviceTask>"
        )
        assert _named(with_extra(condition + service, pid="demo_two_tier")) == {}
        # declared outputs make it knowable again
        service_operation("test.opaque", outputs=("x",))(opaque)
        assert "whatever_the_starter_gave" in str(
            _named(with_extra(condition + service, pid="demo_two_tier"))
        )
    finally:
        SERVICE_OPERATIONS.pop("test.opaque", None)
        SERVICE_OUTPUTS.pop("test.opaque", None)


def test_a_script_that_catches_its_own_errors_is_not_judged():
    script = (
        '<bpmn:scriptTask id="calc"><bpmn:script>try:\n    x = maybe_there\n'
        "except NameError:\n    x = 0</bpmn:script></bpmn:scriptTask>"
    )
    assert _named(with_extra(script, pid="demo_two_tier")) == {}
