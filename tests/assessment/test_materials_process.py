"""附件3's units send materials; a self-assessment step exists only when the BPMN has one.

Issue 15 (domain.md §7): "附件3 has no self-assessment in the text: the unit uploads its 工作汇报
and 年度工作计划和总结 (1.13; due date a setting) …; a self-assessment step exists only if an
administrator adds it to the BPMN."  The shipped year_end_materials.bpmn is 报送材料 → 领导审核材料
→ 报省厅; an administrator who inserts 填报自评 into it gets the step back with no code change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.assessment import flow_helpers as step
from tests.assessment.conftest import unit_of
from tests.conftest import ROOT
from webapp.assessment import flow, operations
from webapp.assessment.models import UnitState
from webapp.core.errors import Conflict, InvalidInput
from webapp.engine import deploy_bpmn
from webapp.extensions import db

#: What an administrator inserts at the start of the materials sub-process: the self-assessment
#: user task (the form the 附件2 process uses) and its check, the leader's return going back to it.
SELF_STEP = (Path(__file__).parent / "self_step.bpmn.xml").read_text("utf-8")
INDENT = " " * 8


def materials_with_a_self_assessment() -> bytes:
    """year_end_materials.bpmn as an administrator edits it to add the self-assessment step."""
    xml = (ROOT / "workflows" / "year_end_materials.bpmn").read_text("utf-8")
    edits = [
        (
            '<bpmn:sequenceFlow id="f_self_start" sourceRef="self_start" targetRef="materials" />',
            '<bpmn:sequenceFlow id="f_self_start" sourceRef="self_start" targetRef="fill" />'
            + SELF_STEP,
        ),
        (  # 报送材料 now follows the self-assessment
            "<bpmn:incoming>f_self_start</bpmn:incoming>\n"
            + INDENT
            + "<bpmn:incoming>f_materials_",
            "<bpmn:incoming>f_submit_ok</bpmn:incoming>\n" + INDENT + "<bpmn:incoming>f_materials_",
        ),
        (
            "<bpmn:incoming>f_returned</bpmn:incoming>\n" + INDENT + "<bpmn:outgoing>f_materials",
            "<bpmn:outgoing>f_materials",
        ),
        (
            'sourceRef="gw_decision" targetRef="materials"',
            'sourceRef="gw_decision" targetRef="fill"',
        ),
        (
            "<bpmn:flowNodeRef>materials</bpmn:flowNodeRef>",
            "<bpmn:flowNodeRef>fill</bpmn:flowNodeRef><bpmn:flowNodeRef>check_submit</bpmn:flowNodeRef>"
            "<bpmn:flowNodeRef>gw_submit</bpmn:flowNodeRef><bpmn:flowNodeRef>materials</bpmn:flowNodeRef>",
        ),
    ]
    for old, new in edits:
        assert old in xml, old
        xml = xml.replace(old, new)
    return xml.encode("utf-8")


def _steps(unit) -> list[str]:
    return [t.element_id for t in flow.open_tasks(flow.unit_instance(unit))]


def test_fujian3_units_send_materials_without_a_self_assessment(open_campaign, client, make_user):
    from tests.conftest import login

    campaign = open_campaign("fujian3", 2025)
    unit = unit_of(campaign, "410100")
    clerk, leader = make_user("clerk", "410100"), make_user("leader", "410100")
    assert flow.unit_instance(unit).process_key == "year_end_materials"
    assert _steps(unit) == ["materials"] and not flow.has_self_assessment(unit)
    # 附件2 keeps its self-assessment (its text has one)
    f2 = open_campaign("fujian2", 2026)
    assert _steps(unit_of(f2, "410100")) == ["fill"]

    login(client, clerk.username)
    page = client.get(f"/assessment/units/{unit.id}").get_data(as_text=True)
    assert "附件3 考核不设单位自评" in page and 'id="self-form"' not in page
    assert "报送材料" in page  # the process's step
    with pytest.raises(Conflict, match="不设单位自评"):
        flow.save_self_assessment(clerk, unit.id, judgments={}, summary="总结")
    with pytest.raises(InvalidInput, match="尚未上传工作汇报、年度工作计划和总结"):
        step.submit_self(clerk, unit.id)

    step.send_materials(clerk, unit.id)
    step.submit_self(clerk, unit.id)
    assert unit.state == UnitState.SELF_REVIEW and _steps(unit) == ["approve"]
    step.return_self(leader, unit.id, "年度总结缺少第四季度内容")
    assert unit.state == UnitState.DRAFT and _steps(unit) == ["materials"]
    step.submit_self(clerk, unit.id)
    step.approve_self(leader, unit.id, "同意上报")
    db.session.commit()
    assert unit.state == UnitState.SELF_SUBMITTED and unit.self_total is None
    assert flow.unit_instance(unit).business_status == "submitted"
    # the province's 结束材料报送 (附件3 has no 自评) still waits for the 27 other units
    assert [t.element_id for t in flow.campaign_tasks(campaign)] == ["close_materials"]


def test_a_self_assessment_step_added_to_the_bpmn_comes_back_without_code(
    open_campaign, province_staff, client, make_user
):
    from tests.conftest import login

    deploy_bpmn(province_staff["admin"], "year_end_materials", materials_with_a_self_assessment())
    db.session.commit()
    campaign = open_campaign("fujian3", 2025)
    unit = unit_of(campaign, "410100")
    clerk, leader = make_user("clerk", "410100"), make_user("leader", "410100")
    assert _steps(unit) == ["fill"] and flow.has_self_assessment(unit)
    login(client, clerk.username)
    page = client.get(f"/assessment/units/{unit.id}").get_data(as_text=True)
    assert 'id="self-form"' in page and "附件3 考核不设单位自评" not in page

    flow.save_self_assessment(
        clerk, unit.id, judgments={"1.5": {"unmet": ["a"]}}, summary="全年工作总结"
    )
    step.submit_self(clerk, unit.id)  # 填报自评 → the materials
    assert _steps(unit) == ["materials"] and unit.state == UnitState.SELF_REVIEW
    step.send_materials(clerk, unit.id)
    step.submit_self(clerk, unit.id)  # 报送材料 → the leader
    step.return_self(leader, unit.id, "自评1.5项依据不足")
    assert _steps(unit) == ["fill"] and unit.state == UnitState.DRAFT  # back to the step
    flow.save_self_assessment(clerk, unit.id, judgments={}, summary="全年工作总结（修改）")
    step.submit_self(clerk, unit.id)
    step.submit_self(clerk, unit.id)
    step.approve_self(leader, unit.id)
    db.session.commit()
    assert unit.state == UnitState.SELF_SUBMITTED and str(unit.self_total) == "100.00"
    assert operations.materials(unit)["plan_summary"] is not None
