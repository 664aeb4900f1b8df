"""``flask publication open 2026H1`` and ``flask publication schedule``."""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

from webapp.core.models import User
from webapp.periodic.cli import PeriodCommands, add_period_commands

publication_cli = AppGroup("publication", help="向社会公开 / half-yearly public reports")


def _open_period(actor: User | None, period: str) -> dict[str, int]:
    from webapp.publication.operations import open_period

    return open_period(actor, period)


def _last_ended() -> str:
    from webapp.core import clock
    from webapp.publication.periods import last_ended

    return last_ended(clock.today_local()).code


add_period_commands(
    publication_cli,
    PeriodCommands(
        open_period=_open_period,
        open_help="Start the publication flow of PERIOD (2026H1 / 2026H2) for every unit.",
        flag="--last",
        flag_help="Open the most recent half year that has ended.",
        flag_period=_last_ended,
        missing_period="请给出半年度（如 2026H1）或 --last。",
        schedule_process="publication_schedule",
        schedule_key="publication-schedule",
        schedule_help="Start the scheduler process (publication_schedule.bpmn) that opens each "
        "half year.",
        schedule_done="半年度公开调度已运行：下一个开启的半年度 {period}；"
        "公示期满记录每日自动撤下。",
        # publication_records_sweep.bpmn: the timer worker withdraws expired records daily
        also_start=(("publication_records_sweep", "publication-records-sweep"),),
    ),
)


@publication_cli.command("demo")
def demo_cmd() -> None:
    """Demo: the last half year published by the province and units with records of their own,
    records in publicity, one withdrawn after an objection, one objection waiting."""
    from webapp.cli import run_and_report
    from webapp.publication.demo import seed_publication

    run_and_report(
        seed_publication,
        lambda done: (
            f"演示公开：{done['period']} 已发布 {len(done['published'])} 份报告"
            f"（{'、'.join(done['published'])}），信用记录异议 {done['objections']} 件。"
        ),
    )


@publication_cli.command("expire-records")
def expire_records_cmd() -> None:
    """Withdraw the records whose publicity has ended on reports whose process has no records
    timer (started before the rule existed); the others are withdrawn by their BPMN timers.
    The timer worker runs the same sweep daily (publication_records_sweep.bpmn, started by
    ``flask publication schedule``): this command is only for running it at once."""
    from webapp.cli import run_and_report
    from webapp.publication.publicity import expire_untimed

    run_and_report(
        lambda: expire_untimed(None),
        lambda done: f"公示期满撤下：{done['reports']} 份报告，撤下记录 {done['withdrawn']} 条。",
    )


def register(app: Flask) -> None:
    app.cli.add_command(publication_cli)
