"""`flask hall …`: the service hall's jobs, for cron where the app's own scheduler is off."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.queue.supervision import watch

hall_cli = AppGroup("hall", help="Service hall jobs.")


@hall_cli.command("watch")
def watch_command() -> None:
    """Electronic supervision (电子监察): raise new alerts, clear ended ones (idempotent)."""
    result = watch()
    click.echo(f"{result['halls']} halls watched: {result['raised']} alerts raised, "
               f"{result['cleared']} cleared.")
