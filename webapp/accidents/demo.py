"""Demo: 中原区 records a 较大 accident an hour ago; 郑州市 and the province acknowledge and
forward it, the province records its report to the Ministry, then a 续报 adds an injured person
(that follow-up is left waiting at 郑州市, so the demo shows an open step with its 2 hours)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from webapp.accidents.models import Accident
from webapp.accidents.operations import add_followup, record_accident
from webapp.core import clock
from webapp.core.models import User
from webapp.core.operations import get_org
from webapp.engine import HumanTask, complete_task
from webapp.extensions import db

COUNTY = "410102"
PROJECT = "中原区棚户区改造安置房5号楼（演示）"


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def _task(accident: Accident, version: int) -> HumanTask:
    from webapp.engine import tasks_for

    key = f"accident:{accident.id}:{version}"
    for username in ("reviewer_410100", "reviewer_410000"):
        for task in tasks_for(_user(username), "todo"):
            if task.instance.business_key == key:
                return task
    raise LookupError(key)


def seed_accident() -> int | None:
    """Idempotent: returns the accident id when it was created now."""
    existing = db.session.execute(
        select(Accident.id).where(Accident.project_name == PROJECT)
    ).scalar_one_or_none()
    if existing is not None:
        return None
    now = clock.now()
    local = clock.to_local(now - timedelta(minutes=70))
    received = clock.to_local(now - timedelta(minutes=45))
    assert local is not None and received is not None
    accident = record_accident(
        _user(f"clerk_{COUNTY}"),
        get_org(COUNTY),
        {
            "occurred_at": local.isoformat(),
            "received_at": received.isoformat(),
            "place": "郑州市中原区桐柏路与建设路交叉口",
            "project_name": PROJECT,
            "units": [
                "河南某建设集团有限公司（施工）",
                "郑州某监理有限公司（监理）",
                "中原区城建投资公司（建设）",
            ],
            "deaths": 3,
            "serious_injuries": 4,
            "loss_10k_yuan": "680",
            "description": "主体七层楼板浇筑时高支模坍塌。",
            "cause": "初步判断为模板支撑体系搭设不符合专项方案。",
            "measures": "立即停工、组织救援、封闭现场。",
            "under_control": True,
            "reporting_unit": "郑州市中原区住房和城乡建设局",
            "contact": "张科长",
            "phone": "0371-67000000",
            "government_report": "电话报告中原区人民政府",
            "police_notice": "通报中原区公安分局、监察委",
        },
    )
    ack = {"government_report": "电话报告本级人民政府", "police_notice": "通报公安、监察机关"}
    city, province = _user("reviewer_410100"), _user("reviewer_410000")
    complete_task(city, _task(accident, 1).id, "forward", data=ack)
    complete_task(province, _task(accident, 1).id, "forward", data=ack)
    reported = clock.to_local(clock.now())
    assert reported is not None
    complete_task(
        province,
        _task(accident, 1).id,
        "record",
        data={
            "ministry_reported_at": f"{reported:%Y-%m-%d %H:%M}",
            "ministry_channel": "网络直报",
            "ministry_ref": "演示-001",
        },
    )
    add_followup(
        _user(f"clerk_{COUNTY}"),
        accident,
        {"serious_injuries": 5, "reason": "一名轻伤人员经医院诊断为重伤。"},
    )
    return accident.id
