"""`flask demo load`: the demo city, for `make run` and for trying the product."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from backend.demo import services

demo_cli = AppGroup("demo", help="The demo city.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds regions.")
def load(if_empty: bool) -> None:
    """Load the demo city: regions, grids and the demo accounts (DEMO_MODE=1 only)."""
    if not current_app.config.get("DEMO_MODE"):
        # Its accounts have published passwords: never in a real deployment by mistake.
        raise click.ClickException("The demo city is loaded only in demo mode (DEMO_MODE=1, "
                                   "as `make run` sets); nothing was loaded.")
    if if_empty and not services.database_is_empty():
        click.echo("demo city: database not empty, nothing loaded")
        return
    summary = services.load_demo_city()
    click.echo(f"demo city loaded: {summary}")
