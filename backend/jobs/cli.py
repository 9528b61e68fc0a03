"""`flask jobs worker`: an RQ worker for the queue on REDIS_URL."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from backend.jobs import worker

jobs_cli = AppGroup("jobs", help="Background jobs (sending Web Push).")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker_command(burst: bool) -> None:
    """Work the jobs queued on REDIS_URL (run one or more beside the web processes)."""
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("set REDIS_URL: without it each web process runs its own "
                                   "jobs in a thread, and no worker is needed")
    worker.work_rq(app, burst=burst)
