from __future__ import annotations

import pytest

from tests.engine.conftest import open_task
from webapp.core import audit
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
from webapp.engine.operations import DONE_BY_YOU
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
    audit.write_pending()  # the records are linked at commit; this transaction reads them
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


def test_a_copy_goes_only_to_people_who_may_see_the_instance(demo, make_user, client):
    """抄送 opens the instance's history: another city's or a peer county's user is refused,
    nothing is written; the unit's own staff and those above it may be copied."""
    from tests.conftest import TEST_PASSWORD
    from webapp.engine.models import TaskCopy

    instance, u = demo
    task = open_task(instance)
    stranger = make_user("reviewer", "410200", "luoyang_reviewer")  # another city
    peer = make_user("clerk", "410103", "erqi_clerk")  # a peer county of the same city
    for outsider in (stranger, peer):
        with pytest.raises(InvalidInput) as info:
            cc(u["clerk"], task.id, outsider.id)
        assert "不能抄送给所选人员" in info.value.message
        assert outsider.full_name not in info.value.message  # names nobody
        assert "有权查看该事项的人员" in info.value.message
    db.session.rollback()
    assert db.session.query(TaskCopy).count() == 0
    assert db.session.query(Notification).filter_by(kind="cc").count() == 0
    cc(u["clerk"], task.id, u["city"].id)  # the city above
    cc(u["clerk"], task.id, u["reviewer2"].id)  # a colleague
    db.session.commit()
    assert db.session.query(TaskCopy).count() == 2
    token = client.post(
        "/api/v1/auth/tokens", json={"username": "clerk_410102", "password": TEST_PASSWORD}
    ).get_json()["token"]
    response = client.post(
        f"/api/v1/tasks/{task.id}/cc",
        json={"user_id": stranger.id},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422 and "不能抄送给" in response.get_json()["message"]


def test_each_feature_limits_copies_to_readers_of_its_object(make_user, org):
    """The rule registered by each feature, on an instance of 中原区 (the campaign's instance
    is the province's): its own staff and those above may see it, peers and others not."""
    from webapp.engine.models import ProcessInstance
    from webapp.engine.operations import may_view_subject
    from webapp.engine.registry import SUBJECT_VIEWERS

    assert {
        "quarterly_report",
        "publication",
        "year_end_self_assessment",
        "accident_report",
    } <= set(SUBJECT_VIEWERS)
    own = make_user("clerk", "410102")
    city = make_user("reviewer", "410100")
    peer = make_user("clerk", "410103")
    other = make_user("reviewer", "410200")
    keys = ("quarterly_report", "publication", "year_end_self_assessment", "accident_report")
    for key in (*keys, "demo_two_tier"):
        instance = ProcessInstance(process_key=key, org=org("410102"))
        seen = {u.username: may_view_subject(u, instance) for u in (own, city, peer, other)}
        assert seen == {
            "clerk_410102": True,
            "reviewer_410100": True,
            "clerk_410103": False,
            "reviewer_410200": False,
        }, key
    campaign = ProcessInstance(process_key="year_end_assessment", org=org("410000"))
    assert not may_view_subject(city, campaign)  # a unit never sees the province's campaign


def test_acting_on_a_done_step_says_whose_action_it_was(demo):
    """Found from outside: a leader who approved in one tab and then in another was told
    "该任务已被他人处理" — someone else's action; it was their own."""
    instance, u = demo
    complete_task(u["clerk"], open_task(instance).id, "submit", data={"title": "t"})
    review = open_task(instance)
    complete_task(u["reviewer"], review.id, "approve")
    db.session.commit()
    with pytest.raises(Conflict) as mine:
        complete_task(u["reviewer"], review.id, "approve")
    assert mine.value.message == DONE_BY_YOU
    with pytest.raises((Conflict, PermissionDenied)) as theirs:
        complete_task(u["reviewer2"], review.id, "approve")
    assert theirs.value.message != DONE_BY_YOU
