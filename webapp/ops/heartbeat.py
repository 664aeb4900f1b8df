"""The timer worker writes a heartbeat after each pass; ``/healthz`` reads the freshest one."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from webapp.core import clock
from webapp.extensions import db
from webapp.ops.models import WorkerHeartbeat

#: A worker silent this long is forgotten (its row deleted by the next beat of any worker).
FORGET_AFTER = timedelta(days=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def beat(worker: str | None = None) -> None:
    """Record that ``worker`` (default: this process) finished a pass, in the caller's
    transaction (a pass rolled back leaves no beat)."""
    now = clock.now()
    name = worker or worker_name()
    row = db.session.get(WorkerHeartbeat, name)
    if row is None:
        db.session.add(WorkerHeartbeat(worker=name, started_at=now, beat_at=now))
    else:
        row.beat_at = now
    db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER))
    db.session.flush()


def last_beat() -> datetime | None:
    """When the freshest worker last finished a pass (None: no worker ever did)."""
    return db.session.execute(select(func.max(WorkerHeartbeat.beat_at))).scalar()
