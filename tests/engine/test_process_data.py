"""Form data never steers a process (issue 13, "Critical: form data must never overwrite process
variables"): a task writes only the fields its form declares; what an instance is about (its
report, publication, campaign, unit, deadlines) is fixed at start and no task form, BPMN
script or service operation changes it; services read their object from that fixed subject.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from lxml import etree

from tests.conftest import ROOT
from webapp.core.errors import InvalidInput
from webapp.engine import (
    ServiceContext,
    deploy_bpmn,
    register_form,
    register_start_form,
    service_operation,
    start_instance,
)
from webapp.engine.models import InstanceState, ProcessInstance
from webapp.engine.operations import complete_task, form_data_problems
from webapp.engine.registry import ENGINE_SUBJECT, FORMS, START_FORMS, fixed_names
from webapp.extensions import db

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def _user_task_forms() -> list[tuple[str, str, str]]:
    """(process key, element id, form key) of every user task in workflows/."""
    found = []
    for path in sorted((ROOT / "workflows").glob("*.bpmn")):
        root = etree.fromstring(path.read_bytes())
        for process in root.iter(f"{{{BPMN}}}process"):
            for task in process.iter(f"{{{BPMN}}}userTask"):
                for prop in task.iter(f"{{{SPIFF}}}property"):
                    if prop.get("name") == "formKey":
                        found.append((process.get("id"), task.get("id"), prop.get("value")))
    return found


FORM_TASKS = _user_task_forms()


def test_the_walk_finds_every_process_of_the_product():
    processes = {p for p, _, _ in FORM_TASKS}
    assert {"quarterly_report", "publication", "year_end_assessment"} <= processes
    assert {"year_end_self_assessment", "demo_two_tier"} <= processes
    assert len(FORM_TASKS) >= 15


@pytest.mark.parametrize(("process", "element", "form_key"), FORM_TASKS)
def test_every_form_refuses_undeclared_and_fixed_fields(app, process, element, form_key):
    assert form_key in FORMS, f"{process}/{element}: form {form_key} is not registered"
    fixed = {name: "x" for name in fixed_names(process)}
    task = SimpleNamespace(form_key=form_key, instance=SimpleNamespace(subject=fixed))
    hostile = {**{name: "tampered" for name in fixed}, "has_parent": False, "zz_extra": 1}
    problems = form_data_problems(task, hostile)
    for name in fixed:
        assert name in problems, f"{form_key} lets a task write the fixed {name}"
    assert "zz_extra" in problems["_undeclared"]
    if "has_parent" not in fixed:
        assert "has_parent" in problems["_undeclared"]
    # What the form declares is still accepted.
    declared = FORMS[form_key].schema.get("properties", {})
    assert form_data_problems(task, dict.fromkeys(declared)) == {}


def test_forms_and_start_forms_cannot_declare_engine_names(app):
    with pytest.raises(ValueError, match="reserved"):
        register_form("t.bad", {"type": "object", "properties": {"outcome": {}}})
    with pytest.raises(ValueError, match="declares"):
        register_form("t.open", {"type": "object", "properties": {}, "additionalProperties": True})
    with pytest.raises(ValueError, match="reserved"):
        register_start_form("t.proc", {"type": "object", "properties": {"org_code": {}}}, label="")
    assert "t.bad" not in FORMS and "t.open" not in FORMS and "t.proc" not in START_FORMS


def test_every_process_of_the_product_has_a_start_form():
    """What each shipped process is about is declared, so scripts may not assign it."""
    for key in (
        "quarterly_report",
        "report_schedule",
        "publication",
        "publication_schedule",
        "publication_records_sweep",
        "year_end_assessment",
        "year_end_self_assessment",
    ):
        assert key in START_FORMS, key
    assert {"report_id", "has_parent", "due_at", "remind_at"} <= fixed_names("quarterly_report")
    assert "publication_id" in fixed_names("publication")
    assert {"campaign_id", "unit_id"} <= fixed_names("year_end_self_assessment")


def test_a_public_report_cannot_be_pointed_at_another_units(app, make_user, org):
    """``publication_id`` in form data is refused; the steps act on the instance's own.
    (The report attacks run through the API in tests/reports/test_form_integrity.py.)"""
    from webapp.publication.operations import find_publication, open_period

    deploy_bpmn(None, None, (ROOT / "workflows" / "publication.bpmn").read_bytes())
    open_period(None, "2026H2")
    db.session.commit()
    mine = find_publication(org("410100"), "2026H2")
    theirs = find_publication(org("410300"), "2026H2")
    clerk = make_user("clerk", "410100")
    from webapp.engine.queries import current_tasks

    task = current_tasks(db.session.get(ProcessInstance, mine.instance_id))[0]
    with pytest.raises(InvalidInput) as refused:
        complete_task(clerk, task.id, "submit", data={"publication_id": theirs.id})
    assert "publication_id" in refused.value.details
    assert "固定数据" in refused.value.details["publication_id"]


# Scripts and service operations ------------------------------------------------------------------
def _probe_bpmn(script: str, process: str = "subject_probe") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN}" xmlns:spiffworkflow="{SPIFF}" id="D" targetNamespace="t">
  <bpmn:process id="{process}" name="固定数据探针" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="L" name="clerk@self"><bpmn:flowNodeRef>fill</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="tamper" name="脚本"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="fill" name="填报">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="generic.approval" />
        <spiffworkflow:property name="outcomes" value="ok:完成" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tamper" />
    <bpmn:sequenceFlow id="f2" sourceRef="tamper" targetRef="fill" />
    <bpmn:sequenceFlow id="f3" sourceRef="fill" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.fixture
def probe_process():
    register_start_form(
        "subject_probe",
        {
            "type": "object",
            "properties": {"report_id": {"type": "integer"}, "unit": {"type": "object"}},
        },
        label="探针",
    )
    yield
    START_FORMS.pop("subject_probe", None)


@pytest.mark.parametrize(
    "script",
    [
        "report_id = 99",
        "unit['org_code'] = '410103'",
        "unit.code = 1",
        "del report_id",
        "for report_id in [1]:\n    pass",
        "x = 1\nbusiness_key = 'other'",
        "org_code += 'x'",
    ],
)
def test_deploy_refuses_a_script_that_assigns_a_fixed_name(app, probe_process, script):
    with pytest.raises(InvalidInput) as refused:
        deploy_bpmn(None, None, _probe_bpmn(script))
    assert "固定数据" in str(refused.value.details or refused.value)


def test_a_script_that_mutates_the_subject_in_place_is_stopped_at_run_time(app, probe_process, org):
    """``unit.update(...)`` passes the static check; the step fails and nothing is saved."""
    deploy_bpmn(None, None, _probe_bpmn("unit.update({'code': 'changed'})"))
    instance = start_instance(
        None, "subject_probe", org("410102"), "probe:1", {"report_id": 1, "unit": {"code": "a"}}
    )
    db.session.commit()
    assert instance.state == InstanceState.ERROR.value
    assert "固定数据被脚本修改" in instance.error and "unit" in instance.error
    assert instance.subject["unit"] == {"code": "a"}


def test_start_data_is_checked_against_the_start_form(app, probe_process, org):
    deploy_bpmn(None, None, _probe_bpmn("x = 1"))
    with pytest.raises(InvalidInput) as refused:
        start_instance(None, "subject_probe", org("410102"), "probe:2", {"report_id": 1, "z": 2})
    assert "z" in str(refused.value.details)
    instance = start_instance(None, "subject_probe", org("410102"), "probe:3", {"report_id": 5})
    assert instance.subject == {
        "report_id": 5,
        "org_code": "410102",
        "business_key": "probe:3",
        "process_key": "subject_probe",
    }
    assert set(instance.subject) - {"report_id"} == ENGINE_SUBJECT


@service_operation("test.rewrite_report_id")
def _rewrite_report_id(ctx: ServiceContext) -> dict:
    return {"report_id": 12345}


def test_a_service_operation_cannot_write_the_subject(app, probe_process, org):
    xml = _probe_bpmn("x = 1").replace(
        b'<bpmn:scriptTask id="tamper" name="\xe8\x84\x9a\xe6\x9c\xac">',
        b'<bpmn:serviceTask id="tamper" name="svc"><bpmn:extensionElements>'
        b'<spiffworkflow:serviceTaskOperator id="test.rewrite_report_id" />'
        b"</bpmn:extensionElements>",
    )
    xml = re.sub(rb"<bpmn:script>.*?</bpmn:script></bpmn:scriptTask>", b"</bpmn:serviceTask>", xml)
    deploy_bpmn(None, None, xml)
    instance = start_instance(None, "subject_probe", org("410102"), "probe:4", {"report_id": 1})
    db.session.commit()
    assert instance.state == InstanceState.ERROR.value
    assert "固定数据" in instance.error and "report_id" in instance.error
