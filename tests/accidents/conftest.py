"""Accident test helpers: the real workflow deployed, a frozen clock, API clients per user."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from tests.conftest import ROOT
from tests.reports.conftest import Api
from webapp.core import clock
from webapp.engine import deploy_bpmn
from webapp.extensions import db

CST = ZoneInfo("Asia/Shanghai")
COUNTY, CITY, PROVINCE, DIRECT = "410102", "410100", "410000", "410181"


def at(text: str) -> datetime:
    """``at("2026-05-01 14:30")`` in Henan time."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.fixture
def workflow() -> Any:
    clock.set_now(at("2026-05-01 15:00"))
    deploy_bpmn(None, None, (ROOT / "workflows" / "accident_report.bpmn").read_bytes())
    db.session.commit()
    yield
    clock.set_now(None)


def body(**changes: Any) -> dict[str, Any]:
    """A 较大 accident (3 deaths) at 中原区 by default."""
    data = {
        "occurred_at": "2026-05-01T14:10:00+08:00",
        "received_at": "2026-05-01T14:40:00+08:00",
        "place": "郑州市中原区建设路18号",
        "project_name": "中原区安置房3号楼",
        "units": ["郑州建设集团有限公司", "河南监理有限公司", "中原区城建投资公司"],
        "deaths": 3,
        "serious_injuries": 2,
        "missing": 0,
        "loss_10k_yuan": "450.00",
        "description": "模板支撑体系坍塌。",
        "cause": "高支模搭设不符合方案。",
        "measures": "停工，组织救援。",
        "under_control": True,
        "reporting_unit": "中原区住房和城乡建设局",
        "contact": "王工",
        "phone": "0371-66660000",
        "government_report": "15:00 电话报告区政府",
        "police_notice": "15:05 通报区公安分局、监察委",
    }
    data.update(changes)
    return data


@pytest.fixture
def users(client: FlaskClient, make_user: Callable[..., Any]) -> dict[str, Api]:
    made = {
        "county": ("clerk", COUNTY),
        "city": ("reviewer", CITY),
        "city_leader": ("leader", CITY),
        "city_clerk": ("clerk", CITY),
        "province": ("reviewer", PROVINCE),
        "province_leader": ("leader", PROVINCE),
        "direct": ("clerk", DIRECT),
        "county_reviewer": ("reviewer", COUNTY),
        "other_city": ("reviewer", "410200"),
    }
    for name, (role, code) in made.items():
        make_user(role, code, username=f"u_{name}")
    return {name: Api(client, f"u_{name}") for name in made}


def todo(api: Api, accident_id: int) -> list[dict[str, Any]]:
    items = api.get("/api/v1/tasks?view=todo")["items"]
    return [t for t in items if t["business_key"].startswith(f"accident:{accident_id}:")]


def complete(
    api: Api, task: dict[str, Any], outcome: str, data: dict[str, Any], status: int = 200
) -> Any:
    return api.send(
        "POST",
        f"/api/v1/tasks/{task['id']}/complete",
        json={"outcome": outcome, "data": data},
        status=status,
    )


ACK = {"government_report": "电话报告市政府", "police_notice": "通报市公安局、监察委"}
