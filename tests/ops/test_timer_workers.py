"""Several timer workers at once (issue 19): each due timer fires exactly once, whichever worker
takes it (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite queues its writers), and each worker
writes the heartbeat that /healthz reads.

The workers are real ``flask workflow worker`` processes against the tests' database; the
instances' timers were armed two days ago (frozen clock at start), so they are due now.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import func, select

from tests.reliability.server import ROOT
from webapp.core import clock
from webapp.core.models import AuditRecord
from webapp.engine import run_timers
from webapp.engine.models import ProcessInstance
from webapp.extensions import db, write_intent
from webapp.ops.models import WorkerHeartbeat

INSTANCES = 12


def _arm(start, n: int) -> datetime:
    now = datetime.now(clock.UTC)
    clock.set_now(now - timedelta(days=2))  # the one-day reminders are due since yesterday
    ids = [start("timers", "410102", business_key=f"timers:{i}").id for i in range(n)]
    clock.set_now(None)
    assert len(ids) == n
    return now


def _fired_per_instance() -> dict[str, int]:
    db.session.commit()  # a new snapshot: see what the workers committed
    rows = db.session.execute(
        select(AuditRecord.object_id, func.count())
        .where(AuditRecord.action == "workflow.timer")
        .group_by(AuditRecord.object_id)
    ).all()
    return {object_id: count for object_id, count in rows}


def _worker(app, log_path) -> subprocess.Popen:
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "HQR_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HQR_INSTANCE_PATH": app.instance_path,
        "PYTHONPATH": str(ROOT),
    }
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "workflow", "worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def test_two_worker_processes_fire_each_timer_once_and_beat(app, start, tmp_path):
    _arm(start, INSTANCES)
    workers = [_worker(app, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        deadline = time.monotonic() + 120  # a bound on waiting, not a timing assertion
        while time.monotonic() < deadline:
            fired = _fired_per_instance()
            beats = db.session.execute(select(func.count()).select_from(WorkerHeartbeat)).scalar()
            if len(fired) == INSTANCES and beats == 2:
                break
            time.sleep(0.2)
        time.sleep(1)  # a few more passes of both workers: nothing may fire again
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            process.wait(timeout=60)
    logs = "\n".join(p.read_text() for p in sorted(tmp_path.glob("worker*.log")))
    fired = _fired_per_instance()
    assert len(fired) == INSTANCES, logs
    assert set(fired.values()) == {1}, fired
    assert "本轮出错" not in logs
    # No worker even tried an instance another held (that would be a version conflict, caught
    # but logged): the due instances were claimed.
    assert "timer pass skipped" not in logs, logs
    names = db.session.execute(select(WorkerHeartbeat.worker)).scalars().all()
    assert len(names) == 2
    states = db.session.execute(select(ProcessInstance.state)).scalars().all()
    assert states == ["running"] * INSTANCES


def test_concurrent_passes_in_small_batches_never_fire_twice(app, start):
    """Many short passes of two workers interleave over the same due instances."""
    now = _arm(start, INSTANCES)
    barrier = threading.Barrier(2)

    def worker(_: int) -> int:
        passes = 0
        with app.app_context():
            barrier.wait()
            while passes < INSTANCES:
                write_intent.set(True)
                counts = run_timers(now, limit=2)
                db.session.commit()
                passes += 1
                if counts["instances"] == 0:
                    break
            db.session.remove()
        return passes

    with ThreadPoolExecutor(2) as pool:
        passes = list(pool.map(worker, range(2)))  # a worker's exception is raised here
    assert sum(passes) >= INSTANCES // 2
    fired = _fired_per_instance()
    assert len(fired) == INSTANCES and set(fired.values()) == {1}, fired
