"""The side-by-side harness (bench/sidebyside) in a tiny version, so that it keeps working: a
waitress server on a scratch SQLite file, instances of the five-task process started and
completed through the API by one client and by two client processes.  The harness itself
fails when an instance is not finished after its five completions or a one-client request is
refused; no figure is asserted.  SQLite only (the harness's own temporary file).
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.reliability.server import ROOT


def test_five_task_instances_run_through_the_api() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "sidebyside"],
        cwd=ROOT,
        env={
            **os.environ,
            "BENCH_FIVE_ROUNDS": "1",
            "BENCH_FIVE_INSTANCES": "2",
            "BENCH_FIVE_NOOPS": "3",
            "BENCH_FIVE_CLIENTS": "2",
            "BENCH_FIVE_PER_CLIENT": "1",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("[five] this product:"))
    # two clients × one instance × five steps, each a completion and a next-task lookup
    assert "2 clients" in line and "of 22 requests" in line, line
