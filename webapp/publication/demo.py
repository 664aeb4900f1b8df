"""Demo publication (issue 15): the last half year published by the province and by the units
that approved behaviour records in it, so the portal shows reports with the outcome-only quality
index (each city's figure beside the province's), records in publicity with their 责任人, one
record withdrawn after an upheld objection and one objection waiting for its answer.

Runs after ``flask reports demo-history`` and ``flask publication open --last`` (``make db``).
Every step goes through the real flow (publication.bpmn) with the clock moved to the day it
would have happened: published ten days after the half year ended.  郑州市 is left drafting (the
README's journey).  Idempotent: units already published are left alone.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from webapp.core import clock
from webapp.core.models import Org, User
from webapp.engine import complete_task, open_tasks
from webapp.extensions import db
from webapp.publication.draft import leftovers
from webapp.publication.figures import accepted_bad_records
from webapp.publication.models import PublishedRecord, RecordObjection
from webapp.publication.operations import find_publication, open_period, save_sections
from webapp.publication.periods import last_ended
from webapp.publication.publicity import answer_objection, raise_objection

#: 郑州市 stays a draft for the README's walk through the flow.
KEEP_DRAFTING = {"410100"}
#: How many units with records of their own publish besides the province.
UNITS_WITH_RECORDS = 3
FILLED = {
    "trends": "与上一半年度相比，全省在监工程规模保持稳定，竣工验收合格率和用户满意率基本持平。",
    "problems": "个别工程参建单位质量行为不规范，部分竣工工程质量备案不够及时（演示数据）。",
    "measures": "一是开展住宅工程质量通病专项治理；二是加强竣工验收监督；"
    "三是督促及时办理备案（演示数据）。",
}


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def _step(pub: Any, username: str, outcome: str, comment: str | None = None) -> None:
    (task,) = open_tasks(pub.instance_id)
    complete_task(_user(username), task.id, outcome, comment)


def _publish(org: Org, period: str) -> bool:
    pub = find_publication(org, period)
    if pub is None or pub.published_at is not None or pub.instance_id is None:
        return False
    texts = {key: FILLED.get(key, text) for key, text in (pub.sections or {}).items()}
    assert not any(leftovers(t) for t in texts.values()), texts
    save_sections(_user(f"clerk_{org.code}"), pub, texts)
    _step(pub, f"clerk_{org.code}", "submit")
    _step(pub, f"reviewer_{org.code}", "approve", "数据核对无误，同意公开。")
    _step(pub, f"leader_{org.code}", "approve", "同意公开。")
    return True


def _units_with_own_records(period: str) -> list[Org]:
    half = last_ended(clock.today_local())
    assert half.code == period
    found = []
    for org in db.session.execute(select(Org).order_by(Org.path)).scalars():
        if org.parent_id is None or org.code in KEEP_DRAFTING:
            continue
        rows = [r for r in accepted_bad_records(org, half) if r.get("org_code") == org.code]
        if rows:
            found.append(org)
        if len(found) == UNITS_WITH_RECORDS:
            break
    return found


def seed_publication() -> dict[str, Any]:
    """Publish the last ended half year for the province and a few units with own records;
    an objection upheld (the record withdrawn) and one waiting."""
    period = last_ended(clock.today_local()).code
    open_period(None, period)
    units = _units_with_own_records(period)
    province = db.session.execute(select(Org).where(Org.parent_id.is_(None))).scalar_one()
    half = last_ended(clock.today_local())
    published = []
    day = datetime.combine(half.end + timedelta(days=10), time(9, 0), tzinfo=clock.LOCAL_TZ)
    with clock.moved_to(day) as move:
        for i, org in enumerate([*units, province]):
            move(day + timedelta(hours=i))
            if _publish(org, period):
                published.append(org.name)
        records = list(
            db.session.execute(
                select(PublishedRecord)
                .where(PublishedRecord.kind == "bad", PublishedRecord.withdrawn_at.is_(None))
                .order_by(PublishedRecord.id)
            ).scalars()
        )
        objections = 0
        if records and not db.session.execute(select(RecordObjection.id)).first():
            move(day + timedelta(days=5))
            upheld = raise_objection(
                records[0].id,
                records[0].enterprise,
                "unit",
                "该工程钢筋规格变更已于检查前取得设计单位书面变更通知，"
                "请核实后撤销记录（演示数据）。",
            )
            move(day + timedelta(days=8))
            answer_objection(
                _user(f"reviewer_{records[0].org.code}"),
                upheld,
                "upheld",
                "经复核，设计变更手续齐全，异议成立，撤下该记录（演示数据）。",
            )
            objections = 1
            if len(records) > 1:
                move(day + timedelta(days=20))
                raise_objection(
                    records[1].id,
                    records[1].person_name or records[1].enterprise,
                    "person",
                    "本人当时已调离该项目，不应作为责任人，请核实（演示数据）。",
                )
                objections = 2
    return {"period": period, "published": published, "objections": objections}
