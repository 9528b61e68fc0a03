"""`flask cases …`: the case jobs, for cron where the app's own scheduler is off."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.incidents.overdue import mark_overdue

cases_cli = AppGroup("cases", help="Case jobs.")


@cases_cli.command("mark-overdue")
def mark_overdue_command() -> None:
    """Mark open cases past their deadline once and notify who acts next (idempotent)."""
    result = mark_overdue()
    click.echo(f"{result['marked']} cases marked overdue, {result['notified']} notifications.")
