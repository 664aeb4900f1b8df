"""Python calls of one task completion and of one authenticated no-op, as a call tree.

``python -m bench.engine.calls`` prepares the demo database (as :mod:`bench.engine.callgrind`
does), warms the app up with a few requests of each kind, then counts, with ``sys.setprofile``,
every Python function call made while the app answers ``BENCH_CALLS_COUNT`` requests of each
kind (default 10).  It prints the mean calls per request and, for the completion, the call tree
with each node's inclusive calls per request (nodes under ``BENCH_CALLS_MIN`` calls, default 15,
are folded into their parent).  Calls are deterministic, so a before/after needs no
interleaving; they track the instructions :mod:`bench.engine.callgrind` counts closely enough to
find where a request's work goes (C functions, such as the database's own work, are not counted).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

COUNT = int(os.environ.get("BENCH_CALLS_COUNT") or 10)
MIN_CALLS = float(os.environ.get("BENCH_CALLS_MIN") or 15)
DEPTH = int(os.environ.get("BENCH_CALLS_DEPTH") or 12)
WARM = 5


def _label(code: object) -> str:
    filename = code.co_filename  # type: ignore[attr-defined]
    for marker in ("site-packages/", "/webapp/", "/bench/"):
        at = filename.rfind(marker)
        if at >= 0:
            filename = filename[at + len(marker) :]
            break
    return f"{filename}:{code.co_name}"  # type: ignore[attr-defined]


class Tree:
    """Inclusive Python calls per call path."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, ...], int] = defaultdict(int)
        self.stack: list[str] = []
        self.total = 0

    def __call__(self, frame: object, event: str, _arg: object) -> None:
        if event == "call":
            self.stack.append(_label(frame.f_code))  # type: ignore[attr-defined]
            self.total += 1
            path = tuple(self.stack[:DEPTH])
            for n in range(1, len(path) + 1):
                self.counts[path[:n]] += 1
        elif event == "return" and self.stack:
            self.stack.pop()

    def print(self, per: int) -> None:
        def walk(prefix: tuple[str, ...], indent: int) -> None:
            children = [
                (path, n)
                for path, n in self.counts.items()
                if len(path) == len(prefix) + 1 and path[: len(prefix)] == prefix
            ]
            for path, n in sorted(children, key=lambda item: -item[1]):
                if n / per < MIN_CALLS:
                    continue
                print(f"{'  ' * indent}{n / per:8.1f}  {path[-1]}")
                walk(path, indent + 1)

        walk((), 0)


def main() -> None:
    """Prepare the database, then count in a child process (the app configured for it)."""
    import json
    import subprocess

    from bench.engine.api import _prepare

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["HQR_INSTANCE_PATH"] = str(tmp)
        db_file = tmp / "bench.sqlite3"
        task_ids = _prepare(f"sqlite:///{db_file}", WARM + COUNT)
        env = {
            **os.environ,
            "HQR_DATABASE_URL": f"sqlite:///{db_file}",
            "HQR_SECRET_KEY": "calls-" + "0" * 32,
            "HQR_REDIS_URL": "",
            "BENCH_CALLS_TASKS": json.dumps(task_ids),
        }
        subprocess.run([sys.executable, "-m", "bench.engine.calls", "--child"], env=env, check=True)


def _child() -> None:
    import json

    if True:
        task_ids = json.loads(os.environ["BENCH_CALLS_TASKS"])

        from bench.engine.api import signed_in_headers, wsgi_environ
        from wsgi import app

        client = app.test_client()
        headers = signed_in_headers(client)

        def environ(task_id: int | None) -> dict:
            return wsgi_environ(headers, task_id)

        statuses: list[str] = []

        def start_response(status: str, _headers: list, _exc: object = None) -> None:
            statuses.append(status)

        def call(env: dict) -> None:
            for _chunk in app(env, start_response):
                pass

        for task_id in task_ids[:WARM]:
            call(environ(None))
            call(environ(task_id))
        if os.environ.get("BENCH_CALLS_JSON"):
            _json_sizes(envs_for=lambda: [environ(t) for t in task_ids[WARM:]], call=call)
            return
        trees = {}
        for kind in ("noop", "complete"):
            envs = [environ(None if kind == "noop" else t) for t in task_ids[WARM:]]
            tree = Tree()
            statuses.clear()
            sys.setprofile(tree)
            try:
                for env in envs:
                    call(env)
            finally:
                sys.setprofile(None)
            bad = [s for s in statuses if not s.startswith("200")]
            if bad:
                raise SystemExit(f"{kind}: not 200: {bad[:3]}")
            trees[kind] = tree
        noop, done = trees["noop"].total / COUNT, trees["complete"].total / COUNT
        if os.environ.get("BENCH_CALLS_TREE", "1") != "0":
            print("--- complete-task, inclusive Python calls per request ---")
            trees["complete"].print(COUNT)
            if os.environ.get("BENCH_CALLS_NOOP"):
                print("--- no-op ---")
                trees["noop"].print(COUNT)
        print(
            f"[calls] no-op GET /api/v1/me {noop:.0f} Python calls; complete-task {done:.0f};"
            f" ratio {done / noop:.2f}x (mean of {COUNT} requests each)"
        )


def _json_sizes(envs_for: Any, call: Any) -> None:
    """``BENCH_CALLS_JSON=1``: every JSON text encoded or decoded while the completions are
    answered, by the function of ours (or the library) that asked, with its characters."""
    import json.decoder
    import json.encoder
    import traceback

    seen: dict[str, list[int]] = defaultdict(list)
    encode, decode = json.encoder.JSONEncoder.encode, json.decoder.JSONDecoder.decode

    def where() -> str:
        frames = traceback.extract_stack(limit=12)[:-2]
        for frame in reversed(frames):
            if "/json/" not in frame.filename:
                return f"{_label_of(frame.filename)}:{frame.name}"
        return "?"

    def encoding(self: Any, o: Any) -> str:
        text = encode(self, o)
        seen["dump " + where()].append(len(text))
        return text

    def decoding(self: Any, s: str, *args: Any, **kwargs: Any) -> Any:
        seen["load " + where()].append(len(s))
        return decode(self, s, *args, **kwargs)

    envs = envs_for()
    json.encoder.JSONEncoder.encode = encoding  # type: ignore[method-assign]
    json.decoder.JSONDecoder.decode = decoding  # type: ignore[method-assign]
    try:
        for env in envs:
            call(env)
    finally:
        json.encoder.JSONEncoder.encode = encode  # type: ignore[method-assign]
        json.decoder.JSONDecoder.decode = decode  # type: ignore[method-assign]
    for name, sizes in sorted(seen.items(), key=lambda item: -sum(item[1])):
        print(f"{len(sizes) / len(envs):5.1f} x {sum(sizes) / len(sizes):8.0f} chars  {name}")


def _label_of(filename: str) -> str:
    for marker in ("site-packages/", "/webapp/", "/bench/"):
        at = filename.rfind(marker)
        if at >= 0:
            return filename[at + len(marker) :]
    return filename


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child()
    else:
        main()
