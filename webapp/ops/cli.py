"""``flask backup create [PATH]`` and ``flask backup restore PATH``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.core import clock
from webapp.core.errors import DomainError

backup_cli = AppGroup("backup", help="数据库备份与恢复 / database backup and restore")


@backup_cli.command("create")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def create(path: Path | None) -> None:
    """Back up the configured database (default: instance/backups/hqr-<time><suffix>)."""
    from webapp.ops import backup

    if path is None:
        stamp = clock.now().strftime("%Y%m%d-%H%M%S")
        path = Path(current_app.instance_path) / "backups" / f"hqr-{stamp}{backup.suffix()}"
    try:
        made = backup.create(path)
    except DomainError as err:
        raise click.ClickException(err.message) from err
    click.echo(f"已备份到 {made}（{made.stat().st_size} 字节）")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Replace every row of the configured database with the backup's (stop the web and
    timer processes first); then verify the audit chain."""
    from webapp.ops import backup

    if not yes:
        click.confirm(f"用 {path} 覆盖当前数据库的全部数据？", abort=True)
    try:
        result = backup.restore(path)
    except DomainError as err:
        raise click.ClickException(err.message) from err
    if result.lost:
        click.echo(f"注意：{result.lost}", err=True)
    if not result.chain_ok:
        raise click.ClickException(
            f"已恢复，但审计链校验失败：第一条不符的记录 {result.first_broken}"
        )
    click.echo(f"已恢复；审计链校验通过（{result.records} 条记录）")
