"""A task completion through the API, in process: CPU time of one request, no server.

``python -m bench.engine.inprocess`` runs the production app's request path through Flask's
test client on a temporary SQLite file (WAL, synchronous FULL as shipped): ``GET /api/v1/me``
(the authenticated no-op) and ``POST /api/v1/tasks/<id>/complete`` of the demo's 填报, each
timed with ``time.process_time`` (the CPU of this process only: another job's load on the
machine weighs much less on it than on wall time).  Blocks of no-ops and completions alternate.

``BENCH_PROFILE=<file>`` writes a cProfile of the completions instead (``pstats`` to read).
Run the file of this tree against another checkout with ``PYTHONPATH=<checkout>``: the app is
the one on the path, so an interleaved before/after is two runs in turns.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

COUNT = int(os.environ.get("BENCH_INPROCESS_COUNT") or 120)
BLOCK = 20


def main() -> None:
    from bench.engine.api import COMPLETE_BODY, _prepare, signed_in_headers
    from bench.engine.run import _app

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["HQR_INSTANCE_PATH"] = str(tmp)
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
        task_ids = _prepare(url, COUNT + 5)
        app = _app(url)
        client = app.test_client()
        headers = signed_in_headers(client)
        body = COMPLETE_BODY

        def me() -> None:
            response = client.get("/api/v1/me", headers=headers)
            assert response.status_code == 200, response.get_json()

        def complete(task_id: int) -> None:
            response = client.post(f"/api/v1/tasks/{task_id}/complete", json=body, headers=headers)
            assert response.status_code == 200, response.get_json()

        for task_id in task_ids[:5]:  # warm up: the spec cache, the script pool, statements
            me()
            complete(task_id)
        task_ids = task_ids[5:]
        profile = os.environ.get("BENCH_PROFILE")
        if profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            for task_id in task_ids:
                complete(task_id)
            profiler.disable()
            profiler.dump_stats(profile)
            print(f"[inprocess] profile of {len(task_ids)} completions written to {profile}")
            return
        noops: list[float] = []
        completions: list[float] = []
        for start in range(0, len(task_ids), BLOCK):
            for _ in range(BLOCK):
                t0 = time.process_time()
                me()
                noops.append(time.process_time() - t0)
            for task_id in task_ids[start : start + BLOCK]:
                t0 = time.process_time()
                complete(task_id)
                completions.append(time.process_time() - t0)
    noop = statistics.median(noops) * 1000
    done = statistics.median(completions) * 1000
    load = os.getloadavg()
    print(
        f"[inprocess] {len(completions)} completions, {len(noops)} no-ops (CPU time, median):"
        f" no-op {noop:.2f} ms, complete {done:.2f} ms, ratio {done / noop:.2f}x;"
        f" load {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )


if __name__ == "__main__":
    main()
