"""``flask workflow deploy | run-timers | worker``."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

workflow_cli = AppGroup("workflow", help="流程引擎 / workflow engine")

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "workflows"
#: Due instances one worker pass claims; a full pass is followed by the next at once.
TIMER_BATCH = 50


@workflow_cli.command("deploy")
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=DEFAULT_DIR,
    show_default=True,
    help="Directory of *.bpmn files.",
)
def deploy(directory: Path) -> None:
    """Deploy every BPMN file of a directory (a changed file becomes a new version)."""
    from webapp.cli import transaction
    from webapp.engine.definitions import deploy_definitions

    with transaction():
        results = deploy_definitions(None, directory)
    for r in results:
        state = "新版本" if r.created else "未变"
        click.echo(f"{r.definition.key:<24} 第 {r.definition.version} 版  {state}")


@workflow_cli.command("run-timers")
def run_timers_once() -> None:
    """One pass of the timer worker (fire due timers, deliver pending messages)."""
    from webapp.cli import run_and_report
    from webapp.engine.timers import run_timers

    run_and_report(
        run_timers,
        lambda counts: (
            f"定时器：处理实例 {counts['instances']}，出错 {counts['errors']}，"
            f"投递消息 {counts['messages']}"
        ),
    )


@workflow_cli.command("worker")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between passes.")
def worker(interval: float) -> None:
    """Run the timer worker until stopped (SIGINT/SIGTERM, or when its parent exits); after
    each pass it sends the queued e-mail that is due (when SMTP is configured).  Several may
    run at once on PostgreSQL (each due instance and pending message is claimed with
    ``FOR UPDATE SKIP LOCKED``); each writes a heartbeat that ``/healthz`` reads."""
    stopping = {"now": False}

    def stop(*_: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    parent = os.getppid()
    click.echo(f"流程定时器工作进程已启动（每 {interval:g} 秒一轮）")
    while not stopping["now"]:
        counts = {"instances": 0, "messages": 0}
        try:
            counts = worker_pass()
            if counts["instances"] or counts["messages"]:
                click.echo(f"处理实例 {counts['instances']}，投递消息 {counts['messages']}")
        except Exception as exc:  # keep the worker alive; the pass was rolled back
            click.echo(f"本轮出错（已回滚）：{exc}", err=True)
        _send_mail()
        if os.getppid() != parent:  # orphaned: `make run` is gone
            break
        if counts["instances"] >= TIMER_BATCH:
            continue  # a full pass: more are due (a quarter's deadline), take them at once
        deadline = time.monotonic() + interval
        while not stopping["now"] and time.monotonic() < deadline:
            time.sleep(0.2)
    click.echo("流程定时器工作进程已停止")


def worker_pass() -> dict[str, int]:
    """One pass of the timer worker, in one transaction: the due timers and messages, the
    pruning of expired one-time submission keys, the heartbeat."""
    from webapp.cli import transaction
    from webapp.core.claims import prune
    from webapp.engine.timers import run_timers
    from webapp.ops.heartbeat import beat

    with transaction():
        counts = run_timers(limit=TIMER_BATCH)
        prune()  # submission keys older than a day (an indexed DELETE, usually of nothing)
        beat()  # /healthz: this worker is alive (only when its pass committed)
    return counts


def _send_mail() -> None:
    """The mail queue, after the pass's commit (each message in its own transactions)."""
    from webapp.extensions import db
    from webapp.mail.operations import send_due

    try:
        counts = send_due()
    except Exception as exc:  # the database went away: the next pass tries again
        db.session.rollback()
        click.echo(f"发送邮件出错：{exc}", err=True)
        return
    if counts.sent or counts.failed or counts.gave_up:
        click.echo(f"邮件：发送 {counts.sent}，失败待重试 {counts.failed}，放弃 {counts.gave_up}")
