"""Periodic jobs inside the app, safe with several gunicorn workers: each run of a job takes
a lease row in the database first (one conditional UPDATE, or the INSERT of the first run),
so only one process runs it per period, whichever gets there first; a process that dies
lets its lease run out. Cron can run the same jobs through their CLI commands instead.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time as clock
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.time import UTCDateTime, utcnow
from backend.extensions import db

log = logging.getLogger(__name__)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


class JobLease(db.Model):
    """Who runs a periodic job until when."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


def take_lease(name: str, period: timedelta, *, holder: str = HOLDER,
               now: datetime | None = None) -> bool:
    """True when this holder may run the job now: the lease was free (expired) and is now
    ours until now + period. Commits."""
    now = now or utcnow()
    table = JobLease.__table__
    taken = db.session.execute(sa.update(table).where(
        table.c.name == name, table.c.expires_at <= now
    ).values(holder=holder, expires_at=now + period)).rowcount
    if not taken:
        try:
            with db.session.begin_nested():
                db.session.execute(sa.insert(table).values(name=name, holder=holder,
                                                           expires_at=now + period))
            taken = 1
        except IntegrityError:
            taken = 0  # someone else holds it, unexpired
    db.session.commit()
    return bool(taken)


_started = threading.Lock()
_running: set[int] = set()


def start_scheduler_once(app: Flask, jobs: dict[str, tuple[timedelta, Callable[[], object]]]) -> None:
    """Start this process's scheduler unless it runs already (a cheap check per request)."""
    if id(app) in _running:
        return
    with _started:
        if id(app) not in _running:
            _running.add(id(app))
            start_scheduler(app, jobs)


def start_scheduler(app: Flask, jobs: dict[str, tuple[timedelta, Callable[[], object]]]) -> None:
    """A daemon thread running each job once per its period, under its lease."""

    def loop() -> None:
        while True:
            for name, (period, run) in jobs.items():
                try:
                    with app.app_context():
                        if take_lease(name, period):
                            log.info("job %s: %s", name, run())
                except Exception:  # a failed run is logged; the next period tries again
                    log.exception("job %s failed", name)
                finally:
                    with app.app_context():
                        db.session.remove()
            clock.sleep(min(period.total_seconds() for period, _ in jobs.values()) / 4)

    threading.Thread(target=loop, name="civicgrid-jobs", daemon=True).start()
