"""`flask sync compact`: retention of tombstones and per-mutation results."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from backend.common.settings import setting
from backend.sync_adapter import services

sync_cli = AppGroup("sync", help="Sync engine maintenance.")


@sync_cli.command("compact")
@click.option("--days", type=int, default=None, help="Keep this many days (default SYNC_RETENTION_DAYS).")
def compact(days: int | None) -> None:
    """Forget tombstones and mutation results older than the retention period."""
    summary = services.compact(setting("SYNC_RETENTION_DAYS") if days is None else days)
    click.echo(f"compacted: {summary}")


@sync_cli.command("store-entries")
def store_entries() -> None:
    """Store the JSON of records whose last change was logged before the log kept it."""
    click.echo(f"stored: {services.store_missing_entries()}")
