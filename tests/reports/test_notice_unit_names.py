"""Every notice names each unit once.

Found as a leader: 催办 by a unit's own reviewer read 张三（中原区）催办：请尽快办理“填报数据”
（2026年第三季度 · 中原区）, the actor's unit and the task's being the same.  Each notice kind the
report flow makes (新待办, 退回, 催办, 期限提醒, 逾期, 抄送, 转办, 改派) is made here and no unit's
name appears twice in any text; the accident notices name their unit once too."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tests.reports.conftest import PERIOD, draft
from webapp.core import clock
from webapp.core.models import Org, User
from webapp.engine import Notification, cc, reassign, remind, run_timers, transfer
from webapp.extensions import db

KINDS = {"task", "return", "remind", "reminder", "overdue", "cc", "transfer", "reassign"}


def _user(name: str) -> User:
    return db.session.execute(select(User).where(User.username == name)).scalar_one()


def _fire_due_timers() -> None:
    while run_timers()["instances"]:
        pass


def _twice(text: str, names: list[str]) -> list[str]:
    return [n for n in names if text.count(n) > 1]


def test_no_notice_names_a_unit_twice(workflows, oracle, api, app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "API_TOKEN_HOURS", 24 * 365)  # the clock jumps weeks
    clock.set_now(datetime(2026, 9, 10, 9, 0, tzinfo=clock.LOCAL_TZ))
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    api("reviewer", "410100")
    make_user("clerk", "410102", username="zy_clerk2")
    make_user("reviewer", "410102", username="zy_reviewer2")
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": PERIOD})
    admin = _user("admin_410000")

    task = clerk.task("410102")["id"]
    remind(_user("reviewer_410102"), task, "请本周内完成。")  # by the unit's own reviewer
    remind(_user("reviewer_410100"), task)  # by the upper level
    cc(_user("reviewer_410102"), task, _user("zy_reviewer2").id)
    transfer(_user("clerk_410102"), task, _user("zy_clerk2").id, "出差")
    reassign(admin, task, _user("clerk_410102").id)
    db.session.commit()
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "return", "附表说明不完整。")
    clock.set_now(
        datetime(2026, 9, 30, 23, 59, tzinfo=clock.LOCAL_TZ)
        - timedelta(days=app.config["REPORT_REMIND_DAYS"])
    )
    _fire_due_timers()
    clock.set_now(datetime(2026, 10, 1, 0, 5, tzinfo=clock.LOCAL_TZ))
    _fire_due_timers()
    db.session.commit()

    names = list(db.session.execute(select(Org.name)).scalars())
    notes = list(db.session.execute(select(Notification)).scalars())
    assert KINDS <= {n.kind for n in notes}, {n.kind for n in notes}
    doubled = [(n.kind, n.message) for n in notes if _twice(n.message, names)]
    assert not doubled, doubled
    own = [n.message for n in notes if n.kind == "remind" and "请本周内完成" in n.message]
    assert own and all("中原区" in m for m in own)  # named once, by the task's subject
    upper = [n.message for n in notes if n.kind == "remind" and "郑州市" in n.message]
    assert upper  # the upper level's 催办 still names the reminding unit


def test_an_accident_notice_names_its_unit_once():
    from webapp.accidents.models import Accident
    from webapp.accidents.operations import _where

    zhongyuan = db.session.execute(select(Org).where(Org.code == "410102")).scalar_one()
    named = Accident(org=zhongyuan, project_name="中原区某小区3号楼")
    plain = Accident(org=zhongyuan, project_name="某小区3号楼")
    assert _where(named) == "中原区某小区3号楼"
    assert _where(plain) == "中原区某小区3号楼"
    db.session.expunge_all()
