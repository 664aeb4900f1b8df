from __future__ import annotations

import pytest

from tests.engine.conftest import open_task
from webapp.core.errors import Conflict, InvalidInput, PermissionDenied
from webapp.core.models import AuditRecord
from webapp.engine import (
    cc,
    claim,
    complete_task,
    reassign,
    remind,
    tasks_for,
    transfer,
    unclaim,
    withdraw,
)
from webapp.engine.models import HumanTask, Notification, TaskState
from webapp.extensions import db


@pytest.fixture
def demo(start, make_user):
    users = {
        "clerk": make_user("clerk", "410102"),
        "reviewer": make_user("reviewer", "410102"),
        "reviewer2": make_user("reviewer", "410102", username="reviewer2_410102"),
        "city": make_user("reviewer", "410100"),
        "admin": make_user("admin", "410000"),
    }
    instance = start("demo_two_tier", "410102", actor=users["clerk"])
    return instance, users


def test_claim_unclaim_and_inbox(demo):
    instance, u = demo
    complete_task(u["clerk"], open_task(instance).id, "submit", data={"title": "t"})
    review = open_task(instance)
    assert [t.id for t in tasks_for(u["reviewer"], "todo")] == [review.id]
    assert [t.id for t in tasks_for(u["reviewer2"], "todo")] == [review.id]
    assert tasks_for(u["city"], "todo") == []
    claim(u["reviewer"], review.id)
    assert tasks_for(u["reviewer2"], "todo") == []
    with pytest.raises(Conflict):
        claim(u["reviewer2"], review.id)
    with pytest.raises(PermissionDenied):
        complete_task(u["reviewer2"], review.id, "approve")
    with pytest.raises(PermissionDenied):
        unclaim(u["reviewer2"], review.id)
    unclaim(u["reviewer"], review.id)
    assert [t.id for t in tasks_for(u["reviewer2"], "todo")] == [review.id]
    assert [t.element_id for t in tasks_for(u["clerk"], "done")] == ["prepare"]
    assert [t.id for t in tasks_for(u["clerk"], "started")] == [review.id]
    actions = {a for (a,) in db.session.query(AuditRecord.action)}
    assert {"task.claim", "task.unclaim", "task.complete"} <= actions


def test_withdraw_while_the_next_step_is_unclaimed(demo):
    instance, u = demo
    first = open_task(instance)
    complete_task(u["clerk"], first.id, "submit", data={"title": "t"})
    db.session.commit()
    review = open_task(instance)
    with pytest.raises(PermissionDenied):
        withdraw(u["reviewer"], first.id)
    reopened = withdraw(u["clerk"], first.id)
    db.session.commit()
    assert reopened.element_id == "prepare" and reopened.state == TaskState.READY
    assert db.session.get(HumanTask, review.id).state == TaskState.CANCELLED
    assert open_task(instance).id == reopened.id
    complete_task(u["clerk"], reopened.id, "submit", data={"title": "t2"})
    db.session.commit()
    claim(u["reviewer"], open_task(instance).id)
    with pytest.raises(Conflict):
        withdraw(u["clerk"], reopened.id)


def test_transfer_to_a_colleague_with_the_same_role_only(demo):
    instance, u = demo
    complete_task(u["clerk"], open_task(instance).id, "submit", data={"title": "t"})
    review = open_task(instance)
    with pytest.raises(InvalidInput):
        transfer(u["reviewer"], review.id, u["city"].id)
    with pytest.raises(InvalidInput):
        transfer(u["reviewer"], review.id, u["clerk"].id)
    transfer(u["reviewer"], review.id, u["reviewer2"].id)
    assert review.assignee_id == u["reviewer2"].id and review.state == TaskState.CLAIMED
    assert (
        db.session.query(Notification).filter_by(user_id=u["reviewer2"].id, kind="transfer").count()
        == 1
    )
    with pytest.raises(PermissionDenied):
        complete_task(u["reviewer"], review.id, "approve")
    complete_task(u["reviewer2"], review.id, "approve")


def test_remind_cc_and_admin_reassign(demo):
    instance, u = demo
    complete_task(u["clerk"], open_task(instance).id, "submit", data={"title": "t"})
    review = open_task(instance)
    notes = remind(u["clerk"], review.id, "月底前完成")
    assert {n.user_id for n in notes} == {u["reviewer"].id, u["reviewer2"].id}
    with pytest.raises(PermissionDenied):
        remind(u["reviewer"], review.id)  # a candidate does not remind themselves
    cc(u["clerk"], review.id, u["city"].id)
    assert [t.id for t in tasks_for(u["city"], "cc")] == [review.id]
    with pytest.raises(PermissionDenied):
        reassign(u["clerk"], review.id, u["reviewer2"].id)
    reassign(u["admin"], review.id, u["reviewer2"].id)
    assert review.assignee_id == u["reviewer2"].id
