"""``flask accidents demo``: the demo accident going up the chain."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

accidents_cli = AppGroup("accidents", help="质量事故逐级上报")


@accidents_cli.command("demo")
def demo_cmd() -> None:
    """Demo: a 较大 accident at 中原区 reported up to the province and the Ministry, one 续报."""
    from webapp.accidents.demo import seed_accident
    from webapp.cli import transaction

    with transaction():
        created = seed_accident()
    if created:
        click.echo(
            f"演示事故已报告（编号 {created}）：市级、省级已接报，省厅已报部，续报待市级接报。"
        )


def register(app: Flask) -> None:
    app.cli.add_command(accidents_cli)
