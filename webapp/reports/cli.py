"""``flask reports open PERIOD``: open a quarter (2026Q4) or a year (2026) for every unit."""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

from webapp.core.models import User
from webapp.periodic.cli import PeriodCommands, add_period_commands

reports_cli = AppGroup("reports", help="分析报告 / quarterly and annual reports")


def _open_period(actor: User | None, period: str) -> dict[str, int]:
    from webapp.reports.operations import open_period

    return open_period(actor, period)


def _current_period() -> str:
    from webapp.reports.deadlines import current_period_code

    return current_period_code()


add_period_commands(
    reports_cli,
    PeriodCommands(
        open_period=_open_period,
        open_help="Open PERIOD (2026Q4, or 2026 for the annual report) for every reporting unit.",
        flag="--current",
        flag_help="Open the current quarter (by the clock).",
        flag_period=_current_period,
        missing_period="请给出报告期（如 2026Q4）或 --current。",
        schedule_process="report_schedule",
        schedule_key="report-schedule",
        schedule_help="Start the scheduler process (report_schedule.bpmn) that opens each "
        "period's window.",
        schedule_done="报告期调度已运行：下一个开启的报告期 {period}。",
    ),
)


@reports_cli.command("demo-history")
def demo_history_cmd() -> None:
    """Demo: last year complete and this year's past quarters accepted, through the flow."""
    from webapp.cli import run_and_report
    from webapp.reports.demo import seed_history

    run_and_report(
        seed_history,
        lambda done: (
            f"演示历史：{'、'.join(done.periods)} 已办理，接收 {done.accepted} 份报告"
            f"（其中上级退回后重报 {done.returned} 份，逾期报送 {done.late} 份）。"
        ),
    )


def register(app: Flask) -> None:
    app.cli.add_command(reports_cli)
