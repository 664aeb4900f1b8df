"""The timer workers' heartbeat: one row per worker process, its last pass."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.models import UTCDateTime
from webapp.extensions import db


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeat"

    #: ``host:pid`` of the worker process.
    worker: Mapped[str] = mapped_column(String(120), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
