"""The job queue: a job leaves its transaction only when it commits, is done by this
process's worker thread (or an RQ worker on Redis), tried again after a failure, and logged."""

from __future__ import annotations

import logging
import uuid

import pytest

from backend.jobs import services, worker
from backend.jobs.models import JobRun
from tests.factories import make_user

DONE: list[dict] = []
FAIL_FIRST: dict[str, int] = {}


@services.handler("test.record")
def _record(payload: dict) -> None:
    left = FAIL_FIRST.get(payload["key"], 0)
    if left:
        FAIL_FIRST[payload["key"]] = left - 1
        raise RuntimeError("not yet")
    DONE.append(payload)


@pytest.fixture(autouse=True)
def _clean():
    DONE.clear()
    FAIL_FIRST.clear()
    yield


def _runs(db) -> list[JobRun]:
    db.session.expire_all()
    return db.session.scalars(db.select(JobRun).order_by(JobRun.created_at)).all()


def test_a_job_runs_after_its_transaction_commits_and_never_for_a_rollback(app, db):
    make_user("someone")  # a write in the same transaction, to show they go together
    services.enqueue("test.record", {"key": "kept"})
    services.enqueue("test.record", {"key": "kept-too"})
    assert worker.local(app).drain()
    assert DONE == []  # not before the commit
    db.session.commit()
    assert worker.local(app).drain()
    assert sorted(p["key"] for p in DONE) == ["kept", "kept-too"]
    assert {(r.status, r.attempts) for r in _runs(db)} == {("done", 1)}

    services.enqueue("test.record", {"key": "rolled-back"})
    db.session.rollback()
    db.session.commit()  # a later commit does not release it either
    assert worker.local(app).drain()
    assert len(DONE) == 2
    assert len(_runs(db)) == 2  # nor is it logged


def test_a_savepoint_does_not_release_a_job(app, db):
    with db.session.begin_nested():
        services.enqueue("test.record", {"key": "inner"})
    assert worker.local(app).drain() and DONE == []
    db.session.commit()
    assert worker.local(app).drain() and [p["key"] for p in DONE] == ["inner"]


def test_a_failing_job_is_tried_again_and_each_attempt_logged(app, db, caplog):
    FAIL_FIRST["twice"] = 2
    FAIL_FIRST["always"] = 99
    services.enqueue("test.record", {"key": "twice"})
    services.enqueue("test.record", {"key": "always"})
    with caplog.at_level(logging.INFO, logger="backend.jobs.services"):
        db.session.commit()
        assert worker.local(app).drain()
    assert [p["key"] for p in DONE] == ["twice"]
    runs = {r.payload["key"]: r for r in _runs(db)}
    assert (runs["twice"].status, runs["twice"].attempts) == ("done", 3)
    assert (runs["always"].status, runs["always"].attempts) == ("failed", 3)
    assert "not yet" in runs["always"].last_error and runs["always"].finished_at
    lines = [r.getMessage() for r in caplog.records]
    assert sum("attempt" in line and "twice" in line for line in lines) == 0  # ids, not keys
    assert sum(f"{runs['always'].id}: attempt" in line for line in lines) == 3
    assert any(f"{runs['twice'].id}: attempt 3 done" in line for line in lines)


def test_an_unknown_job_is_refused_at_once(db):
    with pytest.raises(ValueError):
        services.enqueue("no.such.job", {})


@pytest.fixture
def redis_queue(app, monkeypatch):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    monkeypatch.setitem(app.config, "JOB_QUEUE", "rq")
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setitem(app.config, "JOB_QUEUE_NAME", f"civicgrid-test-{uuid.uuid4().hex[:8]}")
    yield
    with app.app_context():
        queue = worker.rq_queue(app)
        queue.empty()
        queue.delete(delete_jobs=True)


def test_with_redis_an_rq_worker_does_the_jobs(app, db, redis_queue):
    FAIL_FIRST["once"] = 1
    services.enqueue("test.record", {"key": "once"})
    services.enqueue("test.record", {"key": "plain"})
    db.session.commit()
    services.enqueue("test.record", {"key": "never"})
    db.session.rollback()
    assert worker.local(app).drain() and DONE == []  # on Redis, not in this process
    assert worker.rq_queue(app).count == 2
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert sorted(p["key"] for p in DONE) == ["once", "plain"]
    assert worker.rq_queue(app).count == 0
    runs = {r.payload["key"]: (r.status, r.attempts) for r in _runs(db)}
    assert runs == {"once": ("done", 2), "plain": ("done", 1)}


def test_the_worker_command_needs_redis(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output
