"""Notifications in the app (issue 18): new tasks, returns, 催办, deadlines; the unread count;
cleared when the task they are about is done; every notice names the period and the unit."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event, select

from tests.conftest import csrf_token, login
from tests.engine.conftest import open_task
from webapp.core import clock
from webapp.core.models import AuditRecord, Org
from webapp.engine import complete_task, notify, remind, unread_count
from webapp.engine.models import HumanTask, Notification
from webapp.extensions import db


def notices(user, kind=None, *, uncleared=False):
    db.session.expire_all()
    stmt = select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    if uncleared:
        stmt = stmt.where(Notification.cleared_at.is_(None))
    return list(db.session.execute(stmt.order_by(Notification.id)).scalars())


@pytest.fixture
def demo(start, make_user):
    users = {
        "clerk": make_user("clerk", "410102"),
        "reviewer": make_user("reviewer", "410102"),
        "leader": make_user("leader", "410102"),
        "city": make_user("reviewer", "410100"),
    }
    instance = start("demo_two_tier", "410102", actor=users["clerk"])
    return instance, users


def test_new_task_notifies_its_candidates_and_clears_when_done(demo):
    """Issue 18: notifications "for new tasks … cleared when the task is done"."""
    instance, u = demo
    (first,) = notices(u["clerk"], "task")
    assert first.message.startswith("新待办：“填报”（中原区）")
    assert first.read_at is None and unread_count(u["clerk"]) == 1
    complete_task(u["clerk"], open_task(instance).id, "submit", data={"title": "t"})
    db.session.commit()
    (first,) = notices(u["clerk"], "task")
    assert first.cleared_at is not None and first.read_at is not None
    assert unread_count(u["clerk"]) == 0
    (review,) = notices(u["reviewer"], "task", uncleared=True)
    assert "县级审核" in review.message and review.task_id == open_task(instance).id
    assert notices(u["city"]) == []  # not a candidate of this step


def test_a_return_tells_the_drafter_why(demo):
    """Issue 18 item 1: "a returned report never says why" — the return's notice carries the
    reviewer's opinion."""
    instance, u = demo
    complete_task(u["clerk"], open_task(instance).id, "submit", data={"title": "t"})
    complete_task(u["reviewer"], open_task(instance).id, "return", comment="附表3面积与台账不符")
    db.session.commit()
    (back,) = notices(u["clerk"], "return")
    assert "“填报”（中原区）已被退回" in back.message
    assert "退回意见：附表3面积与台账不符" in back.message
    assert back.cleared_at is None
    assert [n.cleared_at is not None for n in notices(u["reviewer"], "task")] == [True]


def test_remind_names_the_subject_and_clears_with_the_task(demo):
    """催办 notices name what they are about; done task → no longer shown as unread."""
    instance, u = demo
    task = open_task(instance)
    remind(u["reviewer"], task.id, "本周五前完成")
    db.session.commit()
    (note,) = notices(u["clerk"], "remind")
    assert "请尽快办理“填报”（中原区）" in note.message and "本周五前完成" in note.message
    complete_task(u["clerk"], task.id, "submit", data={"title": "t"})
    db.session.commit()
    (note,) = notices(u["clerk"], "remind")
    assert note.cleared_at is not None


def test_an_instance_notice_clears_once_its_user_has_acted(demo):
    """Issue 18 item 3: "notices never clear (a leader still sees 自评逾期 after approving)".
    A notice about an instance (no task) stays while its user still holds a step of it."""
    instance, u = demo
    notify(u["reviewer"], "overdue", "本单位材料已逾期", instance=instance)
    notify(u["clerk"], "overdue", "本单位材料已逾期", instance=instance)
    db.session.commit()
    complete_task(u["clerk"], open_task(instance).id, "submit", data={"title": "t"})
    db.session.commit()
    assert notices(u["clerk"], "overdue")[0].cleared_at is not None  # acted
    assert notices(u["reviewer"], "overdue")[0].cleared_at is None  # its step is now open
    complete_task(u["reviewer"], open_task(instance).id, "approve", comment="同意")
    db.session.commit()
    assert notices(u["reviewer"], "overdue")[0].cleared_at is not None
    assert unread_count(u["reviewer"]) == 0


def test_a_notice_is_not_cleared_by_the_step_that_made_it(demo):
    """A deadline notice written by a step (a timer's service task) survives that step."""
    instance, u = demo
    notify(u["city"], "overdue", "中原区已逾期未报", instance=instance)
    from webapp.engine.notices import clear_done

    clear_done(instance)  # same transaction: the notice is fresh
    db.session.commit()
    assert notices(u["city"])[0].cleared_at is None


def test_report_notices_name_the_period_and_unit(workflows, make_user):
    """Issue 18: "催办 notices do not name the period" — a report's notices say
    2026年第三季度 · 中原区, never its business key."""
    from webapp.reports.operations import open_period

    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    clerk = make_user("clerk", "410102")
    admin = make_user("admin", "410000")
    open_period(admin, "2026Q3")
    db.session.commit()
    texts = [n.message for n in notices(clerk, "task")]
    assert texts and all("2026年第三季度 · 中原区" in t for t in texts)
    assert not any("report:" in t for t in texts)


