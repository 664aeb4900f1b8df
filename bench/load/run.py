"""Load run: 20 API clients with bearer tokens against a real server for a minute, per database.

The server is the production app as ``make run`` serves it (``waitress-serve --threads=8
wsgi:app``, production ``Config``) in a child process.  Each client is a thread with its own
token, and loops until the time is up over a mix of reads (inbox, report with its figures,
ledger list, ``/me``) and writes (task completions, narrative autosaves, new ledger projects).
Two clients share each county (two 填表人 of one unit), so they complete the same tasks and save
the same report: some completions get 409 (the other clerk was first), which is the answer the
product owes; a 5xx is never right.  Printed: counts of 2xx/4xx/5xx per operation, requests
per second, latency median / p90 / p99 of reads and writes.

Runs on a temporary SQLite file and, when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set, on
that PostgreSQL database too (its schema is DROPPED and rebuilt: use a scratch database).
``BENCH_LOAD_SECONDS`` (default 60) and ``BENCH_LOAD_CLIENTS`` (default 20) change the run.
Only 127.0.0.1 is contacted; every loop is bounded by the deadline.
"""

from __future__ import annotations

import collections
import os
import random
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from bench.client import JsonClient, decoded, waitress
from tests.reliability.http import HttpUser

ROOT = Path(__file__).resolve().parents[2]

SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS") or 60)
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS") or 20)
INSTANCES_PER_COUNTY = 80
PASSWORD = "Load#Bench-2026"  # noqa: S105 - the bench's own throwaway users
#: (operation, weight): reads first, then writes.
MIX = [
    ("inbox", 3),
    ("report", 2),
    ("ledger", 1),
    ("me", 1),
    ("complete", 3),
    ("narrative", 2),
    ("project", 1),
]
WRITES = {"complete", "narrative", "project"}


@dataclass
class County:
    code: str
    report_id: int
    usernames: list[str] = field(default_factory=list)


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    by_op: dict[str, collections.Counter[str]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"read": [], "write": []})
    failures: list[str] = field(default_factory=list)

    def add(self, op: str, status: int, seconds: float, body: object) -> None:
        with self.lock:
            self.by_op[op][f"{status // 100}xx"] += 1
            if status == 409:
                self.by_op[op]["409"] += 1
            self.latencies["write" if op in WRITES else "read"].append(seconds)
            if status >= 500 and len(self.failures) < 5:
                self.failures.append(f"{op} {status} {str(_decoded(body))[:200]}")


def _app(url: str):
    from webapp import create_app
    from webapp.config import TestingConfig

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(Config)


