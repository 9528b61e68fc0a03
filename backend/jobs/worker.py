"""Where released jobs go: an RQ queue on Redis (JOB_QUEUE "rq", or "auto" with REDIS_URL),
worked by `flask jobs worker`; else one worker thread in this process (the embedded default).
"""

from __future__ import annotations

import logging
import queue
import threading
import time as clock
import uuid

from flask import Flask, current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from backend.jobs import services

log = logging.getLogger(__name__)
_STATE = "civicgrid.jobs"


def uses_rq(app: Flask) -> bool:
    mode = app.config.get("JOB_QUEUE", "auto")
    return mode == "rq" or (mode == "auto" and bool(app.config.get("REDIS_URL")))


# -- releasing after the commit ---------------------------------------------------------

_watching = threading.Lock()
_watched: list[bool] = []


def watch_sessions() -> None:
    """Hook the session's commit and end (once per process, for every app)."""
    with _watching:
        if not _watched:
            sa_event.listen(Session, "after_commit", _after_commit)
            sa_event.listen(Session, "after_transaction_end", _after_transaction_end)
            _watched.append(True)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the transaction may still roll back
    ids = session.info.pop(services.OUTBOX, None)
    if ids:
        release(current_app._get_current_object(), ids)


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(services.OUTBOX, None)  # rolled back (a commit took them already)


def release(app: Flask, ids: list[uuid.UUID]) -> None:
    if uses_rq(app):
        try:
            rq_queue(app).enqueue_many([_rq_job(app, job_id) for job_id in ids])
            return
        except Exception:  # committed already: done here rather than lost
            log.warning("jobs: Redis unreachable, %d job(s) run in this process", len(ids),
                        exc_info=True)
    local(app).put(ids)


# -- RQ ---------------------------------------------------------------------------------

def rq_queue(app: Flask):
    from redis import Redis
    from rq import Queue

    key = ("rq", app.config["REDIS_URL"], app.config["JOB_QUEUE_NAME"])
    state = app.extensions.setdefault(_STATE, {})
    if key not in state:
        state[key] = Queue(app.config["JOB_QUEUE_NAME"],
                           connection=Redis.from_url(app.config["REDIS_URL"]))
    return state[key]


def _rq_job(app: Flask, job_id: uuid.UUID):
    from rq import Queue

    # Retries (with their waits) happen inside the run; the timeout covers all of them.
    return Queue.prepare_data(run_rq_job, args=(str(job_id),), job_id=str(job_id),
                              timeout=600, result_ttl=3600, failure_ttl=7 * 24 * 3600)


def run_rq_job(job_id: str) -> str | None:
    """What an RQ worker runs (inside the app context `flask jobs worker` holds)."""
    try:
        return services.run(job_id)
    finally:
        from backend.extensions import db

        db.session.remove()


def work_rq(app: Flask, *, burst: bool = False) -> None:
    """Work the RQ queue in this process (no fork: the app and its pools stay as they are)."""
    from rq import SimpleWorker

    queue_ = rq_queue(app)
    SimpleWorker([queue_], connection=queue_.connection).work(burst=burst)


# -- this process's worker thread -------------------------------------------------------

class LocalWorker:
    """One daemon thread doing this process's released jobs in order."""

    def __init__(self, app: Flask):
        self.app = app
        self.jobs: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="civicgrid-job-queue", daemon=True)
        self.thread.start()

    def put(self, ids) -> None:
        for job_id in ids:
            self.jobs.put(job_id)

    def _loop(self) -> None:
        while True:
            job_id = self.jobs.get()
            try:
                with self.app.app_context():
                    services.run(job_id)
            except Exception:  # the database gone, say: the next job may fare better
                log.exception("jobs: job %s not run", job_id)
            finally:
                self.jobs.task_done()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every job put here is done (tests, and a clean shutdown)."""
        deadline = clock.monotonic() + timeout
        while self.jobs.unfinished_tasks:
            if clock.monotonic() > deadline:
                return False
            clock.sleep(0.02)
        return True


_starting = threading.Lock()


def local(app: Flask) -> LocalWorker:
    state = app.extensions.setdefault(_STATE, {})
    if "local" not in state:
        with _starting:
            if "local" not in state:
                state["local"] = LocalWorker(app)
    return state["local"]


def init_app(app: Flask) -> None:
    watch_sessions()
