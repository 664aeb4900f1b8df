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


def pct(samples: list[float], q: float) -> float:
    """The q-quantile of ``samples`` (seconds) in milliseconds (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else 0.0
