"""Five user tasks in a line, started and completed through the HTTP API of a real server.

The shape of issue 19's side-by-side comparison with another BPMN engine's server: a client in
another process (this one) starts instances of ``five_tasks.bpmn`` (``POST /api/v1/instances``)
and completes their five tasks (``POST /api/v1/tasks/<id>/complete``) on a keep-alive
connection.  The server is the production app under waitress (``--threads=8`` as ``make run``
serves it; SQLite in WAL mode with ``synchronous=FULL`` as shipped) in a child process; its CPU
time (utime + stime of the process and its children, from /proc) is read around each block.

One round of a side:

1. ``NOOP`` authenticated no-ops (``GET /api/v1/me``);
2. ``PER_ROUND`` instances started;
3. five waves, each completing the open task of every instance, then finding each instance's
   next task (``GET /api/v1/instances/<id>``: our completion answers with the completed task,
   so a client asks for the next one; an engine whose completion answers with the next task
   spends nothing here);
4. ``CLIENTS`` client processes at once, each starting ``PER_CLIENT`` instances and completing
   their tasks one instance after the other; failed requests (HTTP 5xx, 409 …) are counted and
   the instance is left.

``compare(sides)`` runs rounds of several sides interleaved (A, B, B, A …) so that the machine's
load weighs on all alike; a side is anything with ``label``, ``pids()`` and ``client(n)`` (a new
keep-alive client for client number ``n``, see ``Client``; :class:`bench.client.JsonClient` is the
HTTP of ours).  ``main()`` runs this product alone.

SQLite only (a temporary folder).  Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench.client import Failed, JsonClient, waitress

ROOT = Path(__file__).resolve().parents[2]
BPMN = Path(__file__).resolve().parent / "five_tasks.bpmn"
PROCESS_KEY = "bench_five_tasks"
PASSWORD = "Five#Bench-2026"  # noqa: S105 - the bench's own throwaway users
ORGS = ["410102", "410103", "410104", "410105"]  # one clerk each: a client's tasks are its own
STEPS = 5
ROUNDS = int(os.environ.get("BENCH_FIVE_ROUNDS") or 2)
PER_ROUND = int(os.environ.get("BENCH_FIVE_INSTANCES") or 10)
NOOP = int(os.environ.get("BENCH_FIVE_NOOPS") or 50)
CLIENTS = int(os.environ.get("BENCH_FIVE_CLIENTS") or 4)
PER_CLIENT = int(os.environ.get("BENCH_FIVE_PER_CLIENT") or 5)
TICK = os.sysconf("SC_CLK_TCK")


class Client(Protocol):
    """What the rounds need of one side's API."""

    def noop(self) -> None: ...

    def start(self, seq: int) -> Any:
        """Start an instance; answer a handle of its first open task."""

    def complete(self, task: Any) -> Any:
        """Complete the task; answer what the completion answered."""

    def following(self, task: Any, answer: Any) -> Any | None:
        """The instance's next open task after ``task`` (None: the instance ended)."""

    def close(self) -> None: ...


class Side(Protocol):
    label: str

    def pids(self) -> list[int]: ...

    def client(self, number: int) -> Client: ...