def _prepare(url: str) -> list[County]:
    """Schema, demo province, a second clerk per county, the quarter opened, demo instances."""
    from flask_migrate import upgrade

    from webapp.core.demo import seed_demo
    from webapp.core.operations import create_user, get_org
    from webapp.engine import deploy_bpmn, start_instance
    from webapp.extensions import db, write_intent
    from webapp.reports.deadlines import current_period_code
    from webapp.reports.models import Report
    from webapp.reports.operations import open_period

    app = _app(url)
    counties: list[County] = []
    with app.app_context():
        write_intent.set(True)
        upgrade()
        seed_demo(PASSWORD)
        for name in ("quarterly_report", "demo_two_tier"):
            deploy_bpmn(None, None, (ROOT / "workflows" / f"{name}.bpmn").read_bytes())
        period = current_period_code()
        open_period(None, period)
        db.session.commit()
        codes = sorted({f"4101{n:02d}" for n in (2, 3, 4, 5, 6, 8, 22, 82, 83, 84, 85)})
        for code in codes[: (CLIENTS + 1) // 2]:
            create_user(
                None,
                username=f"clerk2_{code}",
                full_name="第二填表人",
                org_code=code,
                roles=["clerk"],
                password=PASSWORD,
            )
            org = get_org(code)
            for i in range(INSTANCES_PER_COUNTY):
                start_instance(None, "demo_two_tier", org, f"load:{code}:{i}")
            report = db.session.query(Report).filter_by(org_id=org.id, period=period).one()
            counties.append(County(code, report.id, [f"clerk_{code}", f"clerk2_{code}"]))
            db.session.commit()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    return counties


def lean_user(base: str, username: str) -> JsonClient:
    """An API client as cheap in CPU as the standard library allows (:class:`JsonClient`), for
    the runs where the clients share the server's cores (bench/processes); its requests go
    through :meth:`JsonClient.request`, whose body the client decodes only where it reads it
    (the inbox's task ids).  The requests are the same as :class:`HttpUser`'s."""
    return JsonClient(base, retry_stale=True).login(username, PASSWORD)


def _decoded(body: object) -> object:
    """``body`` as JSON if it came as bytes (from a :class:`JsonClient`)."""
    return decoded(body) if isinstance(body, bytes) else body


def _client(
    user: HttpUser | JsonClient, county: County, seed: int, deadline: float, tally: Tally
) -> None:
    rnd = random.Random(seed)
    # A JsonClient's bodies stay undecoded unless read (its CPU is counted in bench/processes).
    send = user.request if isinstance(user, JsonClient) else user.send
    username = user.username
    ops = [op for op, weight in MIX for _ in range(weight)]
    todo: list[int] = []
    n = 0
    while time.monotonic() < deadline:
        op = rnd.choice(ops)
        n += 1
        if op == "complete" and not todo:
            op = "inbox"  # refill the list first, as a person looks before acting
        t0 = time.perf_counter()
        if op == "inbox":
            status, body = send("GET", "/api/v1/tasks?view=todo")
            if status == 200:
                body = _decoded(body)
                todo = [
                    t["id"]
                    for t in body["items"]
                    if t["business_key"].startswith("load:") and t["element_id"] == "prepare"
                ][:5]
        elif op == "report":
            status, body = send("GET", f"/api/v1/reports/{county.report_id}")
        elif op == "ledger":
            status, body = send("GET", "/api/v1/ledger/projects")
        elif op == "me":
            status, body = send("GET", "/api/v1/me")
        elif op == "complete":
            task_id = todo.pop(0)
            status, body = send(
                "POST",
                f"/api/v1/tasks/{task_id}/complete",
                {"outcome": "submit", "data": {"title": f"{username} 第{n}次"}},
            )
        elif op == "narrative":
            key = f"s{rnd.randint(1, 11):02d}"
            status, body = send(
                "PUT",
                f"/api/v1/reports/{county.report_id}/narrative",
                {"sections": {key: f"{username} 第{n}次保存：本季度情况平稳。"}},
            )
        else:
            status, body = send(
                "POST",
                "/api/v1/ledger/projects",
                {
                    "registration_no": f"{username}-{n}",
                    "name": f"压测工程{n}",
                    "structure_type": "框架",
                    "area_m2": 1000,
                    "cost_10k_yuan": 300,
                    "registered_on": "2026-07-01",
                    "is_public": True,
                },
            )
        tally.add(op, status, time.perf_counter() - t0, body)


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else 0.0


def bench(url: str, label: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as instance:
        os.environ["HQR_INSTANCE_PATH"] = instance
        t0 = time.monotonic()
        counties = _prepare(url)
        print(f"[{label}] prepared in {time.monotonic() - t0:.0f} s", flush=True)
        log = Path(instance) / "server.log"
        process, port = waitress(ROOT, url, instance, log, threads=8, app="wsgi:app")
        base = f"http://127.0.0.1:{port}"
        try:
            users = []
            for i in range(CLIENTS):
                county = counties[i // 2]
                users.append((HttpUser(base, county.usernames[i % 2]).login(PASSWORD), county))
            tally = Tally()
            deadline = time.monotonic() + SECONDS
            threads = [
                threading.Thread(target=_client, args=(u, c, i, deadline, tally))
                for i, (u, c) in enumerate(users)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(SECONDS + 300)
        finally:
            process.terminate()
            process.wait(30)
        totals: collections.Counter[str] = collections.Counter()
        for counts in tally.by_op.values():
            totals.update(counts)
        requests = sum(totals[k] for k in ("2xx", "4xx", "5xx"))
        print(
            f"[{label}] {CLIENTS} clients × {SECONDS} s: {requests} requests "
            f"({requests / SECONDS:.0f}/s): 2xx {totals['2xx']}, 4xx {totals['4xx']} "
            f"(409 {totals['409']}), 5xx {totals['5xx']}"
        )
        for op, _weight in MIX:
            c = tally.by_op.get(op, collections.Counter())
            print(
                f"[{label}]   {op:<9} 2xx {c['2xx']:>5}  4xx {c['4xx']:>4} (409 {c['409']:>4})"
                f"  5xx {c['5xx']}"
            )
        for kind, samples in tally.latencies.items():
            print(
                f"[{label}] {kind} latency ms: median {_pct(samples, 0.5):.0f}, "
                f"p90 {_pct(samples, 0.9):.0f}, p99 {_pct(samples, 0.99):.0f} ({len(samples)})"
            )
        for line in tally.failures:
            print(f"[{label}] 5xx example: {line}")
        if totals["5xx"]:
            print(f"[{label}] server log: {log.read_text()[-3000:]}")
        return {"totals": totals, "by_op": tally.by_op}


def _reset_pg(url: str) -> None:
    from sqlalchemy import create_engine

    from webapp import _normalise_db_url

    engine = create_engine(_normalise_db_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(bench(f"sqlite:///{tmp}/load.sqlite3", "SQLite"))
    pg = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if pg:
        _reset_pg(pg)
        results.append(bench(pg, "PostgreSQL"))
    else:
        print("[PostgreSQL] skipped: set BENCH_DATABASE_URL to a scratch database")
    if any(r["totals"]["5xx"] for r in results):
        raise SystemExit("5xx answers under load")


if __name__ == "__main__":
    main()
