"""Goal 4 of issue 19: one and then two web processes on PostgreSQL, the same API workload.

The production server as ``make run-prod`` starts it (gunicorn sync workers, production
``Config``, Redis for the login limits, JSON logs) on a scratch PostgreSQL database of its own
(``hqr_scale_procs_*``, created and dropped here; see :mod:`bench.prod`).  The workload is
``bench/load``'s: ``BENCH_PROC_CLIENTS`` (default 20) API clients with bearer tokens, two clerks
per 郑州 county, looping without think time over inbox reads, report reads, ledger lists,
``/me``, task completions, narrative saves and new ledger projects.  Every round starts from
the same database (a ``CREATE DATABASE … TEMPLATE`` copy of one prepared database), so the
processes count is the only difference.  Rounds alternate 1, 2, 1, 2 (``BENCH_PROC_ROUNDS``
pairs, default 2) for ``BENCH_PROC_SECONDS`` each (default 60); printed: requests per second
per round, the server's CPU seconds per request, and the ratio of the medians (goal ≥ 1.7×).
Any 5xx fails the run.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench import prod

CLIENTS = int(os.environ.get("BENCH_PROC_CLIENTS") or 20)
SECONDS = int(os.environ.get("BENCH_PROC_SECONDS") or 60)
ROUNDS = int(os.environ.get("BENCH_PROC_ROUNDS") or 2)
PROCESSES = (1, 2)


def _prepare(url: str) -> list:
    os.environ.setdefault("BENCH_LOAD_CLIENTS", str(CLIENTS))
    from bench.load import run as load

    load.CLIENTS = CLIENTS
    return load._prepare(url)


def _round(counties: list, processes: int, label: str, tmp: Path) -> dict[str, float]:
    from bench.load import run as load
    from tests.reliability.http import HttpUser

    url = prod.create_database(f"procs_{label}", template="procs_tpl")
    try:
        with prod.production_server(url, processes, tmp / f"server-{label}.log") as server:
            users = [
                (
                    HttpUser(server.base, counties[i // 2].usernames[i % 2]).login(load.PASSWORD),
                    counties[i // 2],
                )
                for i in range(CLIENTS)
            ]
            tally = load.Tally()
            cpu0, t0 = server.cpu_seconds(), time.monotonic()
            deadline = t0 + SECONDS
            threads = [
                threading.Thread(target=load._client, args=(u, c, i, deadline, tally))
                for i, (u, c) in enumerate(users)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(SECONDS + 300)
            elapsed = time.monotonic() - t0
            cpu = server.cpu_seconds() - cpu0
            if any(c["5xx"] for c in tally.by_op.values()):
                print(server.log.read_text()[-3000:])
    finally:
        prod.drop_database(f"procs_{label}")
    done = sum(c["2xx"] + c["4xx"] for c in tally.by_op.values())
    errors = sum(c["5xx"] for c in tally.by_op.values())
    samples = tally.latencies["read"] + tally.latencies["write"]
    result = {
        "processes": processes,
        "rps": done / elapsed,
        "cpu_ms": cpu / max(done, 1) * 1000,
        "errors": errors,
        "p50": prod.pct(samples, 0.5),
        "p95": prod.pct(samples, 0.95),
        "load": os.getloadavg()[0],
    }
    print(
        f"[{label}] {processes} web process(es), {CLIENTS} clients × {SECONDS} s: "
        f"{result['rps']:.1f} requests/s, server CPU {result['cpu_ms']:.1f} ms/request, "
        f"latency median {result['p50']:.0f} ms p95 {result['p95']:.0f} ms, 5xx {errors}, "
        f"load average {result['load']:.1f}",
        flush=True,
    )
    return result


def main() -> None:
    prod.stop_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="bench-procs-") as tmp:
        os.environ["HQR_INSTANCE_PATH"] = tmp
        t0 = time.monotonic()
        tpl = prod.create_database("procs_tpl")
        try:
            counties = _prepare(tpl)
            print(f"prepared in {time.monotonic() - t0:.0f} s", flush=True)
            results = [
                _round(counties, n, f"r{r}p{n}", Path(tmp))
                for r in range(ROUNDS)
                for n in PROCESSES
            ]
        finally:
            prod.drop_database("procs_tpl")
    by = {n: [r["rps"] for r in results if r["processes"] == n] for n in PROCESSES}
    ratio = statistics.median(by[2]) / statistics.median(by[1])
    print(
        f"throughput: 1 process {statistics.median(by[1]):.1f}/s, "
        f"2 processes {statistics.median(by[2]):.1f}/s: ratio {ratio:.2f}× (goal ≥ 1.7×)"
    )
    if any(r["errors"] for r in results):
        raise SystemExit("5xx answers under load")


if __name__ == "__main__":
    main()
