"""An administrator inserts 分管领导审核 into quarterly_report in the browser editor.

The structure (a new lane, a task in it, the flow rewired through it) is drawn through the
modeler's own modeling API, as the palette would; everything this product reads — the lane's
role and org, the task's form and outcomes — is set in our properties panel by clicks and typing.
The validation error on the unmapped lane is seen on the element, fixed, and the diagram
deployed; a quarter opened afterwards routes through the new step, one opened before does not.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_login
from tests.conftest import TEST_PASSWORD
from tests.workflow_admin.bpmn_edits import quarterly
from webapp.core.operations import get_org
from webapp.engine import complete_task, deploy_bpmn, start_instance
from webapp.engine.models import ProcessInstance
from webapp.engine.queries import current_tasks
from webapp.extensions import db

pytestmark = pytest.mark.browser

DRAW = """() => {
  const m = window.hqrModeler;
  const modeling = m.get('modeling'), reg = m.get('elementRegistry');
  const lane = modeling.addLane(reg.get('Lane_reviewer'), 'bottom');
  const participant = reg.get('Participant_quarterly_report');
  const task = modeling.createShape({ type: 'bpmn:UserTask' },
    { x: 470, y: lane.y + lane.height / 2 }, participant);
  modeling.reconnectEnd(reg.get('f_review'), task, { x: task.x + 50, y: task.y });
  modeling.connect(task, reg.get('gw_review'));
  return { lane: lane.id, task: task.id };
}"""


def _walk(instance: ProcessInstance, users: dict[str, object], *steps: tuple[str, str]) -> str:
    for role, outcome in steps:
        task = current_tasks(db.session.get(ProcessInstance, instance.id))[0]
        complete_task(users[role], task.id, outcome)
        db.session.commit()
    db.session.expire_all()
    return current_tasks(db.session.get(ProcessInstance, instance.id))[0].element_id


def test_admin_inserts_a_leader_step_and_new_quarters_route_through_it(page, make_user):
    admin = make_user("admin", "410000")
    users = {r: make_user(r, "410102") for r in ("clerk", "reviewer", "leader")}
    deploy_bpmn(None, None, quarterly())
    before = start_instance(None, "quarterly_report", get_org("410102"), "q:410102:2026Q1")
    db.session.commit()

    browser_login(page, admin.username, TEST_PASSWORD)
    page.click("#main-nav >> text=管理")
    page.click("#admin-tabs >> text=流程定义")
    page.click("#definitions-table >> text=季度工程质量分析报告")
    page.click("#edit-latest")
    page.wait_for_selector("#canvas[data-ready=true]")
    page.wait_for_selector("#status.text-success")  # the loaded version validates clean

    ids = page.evaluate(DRAW)
    # the new task: name, form and outcomes through the panel
    page.click(f'#canvas g[data-element-id="{ids["task"]}"]')
    page.fill("#p-name", "分管领导审核")
    page.press("#p-name", "Tab")
    page.select_option("#p-form", "generic.approval")
    page.click("#p-outcome-add")
    page.select_option("#p-status", "awaiting_approval")

    # the new lane maps to nobody yet: the error shows on it and in the list
    page.click("#btn-validate")
    badge = page.wait_for_selector(f'.hqr-problem-badge[data-element="{ids["lane"]}"]')
    assert "未声明角色和单位" in badge.get_attribute("title")
    assert "未声明角色和单位" in page.inner_text("#problems")
    assert page.locator(f'#canvas g[data-element-id="{ids["lane"]}"].hqr-problem').count() == 1

    # fix it in the panel: click the problem, give the lane a name, a role and an org
    page.click(f'#problems li[data-element="{ids["lane"]}"]')
    page.wait_for_selector("#p-lane-role")
    page.fill("#p-lane-label", "分管领导")
    page.press("#p-lane-label", "Tab")
    page.select_option("#p-lane-role", "leader")
    page.select_option("#p-lane-rel", "self")
    assert page.inner_text("#p-lane-name") == "分管领导 leader@self"
    assert "null" not in page.inner_text("#panel")  # a mapped lane renders no stray text
    page.click("#btn-validate")
    page.wait_for_selector("#status.text-success")
    assert page.locator(".hqr-problem-badge").count() == 0

    page.click("#btn-deploy")
    page.wait_for_selector("text=已部署 季度工程质量分析报告 第 2 版")
    assert page.locator('#versions-table tr[data-version="2"]').count() == 1

    # a quarter opened now goes through the new step; the one opened before does not
    db.session.rollback()  # end the test's read snapshot, taken before the browser deployed
    after = start_instance(None, "quarterly_report", get_org("410102"), "q:410102:2026Q2")
    db.session.commit()
    steps = (("clerk", "submit"), ("reviewer", "approve"))
    assert _walk(after, users, *steps) == ids["task"]
    task = current_tasks(db.session.get(ProcessInstance, after.id))[0]
    assert (task.name, task.candidate_role, task.lane) == (
        "分管领导审核",
        "leader",
        "分管领导 leader@self",
    )
    assert _walk(after, users, ("leader", "approve")) == "accept"
    assert _walk(before, users, *steps) == "accept"
    assert db.session.get(ProcessInstance, before.id).definition.version == 1

    # the comparison shows the inserted step on the diagram
    page.goto("/admin/workflows/quarterly_report/compare?old=1&new=2")
    page.wait_for_selector("#diagram-new[data-ready=true]")
    assert page.locator(f'#diagram-new g[data-element-id="{ids["task"]}"].hqr-added').count() == 1