def process_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) of these processes and all their descendants."""
    total = 0.0
    seen: set[int] = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(stat[11]) + int(stat[12])) / TICK
        for thread in Path(f"/proc/{pid}/task").iterdir():
            children = (thread / "children").read_text().split()
            todo.extend(int(c) for c in children)
    return total


@dataclass
class Figures:
    """What the rounds measured of one side."""

    label: str
    noop: list[float] = field(default_factory=list)
    noop_cpu: list[float] = field(default_factory=list)
    start: list[float] = field(default_factory=list)
    start_cpu: list[float] = field(default_factory=list)
    complete: list[float] = field(default_factory=list)
    complete_cpu: list[float] = field(default_factory=list)
    follow: list[float] = field(default_factory=list)
    follow_cpu: list[float] = field(default_factory=list)
    loop_rate: list[float] = field(default_factory=list)
    loop_cpu: list[float] = field(default_factory=list)
    multi_rate: list[float] = field(default_factory=list)
    multi_cpu: list[float] = field(default_factory=list)
    multi_done: int = 0
    multi_requests: int = 0
    multi_errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    seq: int = 0


def _timed_block(side: Side, items: list[Any], call: Any, times: list[float]) -> tuple[list, float]:
    cpu0 = process_cpu(side.pids())
    answers = []
    for item in items:
        t0 = time.perf_counter()
        answers.append(call(item))
        times.append(time.perf_counter() - t0)
    return answers, process_cpu(side.pids()) - cpu0


def one_client_round(side: Side, fig: Figures) -> None:
    """No-ops, then PER_ROUND instances started and completed in five waves."""
    client = side.client(0)
    try:
        for _ in range(3):  # warm the connection
            client.noop()
        _, cpu = _timed_block(side, list(range(NOOP)), lambda _: client.noop(), fig.noop)
        fig.noop_cpu.append(cpu / NOOP)
        wall0 = time.perf_counter()
        cpu_all0 = process_cpu(side.pids())
        seqs = list(range(fig.seq, fig.seq + PER_ROUND))
        fig.seq += PER_ROUND
        tasks, cpu = _timed_block(side, seqs, client.start, fig.start)
        fig.start_cpu.append(cpu / PER_ROUND)
        done = 0
        for _ in range(STEPS):
            answers, cpu = _timed_block(side, tasks, client.complete, fig.complete)
            fig.complete_cpu.append(cpu / len(tasks))
            done += len(tasks)
            pairs = list(zip(tasks, answers, strict=True))
            nexts, cpu = _timed_block(side, pairs, lambda p: client.following(*p), fig.follow)
            fig.follow_cpu.append(cpu / len(pairs))
            tasks = [t for t in nexts if t is not None]
        assert not tasks, f"{side.label}: instances still open after {STEPS} steps"
        fig.loop_rate.append(done / (time.perf_counter() - wall0))
        fig.loop_cpu.append((process_cpu(side.pids()) - cpu_all0) / done)
    finally:
        client.close()


def _worker(side: Side, number: int, first_seq: int, out: Any) -> None:
    done = requests = errors = 0
    samples: list[str] = []
    client = side.client(number)
    for k in range(PER_CLIENT):
        try:
            requests += 1
            task = client.start(first_seq + k)
            while task is not None:
                requests += 1
                answer = client.complete(task)
                done += 1
                requests += 1
                task = client.following(task, answer)
        except (Failed, OSError, http.client.HTTPException) as err:
            errors += 1
            if len(samples) < 3:
                samples.append(str(err)[:200])
            client.close()
            client = side.client(number)
    client.close()
    out.put((done, requests, errors, samples))


def many_clients_round(side: Side, fig: Figures) -> None:
    """CLIENTS processes at once, each running PER_CLIENT instances through."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    first = fig.seq
    fig.seq += CLIENTS * PER_CLIENT
    procs = [
        ctx.Process(target=_worker, args=(side, n, first + n * PER_CLIENT, queue))
        for n in range(CLIENTS)
    ]
    cpu0 = process_cpu(side.pids())
    t0 = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - t0
    cpu = process_cpu(side.pids()) - cpu0
    for proc in procs:
        proc.join(60)
    done = sum(r[0] for r in results)
    fig.multi_done += done
    fig.multi_requests += sum(r[1] for r in results)
    fig.multi_errors += sum(r[2] for r in results)
    for r in results:
        fig.error_samples.extend(r[3])
    fig.multi_rate.append(done / wall)
    fig.multi_cpu.append(cpu / max(done, 1))


