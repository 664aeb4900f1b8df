"""A database of a migration test's own (an SQLite file, or a schema of the PostgreSQL test
database), migrated up to the revision before the one under test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from webapp import _normalise_db_url, create_app
from webapp.config import TestingConfig
from webapp.extensions import db


def app_at(revision: str, schema: str, tmp_path: Path) -> Iterator[Flask]:
    """Yield an app on an empty database migrated up to ``revision``; drop it afterwards."""
    url = os.environ.get("TEST_DATABASE_URL")
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url:
        engine = sa.create_engine(_normalise_db_url(url))
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        options["connect_args"] = {"options": f"-csearch_path={schema}"}
    else:
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = options

    old = create_app(Config)
    with old.app_context():
        from flask_migrate import upgrade

        upgrade(revision=revision)
    yield old
    with old.app_context():
        db.session.remove()
        for each in db.engines.values():
            each.dispose()
    if os.environ.get("TEST_DATABASE_URL"):
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def write_old_record(action: str, **details: Any) -> Any:
    """Write an audit record on a database migrated to before the chain's head (migration
    7c3e9a1b5d20), as the code of then wrote it: linked after the last record, numbered by the
    database.  Returns it (``prev_hash``, ``hash`` set)."""
    from webapp.core import audit
    from webapp.core.models import AuditRecord

    table = AuditRecord.__table__
    rec = audit.record(action, actor_name="t", **details)
    db.session.info["audit_pending"].pop()  # written here, not by the commit
    last = db.session.execute(sa.select(table.c.hash).order_by(table.c.id.desc()).limit(1))
    rec.prev_hash = last.scalar_one_or_none() or audit.GENESIS
    rec.hash = audit.compute_hash(rec.prev_hash, rec)
    values = {c.name: getattr(rec, c.name) for c in table.columns if c.name != "id"}
    db.session.execute(table.insert().values(values))
    return rec
