from __future__ import annotations

import pytest

from tests.engine.conftest import WORKFLOWS, bpmn_bytes
from webapp.core.errors import InvalidInput, PermissionDenied
from webapp.engine import deploy_bpmn, deploy_definitions, validate_bpmn
from webapp.engine.definitions import specs_for
from webapp.engine.models import ProcessDefinition
from webapp.extensions import db


def test_real_workflows_deploy_and_an_unchanged_file_is_not_a_new_version():
    first = deploy_definitions(None, WORKFLOWS)
    keys = {r.definition.key for r in first}
    assert {"demo_two_tier", "quarterly_report", "publication", "year_end_assessment"} <= keys
    assert all(r.created for r in first)
    again = deploy_definitions(None, WORKFLOWS)
    assert not any(r.created for r in again)
    assert db.session.query(ProcessDefinition).count() == len(first)


def test_a_changed_file_is_a_new_version_and_specs_are_cached():
    content = bpmn_bytes("demo_two_tier")
    v1 = deploy_bpmn(None, None, content).definition
    v2 = deploy_bpmn(
        None, "demo_two_tier", content.replace("县级审核".encode(), "县级复核".encode())
    )
    assert v2.created and v2.definition.version == 2 and v1.version == 1
    assert v2.definition.content_hash != v1.content_hash
    assert specs_for(v2.definition) is specs_for(v2.definition)


def test_only_admins_deploy(make_user):
    with pytest.raises(PermissionDenied):
        deploy_bpmn(make_user("clerk", "410102"), None, bpmn_bytes("demo_two_tier"))
    assert deploy_bpmn(make_user("admin", "410000"), None, bpmn_bytes("demo_two_tier")).created


def _problems(content: bytes) -> dict:
    return {p.element_id: p.message for p in validate_bpmn(content)}


def test_validation_lists_every_problem_with_its_element():
    bad = (
        bpmn_bytes("demo_two_tier")
        .replace(b"reviewer@parent", b"nobody@parent")
        .replace(b'value="demo.submission"', b'value="no.such.form"')
        .replace(
            b'outcome == "return"</bpmn:conditionExpression>',
            b"__import__('os')</bpmn:conditionExpression>",
            1,
        )
        .replace(b' default="f_accept_ok"', b"")
        .replace(
            b'<bpmn:sequenceFlow id="f_accept_ok" name="\xe6\x8e\xa5\xe6\x94\xb6" sourceRef="gw_accept" targetRef="end" />',
            b'<bpmn:sequenceFlow id="f_accept_ok" sourceRef="gw_accept" targetRef="end">'
            b'<bpmn:conditionExpression>outcome == "accept"</bpmn:conditionExpression></bpmn:sequenceFlow>',
        )
    )
    problems = _problems(bad)
    assert "角色 nobody 不存在" in problems["Lane_upper"]
    assert "no.such.form" in problems["prepare"]
    assert "沙箱拒绝" in problems["gw_review"]
    assert "默认流向" in problems["gw_accept"]


def test_a_lane_of_auditors_is_refused():
    """Auditors only read: no BPMN may make them the holders of a task."""
    problems = _problems(bpmn_bytes("demo_two_tier").replace(b"reviewer@parent", b"auditor@parent"))
    assert "审计员只能查阅" in problems["Lane_upper"]


def test_spiffworkflow_parse_errors_name_the_element():
    bad = bpmn_bytes("demo_two_tier").replace(b' default="f_accept_ok"', b"")
    assert "解析错误" in _problems(bad)["f_accept_ok"]


def test_user_task_outside_a_lane_and_unknown_service_operation():
    content = bpmn_bytes("service_crash").replace(
        b"<bpmn:flowNodeRef>after</bpmn:flowNodeRef>", b""
    )
    content = content.replace(b'id="test.write_then_fail"', b'id="no.such.operation"')
    problems = _problems(content)
    assert "不在任何泳道" in problems["after"]
    assert "no.such.operation" in problems["write"]


def test_timer_expression_must_parse():
    content = bpmn_bytes("timers").replace(b'"P1D"', b'"next tuesday"')
    assert "ISO 8601" in _problems(content)["reminder"]
    unquoted = bpmn_bytes("timers").replace(b'"P3D"', b"P3D")
    assert validate_bpmn(unquoted) == []  # a variable name: checked when the timer starts


def test_deploy_refuses_with_details():
    with pytest.raises(InvalidInput) as err:
        deploy_bpmn(None, None, b"<not-bpmn/>")
    assert err.value.details == [
        {"element_id": None, "message": "不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）"}
    ]
    assert db.session.query(ProcessDefinition).count() == 0
