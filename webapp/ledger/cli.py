"""``flask ledger import --org CODE FILE.xlsx [--kind projects|accidents|...] [--user NAME]``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from webapp.cli import transaction
from webapp.core.errors import DomainError
from webapp.core.models import User
from webapp.core.operations import get_org
from webapp.extensions import begin_write, db, write_intent
from webapp.ledger import excel, operations
from webapp.ledger.importing import apply_import, stage_import

ledger_cli = AppGroup("ledger", help="台账 / ledgers")


def _acting_user(username: str | None, org_code: str) -> User:
    stmt = select(User).where(User.is_enabled.is_(True))
    stmt = stmt.where(User.username == (username or f"clerk_{org_code}"))
    user = db.session.execute(stmt).scalar_one_or_none()
    if user is None:
        raise click.ClickException(
            f"找不到执行导入的用户 {username or 'clerk_' + org_code}，请用 --user 指定。"
        )
    return user


@ledger_cli.command("import")
@click.option("--org", "org_code", required=True, help="导入单位代码")
@click.option("--kind", "kind_name", default="projects", show_default=True)
@click.option("--user", "username", default=None, help="执行导入的用户（默认 clerk_<单位代码>）")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(org_code: str, kind_name: str, username: str | None, path: Path) -> None:
    """Import a ledger from an .xlsx file: every row or none.

    The file is validated as a reader; only the write takes SQLite's write lock."""
    write_intent.set(False)
    try:
        kind = operations.get_kind(kind_name)
        org = get_org(org_code)
        actor = _acting_user(username, org_code)
        rows = excel.read_sheet(
            path.read_bytes(), kind, max_rows=current_app.config["LEDGER_IMPORT_MAX_ROWS"]
        )
        staged = stage_import(actor, kind, org, rows)
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(_explain_failure(err)) from err
    with transaction():
        begin_write()
        result = apply_import(actor, org, staged)
    click.echo(f"导入完成：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}")
    for w in result.warnings:
        click.echo(f"  第 {w['row']} 行提示：{'；'.join(w['warnings'])}")


def _explain_failure(err: DomainError) -> str:
    lines = [err.message]
    for p in err.details or []:
        lines.append(f"  第 {p['row']} 行 {p['column'] or ''}：{p['reason']}")
    return "\n".join(lines)


def register(app: object) -> None:
    app.cli.add_command(ledger_cli)  # type: ignore[attr-defined]


__all__ = ["ledger_cli", "register"]
