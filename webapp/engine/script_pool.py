"""Script tasks run in a small pool of pre-started worker processes with hard limits.

A limit inside the web process can be outrun: a trace-function time limit is switched off by a
script that catches its exception, and one C-level operation holds the GIL of every thread.  So
each BPMN script (script task, pre-/post-script) is sent as JSON to a worker process
(:mod:`webapp.engine.script_worker`) that runs it under ``RLIMIT_AS`` and a kernel CPU timer;
the parent waits without holding the GIL and kills the worker (SIGKILL) when the wall-clock limit
passes.  A killed or crashed worker is replaced at once (the replacement starts in the background,
so the next script does not wait for it); the script's run becomes a :class:`LimitExceeded`, which
the engine turns into an incident with nothing of the half-run script saved.

The pool is per process (a fork starts a new one), safe to share between the web server's
threads, and started on first use: ``workers`` processes (setting ``HQR_SCRIPT_WORKERS``), reused
across calls, so a completion never pays a process start.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webapp.engine.guards import LimitExceeded, SandboxError
from webapp.engine.script_worker import HEADER, MAX_MESSAGE_BYTES

ROOT = Path(__file__).resolve().parents[2]
#: How long a new worker may take to start (import RestrictedPython) before it counts as broken.
STARTUP_SECONDS = 30.0

# Import only what the worker needs: ``webapp`` and ``webapp.engine`` become bare namespaces, so
# their __init__ (Flask, SQLAlchemy, SpiffWorkflow) never runs in the worker.
_BOOTSTRAP = """
import sys, types
root = sys.argv[1]
for name, path in (("webapp", root + "/webapp"), ("webapp.engine", root + "/webapp/engine")):
    module = types.ModuleType(name)
    module.__path__ = [path]
    sys.modules[name] = module
