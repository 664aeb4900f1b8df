"""Production operations (docs/deploy.md): the health check ``/healthz``, one JSON log line per
request with its request id, the timer workers' heartbeat, ``flask backup create|restore``."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.ops import models  # noqa: F401 (tables for Alembic)

ACTION_LABELS = {
    "backup.create": "创建数据库备份",
    "backup.restore": "从备份恢复数据库",
}


def init_app(app: Flask, api: Any) -> None:
    from webapp.audit.vocabulary import register_actions, register_object_types
    from webapp.ops import request_log
    from webapp.ops.cli import backup_cli
    from webapp.ops.views import bp

    app.register_blueprint(bp)
    request_log.init_app(app)
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    app.cli.add_command(backup_cli)
    register_actions(ACTION_LABELS)
    register_object_types({"backup": "数据库备份"})
