"""E-mail: a queue written in the business transaction, sent after the commit.

``operations.enqueue`` adds a row in the caller's transaction (a rolled-back transaction leaves
no mail); ``operations.send_due`` sends what is due, one message per transaction, with retries
and backoff, and audits each send and failure.  The timer worker (``flask workflow worker``)
sends after each pass; ``flask mail send`` sends once.  Off unless ``HQR_SMTP_HOST`` is set
(docs/notifications.md).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.mail import models  # noqa: F401 (tables for Alembic)

ACTION_LABELS = {
    "mail.sent": "发送邮件",
    "mail.failed": "邮件发送失败（将重试）",
    "mail.gave_up": "邮件发送失败（已放弃）",
}


def init_app(app: Flask, api: Any) -> None:
    from webapp.audit.vocabulary import register_actions, register_object_types
    from webapp.mail.cli import mail_cli

    app.cli.add_command(mail_cli)
    register_actions(ACTION_LABELS)
    register_object_types({"mail_message": "邮件"})
