"""Quarter-end load (issue 19 goal 5): the clerks and reviewers of every unit at the deadline.

Run by ``bench/quarter_end/run.py`` (``make bench-quarter-end``), which prepares the database and
passes the accounts in ``HQR_QE_ACCOUNTS`` (``username:role:report_id`` separated by commas) and
their password in ``HQR_QE_PASSWORD``.  Each simulated person logs in for a bearer token, then
thinks 5–30 s between actions: about 40 % inbox, 30 % tables (the unit's report with its
附表 and checks), 20 % draft saves (a narrative section, on top of the version it last saw)
and 10 % task completions (``demo_two_tier`` steps of its unit).  Reviewers do not write the
narrative in this product (only the unit's 填表人 drafts), so a reviewer's draft share reads the
list of its unit's reports instead.  One more user, ``NoOp``, asks ``GET /api/v1/me`` (an
authenticated request doing almost nothing) every second, so the no-op's p95 under the same
load is measured beside the others.  A 409 on a step another person took first is retried as
the next inbox read, never counted as a failure: every other non-2xx is a failure.
"""

from __future__ import annotations

import itertools
import os
import random

from locust import HttpUser, between, constant, task

PASSWORD = os.environ.get("HQR_QE_PASSWORD", "")
ACCOUNTS = [a.split(":") for a in os.environ.get("HQR_QE_ACCOUNTS", "").split(",") if a]
_numbers = itertools.count()
TASK_STEPS = {"prepare": "submit", "review": "approve", "accept": "accept"}


class Person(HttpUser):
    wait_time = between(5, 30)
    weight = 200

    def on_start(self) -> None:
        n = next(_numbers)
        self.username, self.role, report = ACCOUNTS[n % len(ACCOUNTS)]
        self.report_id = int(report)
        # Two people on one account never save the same section (sections 5 apart).
        self.section = f"s{(n % 11 + 5 * (n // len(ACCOUNTS))) % 11 + 1:02d}"
        self.version: int | None = None
        self.todo: list[int] = []
        self.rnd = random.Random(n)
        with self.client.post(
            "/api/v1/auth/tokens",
            json={"username": self.username, "password": PASSWORD},
            name="login",
            catch_response=True,
        ) as r:
            if r.status_code != 201:
                r.failure(f"login {self.username}: {r.status_code}")
                return
            token = r.json()["token"]
        self.client.headers["Authorization"] = f"Bearer {token}"

    @task(40)
    def inbox(self) -> None:
        with self.client.get("/api/v1/tasks?view=todo", name="inbox", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(str(r.status_code))
                return
            self.todo = [
                (t["id"], TASK_STEPS[t["element_id"]])
                for t in r.json()["items"]
                if t["business_key"].startswith("qe:") and t["element_id"] in TASK_STEPS
            ]
            self.rnd.shuffle(self.todo)

    @task(30)
    def tables(self) -> None:
        with self.client.get(
            f"/api/v1/reports/{self.report_id}", name="tables", catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(str(r.status_code))
                return
            if self.version is None:
                self.version = r.json()["narrative_versions"].get(self.section, 0)

    @task(20)
    def draft(self) -> None:
        if self.role != "clerk":
            self.client.get("/api/v1/reports", name="reports list")
            return
        if self.version is None:
            self.tables()
        text = f"{self.username} 第{self.rnd.randint(1, 10**6)}次保存：本季度工程质量总体受控。"
        with self.client.put(
            f"/api/v1/reports/{self.report_id}/narrative",
            json={"sections": {self.section: text}, "base_versions": {self.section: self.version}},
            name="draft save",
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {r.text[:200]}")
                return
            self.version = r.json()["versions"][self.section]

    @task(10)
    def complete(self) -> None:
        if not self.todo:
            self.inbox()  # a person looks at the inbox before acting
            if not self.todo:
                return
        task_id, outcome = self.todo.pop()
        with self.client.post(
            f"/api/v1/tasks/{task_id}/complete",
            # 填报 has a title field; the approval steps' forms declare none (a comment only).
            json={"outcome": outcome, "data": {"title": f"{self.username} 季末填报"}}
            if outcome == "submit"
            else {"outcome": outcome, "comment": "同意。"},
            name="completion",
            catch_response=True,
        ) as r:
            if r.status_code == 409:
                r.success()  # a colleague on the same account was first: the right answer
            elif r.status_code != 200:
                r.failure(f"{r.status_code} {r.text[:200]}")


class NoOp(HttpUser):
    """One user asking an authenticated no-op every second: its p95 is the floor."""

    wait_time = constant(1)
    fixed_count = 1

    def on_start(self) -> None:
        username = ACCOUNTS[0][0]
        r = self.client.post(
            "/api/v1/auth/tokens",
            json={"username": username, "password": PASSWORD},
            name="login",
        )
        self.client.headers["Authorization"] = f"Bearer {r.json()['token']}"

    @task
    def noop(self) -> None:
        self.client.get("/api/v1/me", name="no-op")
