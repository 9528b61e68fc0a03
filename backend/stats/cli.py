"""`flask cases rebuild-rollup`: the assessment's daily roll-up counted again from the cases."""

from __future__ import annotations

import click

from backend.incidents.cli import cases_cli
from backend.stats import rollup


@cases_cli.command("rebuild-rollup")
@click.option("--if-needed", is_flag=True, help="Only when it has never been built.")
def rebuild_rollup_command(if_needed: bool) -> None:
    """Count the daily roll-up per street again from every case (idempotent; after an import
    of cases, or to check it). Upkeep by concurrent changes waits for it."""
    if if_needed and rollup.is_built():
        click.echo("The roll-up is built.")
        return
    rows = rollup.rebuild(echo=lambda line: click.echo(f"  {line}"))
    click.echo(f"Roll-up rebuilt: {rows:,} street-days.")
