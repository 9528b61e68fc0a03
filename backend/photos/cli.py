"""`flask photos cleanup`: remove stored images no photo record names (run daily by cron,
or by the app's job scheduler once there is one)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from backend.photos import services

photos_cli = AppGroup("photos", help="Stored photos.")


@photos_cli.command("cleanup")
@click.option("--older-than-hours", type=click.IntRange(min=1), default=24, show_default=True,
              help="Keep younger images: their record may still be on its way from a phone.")
def cleanup(older_than_hours: int) -> None:
    """Remove images that no photo record names."""
    result = services.remove_unreferenced_blobs(older_than=timedelta(hours=older_than_hours))
    click.echo(f"removed {result['removed']} unreferenced images ({result['bytes']} bytes)")
