"""The script worker process: runs BPMN scripts one at a time under hard process limits.

Started by :mod:`webapp.engine.script_pool` as ``python -I -c <bootstrap> <root> <memory_mb>``;
the bootstrap makes ``webapp`` and ``webapp.engine`` bare namespaces, so this process imports only
this module, :mod:`~webapp.engine.sandbox`, :mod:`~webapp.engine.guards`,
:mod:`~webapp.engine.folding`, RestrictedPython and the standard library (never Flask, the
database or SpiffWorkflow).

Limits, none of which the script can catch or switch off:

- memory: ``RLIMIT_AS`` = the address space after start-up + ``memory_mb`` (an allocation past
  it fails with MemoryError; the worker is then replaced);
- CPU: a ``ITIMER_PROF`` timer of ``cpu_ms`` per request whose signal, SIGPROF, keeps its default
  action: the kernel terminates the process, even inside one long C operation; ``RLIMIT_CPU`` is
  a second, coarser stop (whole seconds);
- wall clock: the parent kills the process (SIGKILL) when no answer comes in time.

Protocol on stdin/stdout: after start-up the worker writes ``R``; then each request and each reply
is an 8-byte big-endian length and that many bytes of JSON.
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import struct
import sys
from typing import Any, BinaryIO

from webapp.engine import sandbox
from webapp.engine.guards import LimitExceeded, SandboxError

HEADER = struct.Struct("!Q")
#: Largest request or reply, in bytes (task data is small JSON: ids, codes, dates).
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


def memory_message(memory_mb: int) -> str:
    return f"脚本超出内存限制（{memory_mb} MB），已终止"


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _limit_memory(memory_mb: int) -> None:
    try:
        with open("/proc/self/statm") as statm:
            base = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        base = 512 * 1024 * 1024
    limit = base + memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _limit_cpu(cpu_ms: int) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used + cpu_ms / 1000) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    signal.setitimer(signal.ITIMER_PROF, cpu_ms / 1000)


def handle(request: dict[str, Any], memory_mb: int) -> bytes:
    """Run one script; the reply as JSON bytes.  The CPU timer covers the encoding too."""
    _limit_cpu(int(request["cpu_ms"]))
    try:
        data = sandbox.run_script(request["script"], request["context"], request.get("extra"))
        body = json.dumps({"ok": True, "data": data}, separators=(",", ":")).encode()
        if len(body) > MAX_MESSAGE_BYTES:
            raise LimitExceeded(f"脚本产生的数据过大（超过 {MAX_MESSAGE_BYTES // 1048576} MB）")
    except SandboxError as err:
        reply = {"ok": False, "message": err.message, "line": err.line}
        reply["limit"] = isinstance(err, LimitExceeded)
        body = json.dumps(reply).encode()
    except MemoryError:
        reply = {"ok": False, "message": memory_message(memory_mb), "limit": True, "restart": True}
        body = json.dumps(reply).encode()
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    return body


def main() -> None:
    memory_mb = int(sys.argv[2])
    # The protocol gets its own copy of stdout; fd 1 goes to /dev/null, so that nothing else
    # written there can corrupt a reply.
    out = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    inp = sys.stdin.buffer
    for stop in (signal.SIGPROF, signal.SIGXCPU):  # the kernel's stops: never handled here
        signal.signal(stop, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sandbox.run_script("warm_up = 1", {})  # RestrictedPython's first compile, paid now
    _limit_memory(memory_mb)
    _write_all(out, b"R")
    while True:
        header = _read_exact(inp, HEADER.size)
        if header is None:
            return  # the parent closed the pipe (or died): stop
        (size,) = HEADER.unpack(header)
        if size > MAX_MESSAGE_BYTES:
            return
        raw = _read_exact(inp, size)
        if raw is None:
            return
        body = handle(json.loads(raw), memory_mb)
        _write_all(out, HEADER.pack(len(body)) + body)


if __name__ == "__main__":  # pragma: no cover - started through script_pool's bootstrap
    main()
