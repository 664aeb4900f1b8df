"""``flask mail send``: send the queued mails that are due (the worker does it after each pass)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

mail_cli = AppGroup("mail", help="邮件 / e-mail")


@mail_cli.command("send")
def send() -> None:
    """Send the due messages of the mail queue (retries with backoff; audited)."""
    from webapp.extensions import write_intent
    from webapp.mail.operations import enabled, send_due

    if not enabled():
        click.echo("未配置邮件服务器（HQR_SMTP_HOST），不发送邮件。")
        return
    write_intent.set(True)
    counts = send_due()
    click.echo(f"邮件：发送 {counts.sent}，失败待重试 {counts.failed}，放弃 {counts.gave_up}")
