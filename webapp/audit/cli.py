"""``flask audit anchor``: print (or write) the chain head for safekeeping, e.g. from cron daily.

``flask audit verify --anchor FILE`` (webapp/cli.py) checks a saved anchor against the chain.
"""

from __future__ import annotations

from pathlib import Path

import click

from webapp.cli import file_option


@click.command("anchor")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="JSON, or key=value lines.",
)
@file_option(
    "--output", "-o", writable=True, help="Write the anchor to this file instead of printing it."
)
def anchor_command(fmt: str, output: Path | None) -> None:
    """Print the head of the audit chain (id, hash, time, records): keep it outside the system."""
    from webapp.audit.operations import take_anchor
    from webapp.cli import transaction

    with transaction():
        head = take_anchor(None)
    body = head.to_json() if fmt == "json" else head.to_text()
    if output is None:
        click.echo(body, nl=False)
    else:
        output.write_text(body, encoding="utf-8")
        click.echo(f"锚点已写入 {output}：记录 id={head.id}，共 {head.records} 条。", err=True)