def compare(sides: list[Side], rounds: int = ROUNDS) -> dict[str, Figures]:
    """Rounds of every side interleaved: A, B in even rounds, B, A in odd ones."""
    figures = {side.label: Figures(side.label) for side in sides}
    for r in range(rounds):
        order = sides if r % 2 == 0 else list(reversed(sides))
        for side in order:
            one_client_round(side, figures[side.label])
        for side in order:
            many_clients_round(side, figures[side.label])
    return figures


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def report(figures: dict[str, Figures], rounds: int = ROUNDS) -> None:
    load = os.getloadavg()
    print(
        f"[five] {rounds} rounds: {NOOP} no-ops, {PER_ROUND} instances × {STEPS} steps, then"
        f" {CLIENTS} clients × {PER_CLIENT} instances; load average"
        f" {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    for fig in figures.values():
        rate = 1 / statistics.mean(fig.complete)
        print(
            f"[five] {fig.label}: no-op {_ms(fig.noop)} (CPU {_ms(fig.noop_cpu)});"
            f" start {_ms(fig.start)} (CPU {_ms(fig.start_cpu)});"
            f" complete median {_ms(fig.complete)}, p90"
            f" {statistics.quantiles(fig.complete, n=10)[-1] * 1000:.1f} ms"
            f" (CPU {_ms(fig.complete_cpu)}), back to back {rate:.1f}/s;"
            f" next-task lookup {_ms(fig.follow)} (CPU {_ms(fig.follow_cpu)});"
            f" 1 client whole loop {statistics.median(fig.loop_rate):.1f} completions/s"
            f" (CPU {_ms(fig.loop_cpu)} per completion);"
            f" {CLIENTS} clients {statistics.median(fig.multi_rate):.1f} completions/s"
            f" (CPU {_ms(fig.multi_cpu)} per completion),"
            f" {fig.multi_errors} failed of {fig.multi_requests} requests"
        )
        for sample in fig.error_samples[:3]:
            print(f"[five]   {fig.label} error: {sample}")


# ---------------------------------------------------------------- this product's side


def _prepare(url: str) -> None:
    """Schema, orgs, one clerk per org of ORGS, the five-task process deployed."""
    from flask_migrate import upgrade

    from bench.engine.run import _app
    from webapp.core.demo import ORGS_CSV
    from webapp.core.operations import create_user, load_orgs_csv
    from webapp.engine import deploy_bpmn
    from webapp.extensions import db, write_intent

    app = _app(url)
    with app.app_context():
        write_intent.set(True)
        upgrade()
        load_orgs_csv(ORGS_CSV)
        for code in ORGS:
            create_user(
                None,
                username=f"clerk_five_{code}",
                full_name="填表人",
                org_code=code,
                roles=["clerk"],
                password=PASSWORD,
            )
        deploy_bpmn(None, None, BPMN.read_bytes())
        db.session.commit()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


class OurClient:
    def __init__(self, port: int, token: str, org: str, prefix: str) -> None:
        self.http = JsonClient(port, token)
        self.org = org
        self.prefix = prefix

    def noop(self) -> None:
        self.http.ok("GET", "/api/v1/me")

    def start(self, seq: int) -> Any:
        body = {
            "process_key": PROCESS_KEY,
            "org_code": self.org,
            "business_key": f"{self.prefix}-{seq}",
            "data": {},
        }
        instance = self.http.ok("POST", "/api/v1/instances", body)
        return instance["current_tasks"][0]

    def complete(self, task: Any) -> Any:
        return self.http.ok("POST", f"/api/v1/tasks/{task['id']}/complete", {"outcome": "approve"})

    def following(self, task: Any, answer: Any) -> Any | None:
        instance = self.http.ok("GET", f"/api/v1/instances/{task['instance_id']}")
        current = instance["current_tasks"]
        return current[0] if current else None

    def close(self) -> None:
        self.http.close()


class OurSide:
    """This product under waitress on a fresh SQLite file in ``folder``."""

    label = "this product"

    def __init__(self, folder: Path, root: Path = ROOT, threads: int = 8) -> None:
        self.folder = folder
        self.root = root
        self.threads = threads
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.tokens: dict[str, str] = {}

    def start(self) -> None:
        db_file = self.folder / "five.sqlite3"
        instance = self.folder / "instance"
        instance.mkdir(exist_ok=True)
        os.environ["HQR_INSTANCE_PATH"] = str(instance)
        _prepare(f"sqlite:///{db_file}")
        self.process, self.port = waitress(
            self.root,
            f"sqlite:///{db_file}",
            instance,
            self.folder / "server.log",
            threads=self.threads,
            app="bench.sidebyside.wsgi:app",
        )
        for org in ORGS:
            client = JsonClient(self.port)
            try:
                self.tokens[org] = client.login(f"clerk_five_{org}", PASSWORD).token or ""
            finally:
                client.close()

    def pids(self) -> list[int]:
        assert self.process is not None
        return [self.process.pid]

    def client(self, number: int) -> OurClient:
        org = ORGS[number % len(ORGS)]
        return OurClient(self.port, self.tokens[org], org, f"five-{number}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        side = OurSide(Path(tmp))
        side.start()
        try:
            report(compare([side]))
        finally:
            side.stop()


if __name__ == "__main__":
    main()