def test_navbar_count_is_one_query_and_the_list_marks_read(client, demo):
    """Issue 18: "an unread count in the navbar (every page; cheap)"; the list page marks one
    or all read, each audited; nobody reads another's notice."""
    instance, u = demo
    notify(u["clerk"], "remind", "请抓紧")
    db.session.commit()
    login(client, u["clerk"].username)
    statements = []

    def count_sql(conn, cursor, statement, *args):
        if "notification" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_sql)
    try:
        html = client.get("/reports/").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_sql)
    assert 'id="unread-count">2<' in html
    assert len(statements) == 1 and "count(" in statements[0].lower()

    page = client.get("/notifications/?show=unread").get_data(as_text=True)
    assert "新待办" in page and "请抓紧" in page
    first = notices(u["clerk"], "task")[0]
    token = csrf_token(client, "/notifications/")
    response = client.post(f"/notifications/{first.id}/read", data={"csrf_token": token})
    assert response.status_code == 302
    assert unread_count(u["clerk"]) == 1
    other = notify(u["reviewer"], "remind", "他人的通知")
    db.session.commit()
    response = client.post(f"/notifications/{other.id}/read", data={"csrf_token": token})
    assert response.status_code == 404
    client.post("/notifications/read-all", data={"csrf_token": token})
    assert unread_count(u["clerk"]) == 0
    assert unread_count(u["reviewer"]) == 1  # untouched
    actions = [a for (a,) in db.session.execute(select(AuditRecord.action))]
    assert actions.count("notification.read") == 1
    assert actions.count("notification.read_all") == 1
    assert 'id="unread-count"' not in client.get("/reports/").get_data(as_text=True)


def test_a_cancelled_instance_clears_its_notices(demo, make_user):
    """Issue 18 item 4's class: the administrator's 取消流程 closes the open tasks; their
    notices, and those about the instance, must clear like those of a done task."""
    from webapp.engine import cancel_instance

    instance, u = demo
    notify(u["city"], "overdue", "中原区已逾期未报", instance=instance)
    db.session.commit()
    assert unread_count(u["clerk"]) == 1 and unread_count(u["city"]) == 1
    admin = make_user("admin", "410000")
    cancel_instance(admin, instance.id, "重复发起")
    db.session.commit()
    assert all(n.cleared_at is not None for n in notices(u["clerk"]) + notices(u["city"]))
    assert unread_count(u["clerk"]) == 0 and unread_count(u["city"]) == 0


def test_a_finished_instance_clears_a_copy_to_someone_without_a_step(demo, make_user):
    """A notice about the instance for a user who never holds a step of it (an information
    copy) clears once the instance is finished, not before."""
    instance, u = demo
    province = make_user("leader", "410000")
    notify(province, "cc", "请知悉", instance=instance)
    db.session.commit()
    complete_task(u["clerk"], open_task(instance).id, "submit", data={"title": "t"})
    db.session.commit()
    assert notices(province)[0].cleared_at is None  # the instance still runs
    complete_task(u["reviewer"], open_task(instance).id, "approve", comment="同意")
    complete_task(u["city"], open_task(instance).id, "accept", comment="接收")
    db.session.commit()
    db.session.refresh(instance)
    assert instance.state == "completed"
    assert notices(province)[0].cleared_at is not None


def test_cc_notice_names_the_subject_in_chinese_not_its_key(workflows, make_user):
    """Issue 18 item 6: the 抄送 notice named the business key (report:410102:2026Q1); it
    names the step, the period and the unit (engine.naming.subject_title)."""
    from webapp.engine import cc
    from webapp.reports.operations import open_period

    clock.set_now(datetime(2026, 9, 20, 9, 0, tzinfo=clock.LOCAL_TZ))
    clerk = make_user("clerk", "410102")
    leader = make_user("leader", "410102")
    admin = make_user("admin", "410000")
    open_period(admin, "2026Q3")
    db.session.commit()
    task = db.session.execute(
        select(HumanTask)
        .where(HumanTask.state.in_(("ready", "claimed")), HumanTask.candidate_role == "clerk")
        .join(HumanTask.candidate_org)
        .where(Org.code == "410102")
    ).scalar_one()
    cc(clerk, task.id, leader.id)
    db.session.commit()
    (note,) = notices(leader, "cc")
    assert note.message.startswith(f"{clerk.full_name} 抄送给您：")
    assert "2026年第三季度 · 中原区" in note.message
    assert "report:" not in note.message and task.instance.business_key not in note.message


@pytest.mark.parametrize("mail_on", [False, True])
def test_a_new_step_tells_exactly_its_enabled_candidates_by_name(
    app, start, make_user, mail_on, monkeypatch
):
    """A single new unclaimed step without mail is told by one INSERT that reads its
    candidates itself; with mail, by the read of the users and the INSERT of notify_many.  Both
    write the same rows: every enabled user with the step's role in its org, in username order,
    nobody else (a disabled colleague, another role, the same role in the parent unit)."""
    clerk = make_user("clerk", "410102")
    zed = make_user("reviewer", "410102", "zed_reviewer")
    amy = make_user("reviewer", "410102", "amy_reviewer")
    off = make_user("reviewer", "410102", "off_reviewer")
    off.is_enabled = False
    others = [make_user("leader", "410102"), make_user("reviewer", "410100")]
    db.session.commit()
    if mail_on:
        monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")  # queued only, never sent
    instance = start("demo_two_tier", "410102", actor=clerk)
    complete_task(clerk, open_task(instance).id, "submit", data={"title": "t"})
    review = open_task(instance)
    db.session.commit()
    rows = list(
        db.session.execute(
            select(Notification).where(Notification.task_id == review.id).order_by(Notification.id)
        ).scalars()
    )
    assert [r.user_id for r in rows] == [amy.id, zed.id]
    assert {(r.kind, r.instance_id, r.read_at, r.cleared_at) for r in rows} == {
        ("task", instance.id, None, None)
    }
    assert rows[0].message == rows[1].message and rows[0].message.startswith("新待办：“县级审核”")
    assert all(r.created_at is not None for r in rows)
    assert not [n for u in [off, *others] for n in notices(u, "task")]
