"""Engine functions behind the admin pages: compare_versions, migrate_instance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.engine.conftest import bpmn_bytes
from tests.workflow_admin.bpmn_edits import quarterly, with_leader_step, without_step
from webapp.core import clock
from webapp.core.errors import Conflict, PermissionDenied
from webapp.core.operations import get_org
from webapp.engine import (
    compare_versions,
    complete_task,
    deploy_bpmn,
    migrate_instance,
    migration_problems,
    start_instance,
)
from webapp.engine.models import HumanTask, ProcessInstance, WorkflowEvent
from webapp.engine.queries import current_tasks
from webapp.extensions import db


def _reload(instance: ProcessInstance) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance.id)


def test_an_identical_flow_compares_empty_and_a_lane_rename_is_a_change(deployed):
    v1 = deployed()
    renamed = quarterly().replace(
        "上级审核人 reviewer@parent".encode(), "上级领导 leader@parent".encode()
    )
    v2 = deployed(renamed)
    diff = compare_versions(v1, v2)
    changed = {c.element_id: c.fields for c in diff.changed}
    assert "泳道名称（角色@单位）" in changed["Lane_upper"]
    assert "泳道" in changed["accept"]
    assert not diff.added and not diff.removed
    assert compare_versions(v1, v1).is_empty


def test_migration_follows_the_new_flow_after_the_current_step(report, make_user, deployed):
    instance = report()
    clerk, reviewer = make_user("clerk", "410102"), make_user("reviewer", "410102")
    leader = make_user("leader", "410102")
    complete_task(clerk, current_tasks(instance)[0].id, "submit")
    db.session.commit()
    deployed(with_leader_step())
    assert migration_problems(instance.id) == []
    migrate_instance(make_user("admin", "410000"), instance.id)
    db.session.commit()
    instance = _reload(instance)
    assert instance.definition.version == 2
    task = current_tasks(instance)[0]
    assert task.element_id == "review"
    complete_task(reviewer, task.id, "approve")
    db.session.commit()
    task = current_tasks(_reload(instance))[0]
    assert (task.element_id, task.candidate_role) == ("leader_review", "leader")
    complete_task(leader, task.id, "approve")
    db.session.commit()
    assert current_tasks(_reload(instance))[0].element_id == "accept"
    events = db.session.query(WorkflowEvent).filter_by(instance_id=instance.id, action="migrate")
    assert [e.comment for e in events] == ["由第 1 版迁移到第 2 版"]


def test_an_open_task_takes_the_new_lane_and_loses_a_claim_of_the_wrong_role(
    report, make_user, deployed
):
    instance = report()
    clerk = make_user("clerk", "410102")
    complete_task(clerk, current_tasks(instance)[0].id, "submit")
    db.session.commit()
    task = current_tasks(instance)[0]
    from webapp.engine import claim

    claim(make_user("reviewer", "410102"), task.id)
    db.session.commit()
    deployed(
        quarterly().replace(
            "本单位审核人 reviewer@self".encode(), "本单位领导 leader@self".encode()
        )
    )
    migrate_instance(make_user("admin", "410000"), instance.id)
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(HumanTask, task.id)
    assert (row.state, row.candidate_role, row.assignee_id) == ("ready", "leader", None)
    assert row.lane == "本单位领导 leader@self"


def test_refusals_name_the_reason_and_change_nothing(report, make_user, deployed):
    admin = make_user("admin", "410000")
    instance = report()
    before = _reload(instance).state_json
    deployed(without_step("prepare"))
    with pytest.raises(Conflict) as err:
        migrate_instance(admin, instance.id)
    assert err.value.details == ["当前步骤“填报季度报告”在第 2 版中不存在"]
    db.session.rollback()
    assert _reload(instance).state_json == before
    with pytest.raises(PermissionDenied):
        migrate_instance(make_user("reviewer", "410000"), instance.id)


def test_a_completed_step_that_was_deleted_is_refused(report, make_user, deployed):
    instance = report()
    clerk, reviewer = make_user("clerk", "410102"), make_user("reviewer", "410102")
    complete_task(clerk, current_tasks(instance)[0].id, "submit")
    complete_task(reviewer, current_tasks(instance)[0].id, "approve")
    db.session.commit()
    deployed(without_step("review"))
    problems = migration_problems(instance.id)
    assert problems == ["已办步骤“本单位审核”在第 2 版中已删除，办理记录无法对应"]


def test_a_finished_instance_is_not_migrated(report, make_user, deployed):
    instance = report()
    from webapp.engine import cancel_instance

    admin = make_user("admin", "410000")
    cancel_instance(admin, instance.id, "测试")
    db.session.commit()
    deployed(with_leader_step())
    assert "只能迁移进行中的流程" in migration_problems(instance.id)[0]


def test_a_waiting_timer_keeps_its_due_time(make_user, org):
    clock.set_now(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    try:
        content = bpmn_bytes("timers")
        deploy_bpmn(None, None, content)
        instance = start_instance(None, "timers", org("410102"), "timers:1")
        db.session.commit()
        due = _reload(instance).next_timer_at
        task_due = current_tasks(instance)[0].due_at
        clock.set_now(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))  # both timers still pending
        deploy_bpmn(None, None, content.replace("审核".encode(), "复核".encode()))
        migrate_instance(make_user("admin", "410000"), instance.id)
        db.session.commit()
        moved = _reload(instance)
        assert moved.definition.version == 2
        assert moved.next_timer_at == due
        task = current_tasks(moved)[0]
        assert task.name == "复核" and task.due_at == task_due
    finally:
        clock.set_now(None)


def test_new_instances_use_the_newest_version_and_running_ones_stay(report, deployed):
    old = report("quarterly:410102:2026Q1")
    deployed(with_leader_step())
    new = start_instance(None, "quarterly_report", get_org("410102"), "quarterly:410102:2026Q2")
    db.session.commit()
    assert (_reload(old).definition.version, _reload(new).definition.version) == (1, 2)
