"""What the production-mode benchmarks share (issue 19 goals 4–6): a scratch PostgreSQL database
of their own, created and dropped by the run, and the production server (gunicorn with N web
processes, as ``make run-prod`` starts it) in a child process group.

The scratch database's server is ``BENCH_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``, trust authentication on loopback); each run
creates ``hqr_scale_<name>`` there and drops it afterwards, never touching another database.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: A libpq URL: a SQLAlchemy one (``postgresql+psycopg://``, as the test suite's per-worker
#: databases are named) is accepted and its driver dropped, which psycopg.connect refuses.
PG_SERVER = re.sub(
    r"^postgresql\+\w+://",
    "postgresql://",
    os.environ.get("BENCH_PG_URL") or "postgresql://postgres@127.0.0.1:5432/postgres",
)
PREFIX = "hqr_scale_"
#: Appended to every scratch database's name (the smoke tests: one per test process).
SUFFIX = os.environ.get("BENCH_DB_SUFFIX", "")


def database_url(name: str) -> str:
    """The URL of scratch database ``hqr_scale_<name>`` on the bench's PostgreSQL server."""
    parts = urlsplit(PG_SERVER)
    return urlunsplit(parts._replace(path=f"/{PREFIX}{name}{SUFFIX}"))


def _admin_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(sql)


def drop_database(name: str) -> None:
    assert name.replace("_", "").isalnum(), name
    _admin_exec(f'DROP DATABASE IF EXISTS "{PREFIX}{name}{SUFFIX}" WITH (FORCE)')


def create_database(name: str, template: str | None = None) -> str:
    """A new empty ``hqr_scale_<name>`` (dropped first if a crashed run left it), or a copy of
    scratch database ``template`` (PostgreSQL copies the files: seconds, not a re-seed)."""
    drop_database(name)
    copy = f' TEMPLATE "{PREFIX}{template}{SUFFIX}"' if template else ""
    _admin_exec(f'CREATE DATABASE "{PREFIX}{name}{SUFFIX}"{copy}')
    return database_url(name)


@contextlib.contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """``hqr_scale_<name>`` for the block, dropped afterwards (unless BENCH_KEEP_DB is set)."""
    url = create_database(name)
    try:
        yield url
    finally:
        if not os.environ.get("BENCH_KEEP_DB"):
            drop_database(name)


def stop_on_sigterm() -> None:
    """SIGTERM ends the run like Ctrl+C: the servers stopped, the scratch databases dropped."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def flask(url: str, *args: str, env: dict[str, str] | None = None) -> str:
    """``flask --app wsgi <args>`` on database ``url`` (the same commands as ``make db``)."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env={**os.environ, **server_env(url), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


_SECRET = secrets.token_hex(32)


def server_env(url: str) -> dict[str, str]:
    """The production settings every process of one run shares (docs/deploy.md)."""
    instance = os.environ.get("HQR_INSTANCE_PATH") or str(ROOT / "instance")
    return {
        "HQR_DATABASE_URL": url,
        "HQR_SECRET_KEY": _SECRET,
        "HQR_INSTANCE_PATH": instance,
        # An empty BENCH_REDIS_URL keeps the login limits in each process's memory.
        "HQR_REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "HQR_RATELIMIT_KEY_PREFIX": f"bench-{os.getpid()}",
        "HQR_LOG_FORMAT": "json",
    }


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]
    log: Path

    def pids(self) -> list[int]:
        """gunicorn's master and its web processes (from /proc: no psutil needed)."""
        master = self.process.pid
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == master:
                    children.append(int(stat.parent.name))
        return [master, *children]

    def cpu_seconds(self) -> float:
        """User + system CPU of the web processes so far (clock ticks from /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / tick


@contextlib.contextmanager
def production_server(
    url: str,
    processes: int,
    log: Path,
    timer_workers: int = 0,
    env: dict[str, str] | None = None,
    app: str = "wsgi:app",
) -> Iterator[Server]:
    """gunicorn ``--workers processes`` (sync workers, as ``make run-prod``) on ``url``, plus
    ``timer_workers`` ``flask workflow worker`` processes; stopped (SIGTERM, then SIGKILL of
    the group) after the block."""
    port = free_port()
    full_env = {**os.environ, **server_env(url), **(env or {})}
    out = log.open("w")
    workers = [
        subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "workflow", "worker"],
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(timer_workers)
    ]
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(processes),
            "--bind",
            f"127.0.0.1:{port}",
            "--error-logfile",
            "-",
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            app,
        ],
        cwd=ROOT,
        env=full_env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process, workers, log)
    try:
        _wait_ready(server)
        yield server
    finally:
        for p in [process, *workers]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in [process, *workers]:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)
        out.close()


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(server.base + "/login", timeout=30):
                return
        except (urllib.error.URLError, OSError):
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: see {server.log}") from None
            time.sleep(0.3)


def _ticks(fields: list[str]) -> int:
    return int(fields[11]) + int(fields[12])  # utime + stime


#: The PostgreSQL cluster's auxiliary processes: they serve every database of the cluster.
PG_AUXILIARY = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum launcher",
    "logical replication launcher",
    "archiver",
    "stats collector",
    "startup",
)


@dataclass
class CpuSample:
    """The CPU ticks of every consumer a request crosses, at one moment (see
    :func:`cpu_sample`); ``after - before`` gives a round's CPU seconds per consumer."""

    #: pid: (consumer, utime + stime ticks); a process that started during the round counts
    #: from zero, one that ended during it is lost (its last ticks are unknown).
    per_pid: dict[int, tuple[str, int]]
    client: float
    machine_busy: float

    def __sub__(self, before: CpuSample) -> dict[str, float]:
        tick = os.sysconf("SC_CLK_TCK")
        out = dict.fromkeys(CONSUMERS, 0.0)
        for pid, (kind, ticks) in self.per_pid.items():
            old = before.per_pid.get(pid)
            out[kind] += (ticks - (old[1] if old and old[0] == kind else 0)) / tick
        out["client"] = self.client - before.client
        out["machine_busy"] = self.machine_busy - before.machine_busy
        return out


