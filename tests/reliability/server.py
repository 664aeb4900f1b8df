"""The application under a real server in a child process (waitress, as ``make run`` serves it).

``python -m tests.reliability.server`` is the child: it builds the app against the tests'
database (``HQR_TEST_SERVE_DB``), optionally freezes the clock (``HQR_TEST_SERVE_NOW``, ISO) and
optionally pauses inside the report submission's service operation (``HQR_TEST_SERVE_PAUSE`` =
a marker file written once the Word document row is flushed; then the request sleeps until the
process is killed).  ``HQR_TEST_SERVE_THREADS`` sets waitress's worker threads (default 4).
It prints the port it listens on.

:func:`serving` starts one from a test and always kills it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    base: str
    process: subprocess.Popen[str]

    def kill(self) -> None:
        """SIGKILL: no handler, no teardown, no rollback by the application."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@contextlib.contextmanager
def serving_many(db_url: str, envs: list[dict[str, str]]) -> Iterator[list[Served]]:
    """Several servers started side by side (each child's env extended by one dict)."""
    servers: list[Served] = []
    try:
        for env in envs:
            log = env.get("HQR_TEST_SERVE_LOG")  # the child's stderr (its log) goes there
            with open(log or os.devnull, "w") as stderr:
                process = subprocess.Popen(
                    [sys.executable, "-m", "tests.reliability.server"],
                    cwd=ROOT,
                    env={**os.environ, "HQR_TEST_SERVE_DB": db_url, "PYTHONPATH": str(ROOT), **env},
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    text=True,
                )
            servers.append(Served("", process))
        for served in servers:
            assert served.process.stdout is not None
            line = served.process.stdout.readline()  # blocks until the port is printed
            assert line.startswith("port "), f"no server (exit {served.process.poll()})"
            served.base = f"http://127.0.0.1:{int(line.split()[1])}"
        yield servers
    finally:
        for served in servers:
            served.kill()


@contextlib.contextmanager
def serving(db_url: str, **env: str) -> Iterator[Served]:
    with serving_many(db_url, [env]) as servers:
        yield servers[0]


def wait_for(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.05)


def _install_pause(marker: str) -> None:
    """Pause the submission inside its transaction, after the document row was flushed."""
    from webapp.extensions import db
    from webapp.reports import operations

    original = operations.archive_document

    def archive_then_pause(*args: Any, **kwargs: Any) -> Any:
        doc = original(*args, **kwargs)
        db.session.flush()
        Path(marker).write_text(str(doc.id))
        time.sleep(3600)  # until SIGKILL
        return doc

    operations.archive_document = archive_then_pause


def main() -> None:
    from datetime import datetime

    import waitress

    from webapp import create_app
    from webapp.config import TestingConfig
    from webapp.core import clock

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = os.environ["HQR_TEST_SERVE_DB"]
        RATELIMIT_STORAGE_URI = os.environ.get("HQR_REDIS_URL") or "memory://"

    app = create_app(Config)
    if os.environ.get("HQR_TEST_SERVE_NOW"):
        clock.set_now(datetime.fromisoformat(os.environ["HQR_TEST_SERVE_NOW"]))
    if os.environ.get("HQR_TEST_SERVE_PAUSE"):
        _install_pause(os.environ["HQR_TEST_SERVE_PAUSE"])
    threads = int(os.environ.get("HQR_TEST_SERVE_THREADS") or 4)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
    print(f"port {server.effective_port}", flush=True)  # type: ignore[union-attr]
    server.run()


if __name__ == "__main__":
    main()
