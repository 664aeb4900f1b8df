"""Instructions of one task completion and of one authenticated no-op, counted by callgrind.

``python -m bench.engine.callgrind`` (valgrind must be installed) prepares the demo database
once (as :mod:`bench.engine.api` does), then runs, for each side, two child processes under
``valgrind --tool=callgrind``: one sends ``GET /api/v1/me`` (the no-op), the other
``POST /api/v1/tasks/<id>/complete`` of the demo's 填报.  The child is the production app
(``wsgi:app``, configured from the environment as the API bench's server is) called as a WSGI
application with environ dicts built beforehand, so what is counted is the app's request path
alone (what waitress adds before and after is the same for both and is left out).

Counting covers only the measured requests: the child runs them inside ``functools.reduce``
and callgrind collects only within that C function (``--toggle-collect``), after a warm-up of
a few requests of each kind (imports, the spec cache, the statement caches).  Instruction
counts do not depend on the machine's load: two runs of the same code give nearly the same
figure (SQLite's fsync and the clock's reads are the rest), so a before/after needs no
interleaving.

``BENCH_API_BASELINE=<dir>`` (a checkout of another commit) counts that tree too, on a copy of
the same database.  ``BENCH_CALLGRIND_COUNT`` requests of each kind (default 20);
``BENCH_CALLGRIND_KEEP=<dir>`` keeps the callgrind output files there (``callgrind_annotate``
reads them).
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COUNT = int(os.environ.get("BENCH_CALLGRIND_COUNT") or 20)
WARM = 5


def _child(url: str, kind: str, count: int) -> None:
    """Warm up, then ``count`` requests of ``kind`` inside ``functools.reduce``."""
    import json

    from bench.engine.api import signed_in_headers, wsgi_environ
    from wsgi import app

    task_ids = json.loads(os.environ["BENCH_CALLGRIND_TASKS"])
    client = app.test_client()
    headers = signed_in_headers(client)

    def environ(task_id: int | None) -> dict:
        return wsgi_environ(headers, task_id)

    statuses: list[str] = []

    def start_response(status: str, _headers: list, _exc: object = None) -> None:
        statuses.append(status)

    def call(_: None, env: dict) -> None:
        for _chunk in app(env, start_response):
            pass

    for task_id in task_ids[:WARM]:
        call(None, environ(None))
        call(None, environ(task_id))
    measured = task_ids[WARM : WARM + count]
    envs = [environ(None if kind == "noop" else t) for t in measured]
    statuses.clear()
    profile = os.environ.get("BENCH_PROFILE")
    if profile:  # a cProfile of the same requests instead (run the child without valgrind)
        import cProfile
        import time

        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(functools.reduce, call, envs, None)
        profiler.dump_stats(profile)
    else:
        functools.reduce(call, envs, None)
    bad = [s for s in statuses if not s.startswith("200")]
    if bad or len(statuses) != count:
        raise SystemExit(f"{kind}: {len(statuses)} answers, not 200: {bad[:3]}")


def _instructions(out_file: Path) -> int:
    for line in out_file.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no total in {out_file}")


def _count(root: Path, db_file: Path, kind: str, task_ids: list[int], out: Path) -> int:
    import json

    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "HQR_DATABASE_URL": f"sqlite:///{db_file}",
        "HQR_INSTANCE_PATH": str(db_file.parent),
        "HQR_SECRET_KEY": secrets.token_hex(32),
        "HQR_REDIS_URL": "",
        "BENCH_CALLGRIND_TASKS": json.dumps(task_ids),
        # the child imports this file from this tree, the app from ``root``
        "BENCH_CALLGRIND_SELF": str(Path(__file__).resolve()),
    }
    code = (
        "import runpy, sys; sys.argv = ['callgrind', '--child', sys.argv[1], sys.argv[2],"
        " sys.argv[3]]; runpy.run_path(__import__('os').environ['BENCH_CALLGRIND_SELF'],"
        " run_name='__main__')"
    )
    command = [
        "valgrind",
        "--tool=callgrind",
        "--collect-atstart=no",
        "--toggle-collect=functools_reduce",
        f"--callgrind-out-file={out}",
        sys.executable,
        "-c",
        code,
        f"sqlite:///{db_file}",
        kind,
        str(COUNT),
    ]
    subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)
    return _instructions(out)


def main() -> None:
    from bench.engine.api import _prepare

    baseline = os.environ.get("BENCH_API_BASELINE")
    keep = os.environ.get("BENCH_CALLGRIND_KEEP")
    trees = [("this tree", ROOT)]
    if baseline:
        trees.insert(0, (f"baseline {baseline}", Path(baseline)))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["HQR_INSTANCE_PATH"] = str(tmp)
        master = tmp / "master.sqlite3"
        task_ids = _prepare(f"sqlite:///{master}", WARM + COUNT)
        results = []
        for n, (label, root) in enumerate(trees):
            counts = {}
            for kind in ("noop", "complete"):
                folder = tmp / f"{n}-{kind}"
                folder.mkdir()
                db_file = folder / "bench.sqlite3"
                shutil.copy(master, db_file)
                out = Path(keep or tmp) / f"callgrind.{n}-{kind}.out"
                counts[kind] = _count(root, db_file, kind, task_ids, out) / COUNT
            results.append((label, counts))
    for label, counts in results:
        noop, done = counts["noop"], counts["complete"]
        print(
            f"[callgrind] {label}: no-op GET /api/v1/me {noop / 1e6:.2f} M instructions;"
            f" complete-task {done / 1e6:.2f} M; ratio {done / noop:.2f}x"
            f" (mean of {COUNT} requests each)"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
