"""Application factory."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, g

from webapp.config import Config, insecure_cookies_warning
from webapp.core import messages
from webapp.extensions import csrf, db, limiter, login_manager, migrate

# Before any schema module is imported: marshmallow reads its default messages when a schema
# class is defined.
messages.install()
log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def load_secret_key(app: Flask) -> str:
    """The configured secret key, or one generated once into the instance folder."""
    if app.config.get("SECRET_KEY"):
        return str(app.config["SECRET_KEY"])
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("HQR_INSTANCE_PATH") or None)
    from webapp.core.converters import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    from webapp.core.text import StrictJSONProvider

    app.json = StrictJSONProvider(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = load_secret_key(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        db_path = Path(app.instance_path) / "hqr.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(app.config["SQLALCHEMY_DATABASE_URI"])

    from webapp.core import clock

    clock.set_timezone(app.config["TIMEZONE"])
    from webapp.core.logging import configure as configure_logging

    configure_logging()

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from webapp.extensions import configure_sqlite

            configure_sqlite(db.engine)
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    from webapp.api import HqrApi

    app.extensions["hqr_api"] = HqrApi(app)

    from webapp import headers, web

    web.init_app(app)
    headers.init_app(app)
    _register_blueprints(app)

    from webapp.cli import register_cli

    register_cli(app)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"g": g}

    # Production serving cookies that are not Secure: said at start (after the JSON log setup).
    cookie_warning = insecure_cookies_warning(app.config)
    if cookie_warning:
        log.warning(cookie_warning)
    return app


def _normalise_db_url(url: str) -> str:
    # psycopg 3 is the driver we install; accept plain postgresql:// URLs.
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://") :]
    return url


#: Feature packages: each exposes ``init_app(app, api)`` that registers its blueprints (pages and
#: API), permissions, CLI commands and navigation entry.  Add a feature by adding its name here.
FEATURES: list[str] = [
    "archive",
    "engine",
    "ledger",
    "stats",
    "assessment",
    "audit",
    "drafts",
    "reports",
    "workflow_admin",
    "publication",
    "accidents",
    "mail",
    "notifications",
    "ops",
]


def _register_blueprints(app: Flask) -> None:
    import importlib

    from webapp.admin.views import bp as admin_bp
    from webapp.api import register_api
    from webapp.auth.views import bp as auth_bp
    from webapp.main.views import bp as main_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(admin_bp)
    api = app.extensions["hqr_api"]
    register_api(api)
    for name in FEATURES:
        importlib.import_module(f"webapp.{name}").init_app(app, api)
