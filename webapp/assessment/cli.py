"""``flask assessment``: load the score sheets shipped in the repository; the demo campaigns."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webapp.cli import run_and_report, transaction

assessment_cli = AppGroup("assessment", help="考核 / year-end assessments")


@assessment_cli.command("load-sheets")
def load_sheets() -> None:
    """Load webapp/assessment/sheets/*.json not yet in the database (idempotent)."""
    from webapp.assessment.operations import install_bundled_sheets

    with transaction():
        created = install_bundled_sheets(None)
        labels = [f"{s.label}{'（已启用）' if s.is_active else ''}" for s in created]
    click.echo("已载入评分表：" + ("、".join(labels) if labels else "无（均已存在）"))


@assessment_cli.command("demo")
def demo() -> None:
    """Demo campaigns relative to today: last year's 附件3 approved, this year's 附件2 ranked."""
    from webapp.assessment.demo import seed_assessments

    run_and_report(
        seed_assessments, lambda done: "演示考核：" + ("、".join(done) if done else "无需新增")
    )
