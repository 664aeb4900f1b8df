"""``flask stats table5 --org CODE --period P [--json]`` (likewise table1–table7) and
``flask stats freeze --org CODE --period P --kind quarterly``."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import AppGroup

from webapp.stats import compute, registry

stats_cli = AppGroup("stats", help="统计 / statistics (附表1–7)")


def _print_table(table: dict[str, Any]) -> None:
    click.echo(f"附表{table['table']} {table['org_name']} {table['period_label']}")
    if registry.table(table["table"]).shape == registry.SUMMARY:
        click.echo("单位\t接转\t新注册\t在建\t竣工\t备案\t备案率%\t满意率%")
        for row in [*table["rows"], table["total"]]:
            figures = [
                f"{row[g]['count']}/{row[g]['area_10k_m2']}/{row[g]['cost_10k_yuan']}"
                for g in ("carried_over", "registered", "under_construction", "completed", "filed")
            ]
            rate = row["filing_rate"]["count_pct"] or "—"
            click.echo("\t".join([row["org_name"], *figures, rate, row["satisfaction_pct"] or "—"]))
    else:
        click.echo(json.dumps(table["rows"], ensure_ascii=False, indent=1))
    for check in table.get("checks", []):
        click.echo(f"[{check['severity']}] {check['id']}: {check['message']}")


def _table_command(n: int) -> None:
    @stats_cli.command(f"table{n}")
    @click.option("--org", "org_code", required=True)
    @click.option("--period", required=True, help="2026Q3 或 2026")
    @click.option("--json", "as_json", is_flag=True, help="Print the JSON of the API.")
    def command(org_code: str, period: str, as_json: bool) -> None:
        try:
            table = compute.table_with_checks(n, org_code, period)
        except compute.DomainError as err:
            raise click.ClickException(err.message) from err
        if as_json:
            click.echo(json.dumps(table, ensure_ascii=False, indent=2))
        else:
            _print_table(table)

    command.__doc__ = f"附表{n} of an org and period."


for _n in registry.TABLES:
    _table_command(_n)


@stats_cli.command("freeze")
@click.option("--org", "org_code", required=True)
@click.option("--period", required=True)
@click.option("--kind", type=click.Choice(["quarterly", "annual"]), default="quarterly")
def freeze(org_code: str, period: str, kind: str) -> None:
    """Print the snapshot a report would store (JSON)."""
    try:
        snapshot = compute.freeze_tables(org_code, period, kind)
    except compute.DomainError as err:
        raise click.ClickException(err.message) from err
    click.echo(json.dumps(snapshot, ensure_ascii=False, indent=2))


def register(app: Any) -> None:
    app.cli.add_command(stats_cli)
