"""The ``open`` and ``schedule`` commands of a periodic document's command group.

``flask reports open 2026Q4`` / ``flask publication open 2026H1`` open a period for every unit;
``flask reports schedule`` / ``flask publication schedule`` start the scheduler process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import click
from flask.cli import AppGroup

from webapp.core.models import User


@dataclass(frozen=True)
class PeriodCommands:
    """What differs between the features' commands."""

    #: ``open_period(actor, period_code)`` → counts (``opened``, ``existing``)
    open_period: Callable[[User | None, str], dict[str, int]]
    open_help: str
    #: The flag that opens the period the clock designates (``--current``, ``--last``)
    flag: str
    flag_help: str
    flag_period: Callable[[], str]
    missing_period: str
    #: The scheduler process and its fixed business key
    schedule_process: str
    schedule_key: str
    schedule_help: str
    #: Echoed after the scheduler ran, with ``{period}`` the period it waits for
    schedule_done: str
    #: Other long-running processes of the feature that ``schedule`` starts (once each):
    #: (process key, business key), e.g. a daily sweep the timer worker runs
    also_start: tuple[tuple[str, str], ...] = field(default=())


def add_period_commands(group: AppGroup, spec: PeriodCommands) -> None:
    """Add ``open [PERIOD] [--flag]`` and ``schedule`` to ``group``."""

    @group.command("open", help=spec.open_help)
    @click.argument("period", required=False)
    @click.option(spec.flag, "by_clock", is_flag=True, help=spec.flag_help)
    def open_cmd(period: str | None, by_clock: bool) -> None:
        from webapp.cli import run_and_report

        if by_clock:
            period = spec.flag_period()
        if not period:
            raise click.UsageError(spec.missing_period)
        run_and_report(
            lambda: spec.open_period(None, period),
            lambda counts: (
                f"{period}：新开启 {counts['opened']} 个单位，已开启 {counts['existing']} 个。"
            ),
        )

    @group.command("schedule", help=spec.schedule_help)
    def schedule_cmd() -> None:
        from webapp.cli import transaction
        from webapp.periodic.operations import start_scheduler

        with transaction():
            waiting = start_scheduler(spec.schedule_process, spec.schedule_key)
            for process, key in spec.also_start:
                start_scheduler(process, key)
        click.echo(spec.schedule_done.format(period=waiting))
