"""Report test helpers: the real workflows deployed, the oracle ledger, API clients per user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import ROOT, TEST_PASSWORD
from tests.stats.oracle import load_oracle
from webapp.engine import deploy_bpmn
from webapp.extensions import db

PERIOD = "2026Q3"


@pytest.fixture
def workflows() -> None:
    deploy_bpmn(None, None, (ROOT / "workflows" / "quarterly_report.bpmn").read_bytes())
    db.session.commit()


class Api:
    """One user's API client: a bearer token and a few helpers around the JSON contract."""

    def __init__(self, client: FlaskClient, username: str) -> None:
        self.client = client
        self.username = username
        token = client.post(
            "/api/v1/auth/tokens", json={"username": username, "password": TEST_PASSWORD}
        ).get_json()["token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, status: int = 200) -> Any:
        response = self.client.get(path, headers=self.headers)
        assert response.status_code == status, (path, response.get_data(as_text=True)[:500])
        return response.get_json() if response.is_json else response

    def send(self, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        response = self.client.open(path, method=method, json=json, headers=self.headers)
        assert response.status_code == status, (path, response.get_data(as_text=True)[:800])
        return response.get_json()

    def report(self, org_code: str, period: str = PERIOD) -> dict[str, Any]:
        items = self.get(f"/api/v1/reports?org={org_code}&period={period}")["items"]
        assert len(items) == 1, items
        return self.get(f"/api/v1/reports/{items[0]['id']}")

    def task(self, org_code: str, period: str = PERIOD, name: str | None = None) -> dict:
        items = self.get("/api/v1/tasks?view=todo")["items"]
        key = f"report:{org_code}:{period}"
        found = [
            t
            for t in items
            if t["business_key"].startswith(key) and (name is None or t["name"] == name)
        ]
        assert len(found) == 1, (
            self.username,
            key,
            [(t["business_key"], t["name"]) for t in items],
        )
        return found[0]

    def complete(
        self,
        task: dict,
        outcome: str,
        comment: str | None = None,
        status: int = 200,
        data: dict | None = None,
    ) -> Any:
        return self.send(
            "POST",
            f"/api/v1/tasks/{task['id']}/complete",
            {"outcome": outcome, "comment": comment, "data": data or {}},
            status,
        )


@pytest.fixture
def api(client: FlaskClient, make_user: Callable[..., Any]) -> Callable[[str, str], Api]:
    """``api("clerk", "410102")`` → an API client of a fresh user with that role and org."""
    made: dict[str, Api] = {}

    def _api(role: str, org_code: str) -> Api:
        name = f"{role}_{org_code}"
        if name not in made:
            make_user(role, org_code)
            made[name] = Api(client, name)
        return made[name]

    return _api


@pytest.fixture
def oracle() -> None:
    load_oracle()


def draft(clerk: Api, org_code: str, period: str = PERIOD, text: str = "本季度情况") -> dict:
    """The clerk explains every warning, writes every section, completes both drafting steps."""
    report = clerk.report(org_code, period)
    warnings = {
        c["id"]: "已核实，数据真实。" for c in report["checks"] if c["severity"] == "warning"
    }
    missing = (
        "部分县区尚未报送，已电话督促。"
        if any(not u["accepted"] for u in report["lower_units"])
        else None
    )
    # Each text on top of the version read (a second drafting round saves version 2).
    clerk.send(
        "PUT",
        f"/api/v1/reports/{report['id']}/explanations",
        {
            "explanations": warnings,
            "missing_explanation": missing,
            "base_versions": report["explanation_versions"],
        },
    )
    clerk.send(
        "PUT",
        f"/api/v1/reports/{report['id']}/narrative",
        {
            "sections": {s["key"]: f"{text}：{s['title']}。" for s in report["sections"]},
            "base_versions": report["narrative_versions"],
        },
    )
    clerk.complete(clerk.task(org_code, period, "填报数据（附表1–6/7）"), "next")
    clerk.complete(clerk.task(org_code, period, "撰写分析报告"), "submit")
    return report