from webapp.engine.script_worker import main
main()
"""


@dataclass(frozen=True)
class ScriptLimits:
    """The limits of one script run (settings ``HQR_SCRIPT_CPU_MS``, ``HQR_SCRIPT_MEMORY_MB``,
    ``HQR_SCRIPT_WALL_MS``, ``HQR_SCRIPT_WORKERS``)."""

    cpu_ms: int = 100
    memory_mb: int = 128
    wall_ms: int = 2000
    workers: int = 2


class _Lost(Exception):
    """The worker did not answer: timed out, died, or sent something unreadable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Worker:
    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.ready = False
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-I", "-c", _BOOTSTRAP, str(ROOT), str(memory_mb)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            close_fds=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin = self.proc.stdin.fileno()
        self.stdout = self.proc.stdout.fileno()
        self.poller = select.poll()
        self.poller.register(self.stdout, select.POLLIN | select.POLLHUP | select.POLLERR)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def started(self) -> bool:
        """Whether the worker has finished starting (without waiting for it)."""
        if not self.ready and self.poller.poll(0):
            self.ready = os.read(self.stdout, 1) == b"R"
        return self.ready

    def _read(self, size: int, deadline: float) -> bytes:
        chunks = []
        while size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.poller.poll(remaining * 1000):
                raise TimeoutError
            chunk = os.read(self.stdout, min(size, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def call(self, payload: bytes, wall_seconds: float) -> dict[str, Any]:
        """Send one request and wait for the reply; raises TimeoutError or EOFError."""
        if not self.ready:
            # The worker's start-up is not the script's time: wait for it separately.
            if self._read(1, time.monotonic() + STARTUP_SECONDS) != b"R":
                raise EOFError
            self.ready = True
        data = memoryview(HEADER.pack(len(payload)) + payload)
        try:
            while data:
                data = data[os.write(self.stdin, data) :]
        except BrokenPipeError as exc:
            raise EOFError from exc
        deadline = time.monotonic() + wall_seconds
        (size,) = HEADER.unpack(self._read(HEADER.size, deadline))
        if size > MAX_MESSAGE_BYTES + 1024:
            raise EOFError
        return json.loads(self._read(size, deadline))

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


def _death_message(returncode: int | None, limits: ScriptLimits) -> str:
    if returncode in (-signal.SIGPROF, -signal.SIGXCPU):
        return f"脚本运行超过 CPU 时间限制（{limits.cpu_ms} 毫秒），已被终止"
    if returncode == -signal.SIGKILL:
        return "脚本进程被系统终止（可能超出内存限制），已放弃本次执行"
    return f"脚本进程异常退出（返回码 {returncode}），已放弃本次执行"


class ScriptPool:
    """Worker processes shared by the threads of one process."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._idle: list[_Worker] = []
        self._count = 0  # workers alive, idle or busy
        self._cond = threading.Condition()
        #: Workers killed or lost so far (read by tests and logs).
        self.killed = 0

    def _spawn(self, memory_mb: int) -> _Worker:
        try:
            return _Worker(memory_mb)
        except OSError as exc:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise SandboxError(f"无法启动脚本进程：{exc}") from exc

    def start(self, limits: ScriptLimits) -> None:
        """Start the missing workers (in the background: their start-up runs in parallel)."""
        with self._cond:
            while self._count < limits.workers:
                self._count += 1
                self._idle.append(self._spawn(limits.memory_mb))

    def _acquire(self, limits: ScriptLimits) -> _Worker:
        deadline = time.monotonic() + limits.wall_ms / 1000 * (limits.workers + 1) + STARTUP_SECONDS
        self.start(limits)
        with self._cond:
            while not self._idle:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._cond.wait(remaining):
                    raise LimitExceeded("脚本进程都在忙，请稍后重试")
            # A worker that has finished starting first (a replacement may still be starting).
            ready = [w for w in self._idle if w.started()]
            worker = ready[-1] if ready else self._idle[-1]
            self._idle.remove(worker)
        if worker.memory_mb != limits.memory_mb or not worker.alive():
            worker.kill()
            worker = self._spawn(limits.memory_mb)
        return worker

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            self._idle.append(worker)
            self._cond.notify()

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._cond:
            self.killed += 1
        self._release(self._spawn(worker.memory_mb))

    def run(self, payload: bytes, limits: ScriptLimits) -> dict[str, Any]:
        worker = self._acquire(limits)
        try:
            reply = worker.call(payload, limits.wall_ms / 1000)
        except TimeoutError:
            self._replace(worker)
            raise LimitExceeded(
                f"脚本运行超过时间限制（{limits.wall_ms} 毫秒），已被终止"
            ) from None
        except (EOFError, ValueError):
            worker.proc.poll()
            if worker.alive():
                worker.proc.kill()
            worker.proc.wait()
            message = _death_message(worker.proc.returncode, limits)
            self._replace(worker)
            raise LimitExceeded(message) from None
        except BaseException:
            self._replace(worker)
            raise
        if reply.get("restart"):
            self._replace(worker)
        else:
            self._release(worker)
        return reply

    def pids(self) -> list[int]:
        with self._cond:
            return [w.pid for w in self._idle]

    def close(self) -> None:
        if os.getpid() != self.pid:
            return  # a forked child must not touch its parent's workers
        with self._cond:
            workers, self._idle = self._idle, []
            self._count -= len(workers)
        for worker in workers:
            worker.kill()


_pool: ScriptPool | None = None
_pool_lock = threading.Lock()


def pool() -> ScriptPool:
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = ScriptPool()
        return _pool


@atexit.register
def _close_pool() -> None:
    if _pool is not None:
        _pool.close()


def execute(
    script: str, context: dict[str, Any], extra: dict[str, Any] | None, limits: ScriptLimits
) -> None:
    """Run ``script`` over ``context`` in a worker; update ``context`` only on success."""
    try:
        payload = json.dumps(
            {"script": script, "context": context, "extra": extra or {}, "cpu_ms": limits.cpu_ms},
            separators=(",", ":"),
        ).encode()
    except (TypeError, ValueError) as exc:
        raise SandboxError(f"任务数据中有无法交给脚本的值（只允许 JSON 值）：{exc}") from exc
    if len(payload) > MAX_MESSAGE_BYTES:
        raise LimitExceeded(f"任务数据过大（超过 {MAX_MESSAGE_BYTES // 1048576} MB），无法运行脚本")
    reply = pool().run(payload, limits)
    if not reply.get("ok"):
        error = LimitExceeded if reply.get("limit") else SandboxError
        raise error(str(reply.get("message")), line=reply.get("line"))
    context.clear()
    context.update(reply["data"])
