"""Ledgers (台账): projects, behaviour records, penalties, quality accidents; Excel in and out."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.ledger import models  # noqa: F401  (Alembic sees the tables)


def init_app(app: Flask, api: Any) -> None:
    pass
