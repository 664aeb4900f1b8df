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

#: The fields of a backup's records (before: the trail a restore replaced; after: the restored).
BACKUP_FIELDS = {
    "file": "备份文件",
    "database": "数据库类型",
    "sha256": "文件哈希（SHA-256）",
    "chain_ok": "审计链校验通过",
    "records": "审计记录数",
    "head_id": "审计链最后一条记录编号",
    "head_hash": "审计链最后一条记录哈希",
    "records_lost": "恢复丢弃了审计记录",
}


def init_app(app: Flask, api: Any) -> None:
    from webapp.audit.vocabulary import register_actions, register_fields, register_object_types
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
    register_fields(BACKUP_FIELDS, object_type="backup")
