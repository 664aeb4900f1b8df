"""Ledgers (台账): projects, behaviour records, penalties, quality accidents; Excel in and out."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.ledger import models  # noqa: F401  (Alembic sees the tables)


def init_app(app: Flask, api: Any) -> None:
    from webapp.ledger import api as ledger_api
    from webapp.ledger import cli, views, vocabulary
    from webapp.main.views import SECTION_ENDPOINTS

    app.register_blueprint(views.bp)
    api.register_blueprint(ledger_api.bp)
    cli.register(app)
    vocabulary.register()
    SECTION_ENDPOINTS["ledger"] = "ledger.index"
