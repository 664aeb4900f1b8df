"""``flask publication open 2026H1`` and ``flask publication schedule``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

publication_cli = AppGroup("publication", help="向社会公开 / half-yearly public reports")


@publication_cli.command("open")
@click.argument("period", required=False)
@click.option("--last", is_flag=True, help="Open the most recent half year that has ended.")
def open_cmd(period: str | None, last: bool) -> None:
    """Start the publication flow of PERIOD (2026H1 / 2026H2) for every unit."""
    from webapp.cli import transaction
    from webapp.core import clock
    from webapp.publication.operations import open_period
    from webapp.publication.periods import last_ended

    if last:
        period = last_ended(clock.today_local()).code
    if not period:
        raise click.UsageError("请给出半年度（如 2026H1）或 --last。")
    with transaction():
        counts = open_period(None, period)
    click.echo(f"{period}：新开启 {counts['opened']} 个单位，已开启 {counts['existing']} 个。")


@publication_cli.command("schedule")
def schedule_cmd() -> None:
    """Start the scheduler process (publication_schedule.bpmn) that opens each half year."""
    from sqlalchemy import select

    from webapp.cli import transaction
    from webapp.core.models import Org
    from webapp.engine import get_or_start_instance
    from webapp.extensions import db

    with transaction():
        root = db.session.execute(select(Org).where(Org.parent_id.is_(None))).scalars().first()
        if root is None:
            raise click.ClickException("请先加载组织机构。")
        instance = get_or_start_instance(
            None, "publication_schedule", root, "publication-schedule", {}
        )
        waiting = (instance.data or {}).get("next_period")
    click.echo(f"半年度公开调度已运行：下一个开启的半年度 {waiting}。")


def register(app: Flask) -> None:
    app.cli.add_command(publication_cli)
