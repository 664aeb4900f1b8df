"""What ``/healthz`` checks: the database answers, its schema is at the migrations' head, and a
timer worker finished a pass recently (``HQR_WORKER_HEARTBEAT_SECONDS``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import inspect, text

from webapp.core import clock
from webapp.extensions import db
from webapp.ops.heartbeat import last_beat

log = logging.getLogger(__name__)

OK = "ok"


@dataclass
class Health:
    checks: dict[str, str]

    @property
    def ok(self) -> bool:
        return all(value == OK for value in self.checks.values())


def _heads() -> set[str]:
    directory = current_app.extensions["migrate"].directory
    return set(ScriptDirectory(directory).get_heads())


def _current() -> set[str]:
    """The database's Alembic revisions (read directly: alembic's MigrationContext logs two
    INFO lines per call, on every probe)."""
    inspector = inspect(db.session.connection())
    if not inspector.has_table("alembic_version"):
        return set()
    return set(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())


def check() -> Health:
    """Each check's answer: ``ok`` or a word for what is wrong (never a version)."""
    checks = {"database": OK, "migrations": "unknown", "worker": "unknown"}
    try:
        db.session.execute(text("SELECT 1"))
        checks["migrations"] = OK if _current() == _heads() else "outdated"
        beat = last_beat()
    except Exception as exc:  # noqa: BLE001 - unreachable, refused, timed out: all unhealthy
        db.session.rollback()
        log.warning("health check: database unreachable: %s", exc)
        checks["database"] = "unreachable"
        return Health(checks)
    fresh = timedelta(seconds=current_app.config["WORKER_HEARTBEAT_SECONDS"])
    if beat is None:
        checks["worker"] = "missing"
    else:
        checks["worker"] = OK if clock.now() - clock.as_utc(beat) <= fresh else "stale"
    return Health(checks)
