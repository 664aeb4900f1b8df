"""``flask`` commands: organisations, demo data, audit verification.

Each command is one transaction: committed when it succeeds, rolled back on any error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from flask.cli import AppGroup

from webapp.core.errors import DomainError
from webapp.extensions import db, write_intent


@contextmanager
def transaction() -> Iterator[None]:
    write_intent.set(True)
    try:
        yield
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from err
    except BaseException:
        db.session.rollback()
        raise


T = TypeVar("T")


def run_and_report(operation: Callable[[], T], report: Callable[[T], str]) -> T:
    """The shape of most commands: ``operation`` in one :func:`transaction`, then the line
    ``report`` makes of its result, printed once it is committed."""
    with transaction():
        result = operation()
    click.echo(report(result))
    return result


def file_option(*decls: str, help: str, exists: bool = False, writable: bool = False) -> Any:
    """An optional option naming a file (not a directory): a Path, or None when not given."""
    return click.option(
        *decls,
        type=click.Path(exists=exists, dir_okay=False, writable=writable, path_type=Path),
        default=None,
        help=help,
    )


org_cli = AppGroup("org", help="组织机构 / organisations")
demo_cli = AppGroup("demo", help="演示数据 / demo province")
audit_cli = AppGroup("audit", help="审计日志 / audit trail")


@org_cli.command("load")
@click.argument("csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def org_load(csv_path: Path) -> None:
    """Load or update organisations from a CSV (code,name,tier,parent_code)."""
    from webapp.core.operations import load_orgs_csv

    run_and_report(
        lambda: load_orgs_csv(csv_path),
        lambda counts: (
            f"新增 {counts['created']}，更新 {counts['updated']}，未变 {counts['unchanged']}"
        ),
    )


@demo_cli.command("seed")
@click.option(
    "--password",
    envvar="DEMO_PASSWORD",
    default=None,
    help="Password of every demo user (default: DEMO_PASSWORD or the documented one).",
)
def demo_seed(password: str | None) -> None:
    """Load the demo province and its users (idempotent)."""
    from webapp.core.demo import DEFAULT_DEMO_PASSWORD, seed_demo

    password = password or DEFAULT_DEMO_PASSWORD
    run_and_report(
        lambda: seed_demo(password),
        lambda counts: (
            f"演示数据：新增单位 {counts['orgs_created']}，新增用户 {counts['users_created']}"
        ),
    )
    try:
        from webapp.ledger.demo import seed_demo_ledger
    except ImportError:  # pragma: no cover - the ledger feature is always installed
        return
    with transaction():
        projects = seed_demo_ledger()
    if projects:
        click.echo(f"演示台账：新增工程项目 {projects} 项")


@demo_cli.command("accounts")
def demo_accounts() -> None:
    """Print the demo accounts (a few per tier) and the password."""
    from webapp.core.demo import DEFAULT_DEMO_PASSWORD

    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    lines = [
        ("admin", "系统管理员（省）"),
        ("auditor", "审计员（省）"),
        ("clerk_410102", "中原区 填表人"),
        ("reviewer_410102", "中原区 审核人"),
        ("clerk_410100", "郑州市 填表人"),
        ("reviewer_410100", "郑州市 审核人"),
        ("leader_410100", "郑州市 主要领导"),
        ("clerk_410181", "巩义市（省直管）填表人"),
        ("reviewer_410000", "河南省 审核人"),
        ("leader_410000", "河南省 主要领导"),
        ("assessor_410000", "河南省 考核组成员"),
    ]
    click.echo("演示账号（用户名规则 {角色}_{单位代码}，所有账号同一密码）：")
    for username, desc in lines:
        click.echo(f"  {username:<18} {desc}")
    click.echo(f"  密码 / password: {password}")


@audit_cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@file_option(
    "--anchor",
    "anchor_path",
    exists=True,
    help="An anchor saved earlier (flask audit anchor): also prove nothing after it was cut off.",
)
def audit_verify(as_json: bool, anchor_path: Path | None) -> None:
    """Recompute the hash chain; exit 1 and name the first broken record if it does not hold."""
    from webapp.audit.anchor import parse_anchor, verify

    anchor = None
    if anchor_path is not None:
        try:
            anchor = parse_anchor(anchor_path.read_text(encoding="utf-8"))
        except DomainError as err:
            raise click.ClickException(err.message) from err
    result = verify(anchor)
    report = result.chain
    if as_json:
        body: dict[str, Any] = {
            "ok": result.ok,
            "records": report.records,
            "first_broken": report.first_broken,
        }
        if not report.ok:
            body["reason"] = report.reason
        if result.anchor is not None:
            body["anchor"] = {"ok": result.anchor.ok, "status": result.anchor.status}
        click.echo(json.dumps(body, ensure_ascii=False))
    else:
        if report.ok:
            click.echo(f"审计链完整：共 {report.records} 条记录。")
        elif report.deleted:
            click.echo(f"审计链被破坏：{report.reason}。")
        else:
            click.echo(
                f"审计链被破坏：第一条异常记录 id={report.first_broken}（{report.reason}），"
                f"之前的 {report.records - 1} 条记录完好。"
            )
        if result.anchor is not None:
            click.echo(
                ("锚点核对通过：" if result.anchor.ok else "锚点核对失败：") + result.anchor.message
            )
    if not result.ok:
        raise SystemExit(1)


#: Later features add their command groups here (workflow, ledger, stats, ...).
EXTRA_COMMANDS: list[Callable[[Flask], Any]] = []


def register_cli(app: Flask) -> None:
    for group in (org_cli, demo_cli, audit_cli):
        app.cli.add_command(group)
    for register in EXTRA_COMMANDS:
        register(app)
