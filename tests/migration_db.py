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