#: What :func:`cpu_sample` tells apart.
CONSUMERS = ("web", "pg", "pg_shared", "redis")


def _machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (/proc/stat: every state but idle and
    iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def _pg_kind(pid: int, database: str) -> tuple[str, str]:
    """("pg", "") for a backend on ``database``, ("pg_shared", "") for the postmaster and the
    auxiliary processes, ("parallel", leader pid) for a parallel worker, ("", "") otherwise."""
    title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    title = title.strip()
    if not title.startswith("postgres: "):
        return "pg_shared", ""  # the postmaster (its own command line)
    rest = title.split(": ", 2)[-1]
    if rest.startswith(PG_AUXILIARY):
        return "pg_shared", ""
    if rest.startswith("parallel worker for PID "):
        return "parallel", rest.split()[4]
    if f" {database} " in f" {rest} ":  # "user database host(port) state", autovacuum worker
        return "pg", ""
    return "", ""  # another database's backend: another job's work


def cpu_sample(server: Server, database: str) -> CpuSample:
    """Every CPU consumer of one request, from /proc: gunicorn's processes ("web"); the
    PostgreSQL backends connected to ``database``, with their parallel workers ("pg"); the
    cluster's postmaster and auxiliary processes (WAL writer, checkpointer, ...: shared with
    every other database on the server, so an upper bound of ours: "pg_shared"); redis-server
    (shared likewise, "redis"); this process, the benchmark's clients ("client",
    ``getrusage``); and the machine's busy time, from which what other jobs used follows."""
    import resource

    web_pids = set(server.pids())
    per_pid: dict[int, tuple[str, int]] = {}
    ours: set[int] = set()
    parallel: dict[int, tuple[str, int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        pid = int(stat.parent.name)
        with contextlib.suppress(OSError, IndexError, ValueError):
            raw = stat.read_text()
            comm = raw.split("(", 1)[1].rsplit(")", 1)[0]
            if pid in web_pids:
                kind, leader = "web", ""
            elif comm == "redis-server":
                kind, leader = "redis", ""
            elif comm == "postgres":
                kind, leader = _pg_kind(pid, database)
            else:
                continue
            ticks = _ticks(raw.rsplit(")", 1)[1].split())
            if kind == "parallel":
                parallel[pid] = (leader, ticks)
            elif kind:
                per_pid[pid] = (kind, ticks)
                if kind == "pg":
                    ours.add(pid)
    for pid, (leader, ticks) in parallel.items():
        if leader.isdigit() and int(leader) in ours:
            per_pid[pid] = ("pg", ticks)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return CpuSample(per_pid, usage.ru_utime + usage.ru_stime, _machine_busy_seconds())


def pct(samples: list[float], q: float) -> float:
    """The q-quantile of ``samples`` (seconds) in milliseconds (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else 0.0
