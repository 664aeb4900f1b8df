"""The attacks on a report's process that were observed (issue 13), through the API: a clerk's
form data cannot skip the city's acceptance (``has_parent``), act on another county's report
(``report_id``) or move the deadline (``due_at``).  The class is tested for every form in
tests/engine/test_process_data.py."""

from __future__ import annotations

import re

import pytest

from webapp.engine.models import ProcessInstance
from webapp.extensions import db


def _open(api) -> None:
    api("admin", "410000").send("POST", "/api/v1/reports/open", {"period": "2026Q3"})


@pytest.mark.parametrize(
    "hostile",
    [
        {"has_parent": False},  # skip the city's 上级接收
        {"report_id": "OTHER"},  # act on another county's report
        {"due_at": "2099-12-31T15:59:59+00:00"},  # move the deadline
        {"remind_at": "2099-12-30T15:59:59+00:00"},
        {"next_period": "2026"},  # anything the form does not declare
    ],
    ids=lambda d: next(iter(d)),
)
def test_a_clerk_cannot_steer_the_report_with_form_data(oracle, api, workflows, hostile):
    from tests.reports.conftest import PERIOD

    _open(api)
    clerk = api("clerk", "410102")
    other = api("clerk", "410103").report("410103")
    data = {k: (other["id"] if v == "OTHER" else v) for k, v in hostile.items()}
    task = clerk.task("410102")
    instance_before = db.session.get(ProcessInstance, task["instance_id"])
    subject_before = dict(instance_before.subject)
    version_before = instance_before.version
    response = clerk.client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"outcome": "next", "data": data},
        headers=clerk.headers,
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    key = next(iter(hostile))
    details = " ".join(str(v) for v in body.get("details", body.get("errors", {})).values())
    assert key in details
    assert re.search("固定数据|未声明", details)
    db.session.expire_all()
    after = db.session.get(ProcessInstance, task["instance_id"])
    assert after.version == version_before and after.subject == subject_before
    assert clerk.task("410102", PERIOD)["id"] == task["id"]  # still the same open step


def test_the_report_still_goes_to_the_city_after_a_refused_attempt(oracle, api, workflows):
    from tests.reports.conftest import draft

    _open(api)
    clerk, reviewer = api("clerk", "410102"), api("reviewer", "410102")
    task = clerk.task("410102")
    clerk.send(
        "POST",
        f"/api/v1/tasks/{task['id']}/complete",
        {"outcome": "next", "data": {"has_parent": False}},
        status=422,
    )
    draft(clerk, "410102")
    reviewer.complete(reviewer.task("410102"), "approve")
    report = clerk.report("410102")
    assert report["state"] == "submitted"  # waiting for 上级接收, not accepted
    api("reviewer", "410100").task("410102")  # the city has the task
