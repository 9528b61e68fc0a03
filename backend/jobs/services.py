"""Queuing a job, and doing one (with its retries)."""

from __future__ import annotations

import logging
import time as clock
import uuid
from collections.abc import Callable

from backend.common.settings import setting
from backend.common.time import utcnow
from backend.extensions import db
from backend.jobs.models import DONE, FAILED, QUEUED, RETRYING, RUNNING, JobRun

log = logging.getLogger(__name__)
OUTBOX = "civicgrid.jobs.outbox"
# What each job name does: a function of the job's payload that commits its own work and
# raises to be tried again.
HANDLERS: dict[str, Callable[[dict], object]] = {}


def handler(name: str):
    """Register the function doing the jobs called `name`."""
    def register(function):
        HANDLERS[name] = function
        return function
    return register


def enqueue(name: str, payload: dict) -> uuid.UUID:
    """Queue a job in the caller's transaction: logged with it, released to a worker once it
    commits, and never if it rolls back."""
    if name not in HANDLERS:
        raise ValueError(f"no job called {name!r}")
    job = JobRun(id=uuid.uuid4(), name=name, payload=payload, status=QUEUED, attempts=0,
                 created_at=utcnow())
    db.session.add(job)
    db.session.info.setdefault(OUTBOX, []).append(job.id)
    return job.id


def run(job_id: uuid.UUID | str) -> str | None:
    """Do one queued job, trying again after a failure (JOB_ATTEMPTS in all, waiting longer
    each time); a log line per attempt. Returns the job's final status."""
    job_id = uuid.UUID(str(job_id))
    job = db.session.get(JobRun, job_id)
    if job is None or job.status in (DONE, FAILED):
        db.session.rollback()
        return job.status if job else None  # gone with its database, or done already
    name, payload = job.name, dict(job.payload or {})
    attempts = max(1, int(setting("JOB_ATTEMPTS")))
    backoff = float(setting("JOB_BACKOFF_S"))
    for attempt in range(1, attempts + 1):
        _mark(job_id, status=RUNNING, attempts=attempt)
        try:
            HANDLERS[name](payload)
        except Exception as error:  # the job's own failure: logged, and tried again
            db.session.rollback()
            last = attempt >= attempts
            log.warning("job %s %s: attempt %d failed%s: %r", name, job_id, attempt,
                        "" if not last else ", giving up", error)
            _mark(job_id, status=FAILED if last else RETRYING, last_error=repr(error)[:1000],
                  finished_at=utcnow() if last else None)
            if last:
                return FAILED
            clock.sleep(backoff * 4 ** (attempt - 1))
            continue
        log.info("job %s %s: attempt %d done", name, job_id, attempt)
        _mark(job_id, status=DONE, finished_at=utcnow())
        return DONE
    return FAILED


def _mark(job_id: uuid.UUID, **values) -> None:
    db.session.execute(db.update(JobRun).where(JobRun.id == job_id).values(**values))
    db.session.commit()
