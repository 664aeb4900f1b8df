"""Accident notices clear like task notices (issue 18): the 1.5-hour reminder and the leader's
超时 notice are about the level's open task and clear once the level has forwarded; the
information copy to a skipped level clears once the chain is finished."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.accidents.conftest import ACK, body, complete, todo
from webapp.core import clock
from webapp.core.models import User
from webapp.engine import Notification, run_timers, unread_count
from webapp.extensions import db


def notes(username: str) -> list[Notification]:
    db.session.expire_all()
    user = db.session.execute(select(User).where(User.username == username)).scalar_one()
    return list(
        db.session.execute(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        ).scalars()
    )


def user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def test_reminder_and_late_notice_clear_once_the_level_forwards(workflow, users):
    created = users["county"].send("POST", "/api/v1/accidents", json=body(), status=201)
    (task,) = todo(users["city"], created["id"])
    for _ in range(121):  # past the 1.5-hour reminder and the 2-hour deadline
        clock.advance(timedelta(minutes=1))
        run_timers()
        db.session.commit()
    (reminder,) = [n for n in notes("u_city") if n.kind == "remind"]
    (late,) = notes("u_city_leader")
    assert "中原区安置房3号楼" in reminder.message and "前确认并上报" in reminder.message
    assert "超过2小时" in late.message
    # Both are about the city's open task, and unread while it is open.
    assert reminder.task_id == late.task_id == task["id"]
    assert reminder.cleared_at is None and late.cleared_at is None
    assert unread_count(user("u_city_leader")) == 1

    complete(users["city"], task, "forward", ACK)
    (reminder,) = [n for n in notes("u_city") if n.kind == "remind"]
    (late,) = notes("u_city_leader")
    assert reminder.cleared_at is not None and reminder.read_at is not None
    assert late.cleared_at is not None and unread_count(user("u_city_leader")) == 0


def test_skipped_levels_copy_clears_when_the_chain_is_finished(workflow, users):
    created = users["county"].send(
        "POST", "/api/v1/accidents", json=body(direct=True, deaths=1), status=201
    )
    copies = [n for n in notes("u_city") + notes("u_city_leader") if n.kind == "cc"]
    assert len(copies) == 2 and all(n.instance_id is not None for n in copies)
    assert all(n.cleared_at is None for n in copies)
    (task,) = todo(users["province"], created["id"])
    complete(users["province"], task, "forward", ACK)  # 一般: the chain ends at the province
    assert todo(users["province"], created["id"]) == []
    copies = [n for n in notes("u_city") + notes("u_city_leader") if n.kind == "cc"]
    assert all(n.cleared_at is not None for n in copies)
    assert unread_count(user("u_city")) == 0 and unread_count(user("u_city_leader")) == 0
