"""Guarantees that only real concurrent connections can show (PostgreSQL), and crashes."""

from __future__ import annotations

import threading

import psycopg
import pytest
from sqlalchemy import event, func, select, text

from backend.incidents.models import Report
from tests.factories import G3
from tests.helpers import report_fields, sessions_waiting_on_a_lock, wait_for
from tests.sync_client import Phone


def _count(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Report))


@pytest.mark.postgresql_only
def test_a_transaction_that_writes_first_but_commits_last_is_still_pulled(
        app, field_city, db):
    """Guarantee 5. T1 writes X, then waits on a lock; T2 writes Y and commits; a pull
    serves Y; T1 commits. The next pull from that cursor must bring X — a numbering
    taken at write time would have put X before the cursor and skipped it for ever."""
    w1 = Phone(app.test_client(), "w1")
    busy = w1.create("reports", report_fields())
    w1.push()
    w1.pull()
    boss = Phone(app.test_client(), "root")  # the admin sees both districts
    boss.pull()

    x = w1.create("reports", report_fields(description="written first, committed last"))
    w1.update("reports", busy, {"note": "late"})
    locker = db.engine.connect()
    held = locker.begin()
    locker.execute(text("SELECT id FROM reports WHERE id = :id FOR UPDATE"), {"id": busy})
    outcome = {}
    late = threading.Thread(target=lambda: outcome.update(body=w1.push()))
    late.start()
    try:
        wait_for(lambda: sessions_waiting_on_a_lock(db) >= 1, what="the push waiting on the lock")
        w3 = Phone(app.test_client(), "w3")
        y = w3.create("reports", report_fields(G3, description="committed first"))
        w3.push()
        first = {c["id"] for c in boss.pull()}
        assert y in first and x not in first
    finally:
        held.commit()
        locker.close()
        late.join(15)
    assert [r["status"] for r in outcome["body"]["results"]] == ["applied", "applied"]
    second = {c["id"]: c for c in boss.pull()}
    assert x in second and second[busy]["version"] == 2


@pytest.mark.postgresql_only
def test_a_retry_racing_the_original_push_applies_once(app, field_city, db):
    phone = Phone(app.test_client(), "w1")
    for _ in range(20):
        phone.create("reports", report_fields())
    batch = list(phone.outbox)
    twin = Phone(app.test_client(), "w1", client_id=phone.client_id)
    bodies = []
    threads = [threading.Thread(target=lambda p=p: bodies.append(p.push(mutations=batch)))
               for p in (phone, twin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert _count(db) == 20
    statuses = sorted({r["status"] for body in bodies for r in body["results"]})
    assert statuses == ["applied", "duplicate"]


@pytest.mark.postgresql_only
def test_case_codes_stay_unique_under_concurrent_pushes(app, field_city, db):
    phones = [Phone(app.test_client(), name) for name in ("w1", "w2", "w3", "boss")]
    for phone in phones:
        for _ in range(10):
            phone.create("reports", report_fields())
    threads = [threading.Thread(target=phone.push) for phone in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    db.session.rollback()
    codes = db.session.scalars(select(Report.code)).all()
    assert len(codes) == 40 and len(set(codes)) == 40
    assert sorted(int(code[-4:]) for code in codes) == list(range(1, 41))


def test_a_crash_between_apply_and_reply_then_a_retry_applies_once(app, client, field_city, db):
    """The connection dies at COMMIT (really killed on PostgreSQL): nothing is applied, the
    client hears nothing useful, retries, and the batch applies exactly once."""
    phone = Phone(client, "w1")
    phone.create("reports", report_fields())
    phone.create("reports", report_fields())
    crashes = []

    def crash_at_commit(conn):
        if crashes:
            return
        crashes.append(True)
        if conn.dialect.name == "postgresql":
            pid = conn.connection.dbapi_connection.info.backend_pid
            admin = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(admin, autocommit=True) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        else:
            raise ConnectionError("the worker died before committing")

    event.listen(db.engine, "commit", crash_at_commit)
    try:
        response = client.post("/api/v1/sync/push", headers=phone.headers,
                               json={"client_id": phone.client_id, "mutations": phone.outbox})
    finally:
        event.remove(db.engine, "commit", crash_at_commit)
    assert response.status_code >= 500 and "error" in response.get_json()
    assert _count(db) == 0
    body = phone.push()
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    assert phone.push(mutations=[{**m} for m in []]) is not None
    assert _count(db) == 2


@pytest.mark.postgresql_only
def test_a_move_committed_while_a_pull_reads_is_not_passed_over(app, field_city, db):
    """Guarantee 6 under concurrency. A pull reads the counter, then a push commits that
    moves a case out of w1's grid and adds another there; the pull's query of changes
    would see the new case, past the move's removal. The removal must still reach w1."""
    reporter = Phone(app.test_client(), "w2")
    moving = reporter.create("reports", report_fields())
    reporter.push()
    reporter.pull()
    w1 = Phone(app.test_client(), "w1")
    w1.pull()
    assert moving in w1.held("reports")
    lat, lon = G3
    reporter.update("reports", moving, {"lat": lat, "lon": lon})
    newcomer = reporter.create("reports", report_fields(description="committed meanwhile"))
    fired = []

    def push_meanwhile(_conn, _cursor, statement, *_args) -> None:
        if not fired and statement.lstrip().startswith("SELECT sync_changes.collection") \
                and "ORDER BY sync_changes.seq" in statement:
            fired.append(True)
            pusher = threading.Thread(target=reporter.push)
            pusher.start()
            pusher.join(15)

    event.listen(db.engine, "before_cursor_execute", push_meanwhile)
    try:
        w1.pull()
    finally:
        event.remove(db.engine, "before_cursor_execute", push_meanwhile)
    assert fired and reporter.outbox == []
    w1.pull()
    assert moving not in w1.held("reports") and newcomer in w1.held("reports")
