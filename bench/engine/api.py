"""A task completion through the API against an authenticated no-op, on a real server.

Issue 19 goal 1: ``POST /api/v1/tasks/<id>/complete`` of the demo process's 填报 should cost at
most 2× ``GET /api/v1/me`` (the token check, the user, a small JSON answer) on the same server.
The server is the production app (``waitress-serve wsgi:app``, one thread, so that its CPU time
is the requests' own) in a child process; the client is this process, on one keep-alive
connection.  Rounds alternate blocks of no-ops and of completions; the server's CPU time
(utime + stime from /proc) is read around each block.

With ``BENCH_API_BASELINE=<dir>`` (a checkout of another commit) a second server runs that
code on a copy of the same database, and the rounds interleave the two (A, B, A, B …), so that
the machine's load weighs on both alike: a before/after comparison in one run.

SQLite only (a temporary file, WAL, synchronous FULL as shipped).  Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.client import JsonClient, waitress

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Api#Bench-2026"  # noqa: S105 - the bench's own throwaway user
ROUNDS = int(os.environ.get("BENCH_API_ROUNDS") or 6)
PER_BLOCK = int(os.environ.get("BENCH_API_BLOCK") or 40)
TICK = os.sysconf("SC_CLK_TCK")
#: What every bench completion of the demo's 填报 sends.
COMPLETE_BODY = {"outcome": "submit", "data": {"title": "一季度"}}


def signed_in_headers(client: Any) -> dict[str, str]:
    """The bench clerk's bearer-token headers, signed in through a Flask test ``client``."""
    token = client.post(
        "/api/v1/auth/tokens", json={"username": "clerk_api", "password": PASSWORD}
    ).get_json()["token"]
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def wsgi_environ(headers: dict[str, str], task_id: int | None = None) -> dict[str, Any]:
    """The WSGI environ of one request, built beforehand: the authenticated no-op
    (``GET /api/v1/me``) or, given ``task_id``, the completion of that task with
    :data:`COMPLETE_BODY` (the in-process instruments, :mod:`bench.engine.callgrind` and
    :mod:`bench.engine.calls`, call the app with these)."""
    from werkzeug.test import EnvironBuilder

    if task_id is None:
        builder = EnvironBuilder(path="/api/v1/me", headers=headers)
    else:
        builder = EnvironBuilder(
            path=f"/api/v1/tasks/{task_id}/complete",
            method="POST",
            json=COMPLETE_BODY,
            headers=headers,
        )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _prepare(url: str, count: int) -> list[int]:
    """Schema, orgs, one clerk with a password, the demo process, ``count`` instances."""
    from flask_migrate import upgrade

    from bench.engine.run import _app
    from webapp.core.demo import ORGS_CSV
    from webapp.core.operations import create_user, get_org, load_orgs_csv
    from webapp.engine import deploy_bpmn, start_instance
    from webapp.engine.queries import current_tasks
    from webapp.extensions import db, write_intent

    app = _app(url)
    with app.app_context():
        write_intent.set(True)
        upgrade()
        load_orgs_csv(ORGS_CSV)
        create_user(
            None,
            username="clerk_api",
            full_name="填表人",
            org_code="410102",
            roles=["clerk"],
            password=PASSWORD,
        )
        create_user(
            None,
            username="reviewer_api",
            full_name="审核人",
            org_code="410100",
            roles=["reviewer"],
            password=PASSWORD,
        )
        deploy_bpmn(None, None, (ROOT / "workflows" / "demo_two_tier.bpmn").read_bytes())
        db.session.commit()
        org = get_org("410102")
        task_ids = []
        for i in range(count):
            inst = start_instance(None, "demo_two_tier", org, f"api:{i}")
            task_ids.append(current_tasks(inst)[0].id)
        db.session.commit()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    return task_ids


@dataclass
class Server:
    label: str
    root: Path
    db_file: Path
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    client: JsonClient | None = None
    noop: list[float] = field(default_factory=list)
    complete: list[float] = field(default_factory=list)
    noop_cpu: list[float] = field(default_factory=list)
    complete_cpu: list[float] = field(default_factory=list)

    def start(self, instance: Path, log: Path) -> None:
        url = f"sqlite:///{self.db_file}"
        self.process, self.port = waitress(self.root, url, instance, log, threads=1, app="wsgi:app")
        self.client = JsonClient(self.port, timeout=60).login("clerk_api", PASSWORD)
        for _ in range(5):  # warm up: imports, the spec cache, the script pool
            self.client.send("GET", "/api/v1/me")

    def cpu(self) -> float:
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)


def _block(server: Server, task_ids: list[int]) -> None:
    """One block of no-ops, then one block of completions (each timed, CPU read around)."""
    client = server.client
    assert client is not None
    cpu0 = server.cpu()
    for _ in task_ids:
        t0 = time.perf_counter()
        status, body = client.send("GET", "/api/v1/me")
        server.noop.append(time.perf_counter() - t0)
        assert status == 200, (status, body)
    cpu1 = server.cpu()
    for task_id in task_ids:
        t0 = time.perf_counter()
        status, body = client.send(
            "POST",
            f"/api/v1/tasks/{task_id}/complete",
            COMPLETE_BODY,
        )
        server.complete.append(time.perf_counter() - t0)
        assert status == 200, (server.label, status, body)
    cpu2 = server.cpu()
    server.noop_cpu.append((cpu1 - cpu0) / len(task_ids))
    server.complete_cpu.append((cpu2 - cpu1) / len(task_ids))


def _ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    baseline = os.environ.get("BENCH_API_BASELINE")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["HQR_INSTANCE_PATH"] = str(tmp)
        master = tmp / "master.sqlite3"
        task_ids = _prepare(f"sqlite:///{master}", ROUNDS * PER_BLOCK)
        servers = [Server("this tree", ROOT, tmp / "this.sqlite3")]
        if baseline:
            servers.insert(0, Server(f"baseline {baseline}", Path(baseline), tmp / "base.sqlite3"))
        try:
            for n, server in enumerate(servers):
                shutil.copy(master, server.db_file)
                folder = tmp / f"instance{n}"
                folder.mkdir()
                server.start(folder, tmp / f"server{n}.log")
            for r in range(ROUNDS):
                block = task_ids[r * PER_BLOCK : (r + 1) * PER_BLOCK]
                order = servers if r % 2 == 0 else list(reversed(servers))
                for server in order:
                    _block(server, block)
        finally:
            for server in servers:
                server.stop()
    load = os.getloadavg()
    print(
        f"[API] {ROUNDS} rounds × {PER_BLOCK} no-ops + {PER_BLOCK} completions per server,"
        f" interleaved; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    for server in servers:
        noop, complete = _ms(server.noop), _ms(server.complete)
        print(
            f"[API] {server.label}: no-op GET /api/v1/me median {noop:.2f} ms"
            f" (server CPU {statistics.median(server.noop_cpu) * 1000:.2f} ms);"
            f" complete-task median {complete:.2f} ms"
            f" (server CPU {statistics.median(server.complete_cpu) * 1000:.2f} ms);"
            f" ratio {complete / noop:.2f}x"
        )


if __name__ == "__main__":
    main()
