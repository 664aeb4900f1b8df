"""``flask reports open PERIOD``: open a quarter (2026Q4) or a year (2026) for every unit."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

reports_cli = AppGroup("reports", help="分析报告 / quarterly and annual reports")


@reports_cli.command("open")
@click.argument("period", required=False)
@click.option("--current", is_flag=True, help="Open the current quarter (by the clock).")
def open_cmd(period: str | None, current: bool) -> None:
    """Open PERIOD (2026Q4, or 2026 for the annual report) for every reporting unit."""
    from webapp.cli import transaction
    from webapp.reports.deadlines import current_period_code
    from webapp.reports.operations import open_period

    if current:
        period = current_period_code()
    if not period:
        raise click.UsageError("请给出报告期（如 2026Q4）或 --current。")

    with transaction():
        counts = open_period(None, period)
    click.echo(f"{period}：新开启 {counts['opened']} 个单位，已开启 {counts['existing']} 个。")


@reports_cli.command("schedule")
def schedule_cmd() -> None:
    """Start the scheduler process (report_schedule.bpmn) that opens each period's window."""
    from sqlalchemy import select

    from webapp.cli import transaction
    from webapp.core.models import Org
    from webapp.core.operations import get_org
    from webapp.engine import get_or_start_instance
    from webapp.extensions import db

    with transaction():
        root = db.session.execute(select(Org).where(Org.parent_id.is_(None))).scalars().first()
        if root is None:
            raise click.ClickException("请先加载组织机构。")
        instance = get_or_start_instance(
            None, "report_schedule", get_org(root.code), "report-schedule", {}
        )
        waiting = (instance.data or {}).get("next_period")
    click.echo(f"报告期调度已运行：下一个开启的报告期 {waiting}。")


@reports_cli.command("demo-history")
def demo_history_cmd() -> None:
    """Demo: last year complete and this year's past quarters accepted, through the flow."""
    from webapp.cli import transaction
    from webapp.reports.demo import seed_history

    with transaction():
        done = seed_history()
    click.echo(
        f"演示历史：{'、'.join(done.periods)} 已办理，接收 {done.accepted} 份报告"
        f"（其中上级退回后重报 {done.returned} 份，逾期报送 {done.late} 份）。"
    )


def register(app: Flask) -> None:
    app.cli.add_command(reports_cli)
