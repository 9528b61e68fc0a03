"""GET /api/v1/live through the test client, on each database's own broker (this process on
SQLite, PostgreSQL's NOTIFY on PostgreSQL): a committed case change reaches the streams of
those who may see the case and no one else's, a rolled-back one reaches nobody, and the
stream keeps to its framing, lifetime and roles."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from backend.accounts.models import User
from backend.extensions import db as _db
from backend.incidents import cases
from backend.incidents.models import Report
from backend.incidents.overdue import mark_overdue
from backend.live import services as live
from tests.factories import G3, make_department, make_user
from tests.helpers import assert_json_error, report_fields
from tests.live_client import TestClientStream, parse_events
from tests.sync_client import Phone

LONG_AGO = "2026-01-05T08:00:00Z"


@pytest.fixture
def quick(app):
    """Heartbeats every 50 ms, so that a test's read never waits long for its next chunk."""
    saved = {key: app.config[key] for key in ("LIVE_HEARTBEAT_S", "LIVE_STREAM_S")}
    app.config.update(LIVE_HEARTBEAT_S=0.05, LIVE_STREAM_S=60)
    yield app
    app.config.update(saved)


@pytest.fixture
def people(client, field_city, login_as, quick):
    """A report by w1 (D1S1C1G1), and who may or may not see it: boss (its street), admin,
    dept (once dispatched to it), w3 (the other district), clerk (may not read cases)."""
    cgj = make_department("CGJ", "城管局")
    people = SimpleNamespace(**vars(field_city), cgj=cgj,
                             dept=make_user("dept1", roles=["department"], department=cgj),
                             clerk=make_user("clerk9", roles=["clerk"]))
    people.phone = Phone(client, "w1")
    people.case_id = people.phone.create("reports", report_fields(reported_at=LONG_AGO))
    people.phone.push()
    people.headers = {name: login_as(getattr(people, name))
                      for name in ("w1", "w3", "boss", "admin", "dept", "clerk")}
    return people


def act(client, people, who: str, action: str, **fields):
    response = client.post(f"/api/v1/cases/{people.case_id}/actions", headers=people.headers[who],
                           json={"action": action, **fields})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def sentinel_for_w3(client) -> str:
    """A report by w3 in its own grid: the last event w3's stream waits for. Events reach a
    stream in commit order, so anything meant for w3 before it has arrived by then."""
    phone = Phone(client, "w3")
    case_id = phone.create("reports", report_fields(point=G3))
    phone.push()
    return case_id


def test_those_who_may_see_the_case_get_each_change_and_nobody_else(client, people):
    streams = {name: TestClientStream(client, people.headers[name])
               for name in ("boss", "admin", "dept", "w1", "w3")}
    act(client, people, "boss", "register")
    registered = streams["boss"].wait_for_case(people.case_id, "registered")
    assert set(registered) == {"id", "code", "status", "version", "overdue", "at"}
    assert registered["code"] and registered["overdue"] is True  # reported long ago
    assert streams["admin"].wait_for_case(people.case_id, "registered")["version"] == \
        registered["version"]
    # The reporter follows their report.
    streams["w1"].wait_for_case(people.case_id, "registered")
    act(client, people, "boss", "dispatch", department_id=str(people.cgj.id))
    streams["dept"].wait_for_case(people.case_id, "dispatched")
    # Before the dispatch the department could not see the case: it heard nothing of it.
    assert [e["status"] for e in streams["dept"].case_events(people.case_id)] == ["dispatched"]
    act(client, people, "dept", "handle", note="已修复")
    streams["boss"].wait_for_case(people.case_id, "handled")
    sentinel = sentinel_for_w3(client)
    streams["w3"].wait_for_case(sentinel, "reported")
    assert streams["w3"].case_events(people.case_id) == []
    # The sentinel is w3's own, outside the street: boss never hears of it.
    streams["admin"].wait_for_case(sentinel, "reported")
    streams["boss"].read_until(lambda events: len(events) >= 3)
    assert streams["boss"].case_events(sentinel) == []
    for stream in streams.values():
        stream.close()


def test_a_push_publishes_the_reports_it_created_and_moved(client, people):
    boss = TestClientStream(client, people.headers["boss"])
    new_id = people.phone.create("reports", report_fields())
    people.phone.push()
    created = boss.wait_for_case(new_id, "reported")
    assert created["code"]
    # A phone's status move (the reporter withdrawing) goes out once its push commits.
    people.phone.update("reports", new_id, {"status": "cancelled"})
    people.phone.push()
    boss.wait_for_case(new_id, "cancelled")
    boss.close()


def test_a_rolled_back_action_publishes_nothing(client, people, monkeypatch):
    w3, admin = (TestClientStream(client, people.headers[name]) for name in ("w3", "admin"))
    real = cases.publish_cases

    def publish_then_fail(case_ids):
        real(case_ids)
        raise RuntimeError("the write fails after publishing")

    monkeypatch.setattr(cases, "publish_cases", publish_then_fail)
    failed = client.post(f"/api/v1/cases/{people.case_id}/actions", headers=people.headers["boss"],
                         json={"action": "register"})
    assert_json_error(failed, 500, "internal_error")
    monkeypatch.setattr(cases, "publish_cases", real)
    assert _db.session.scalar(select(Report.status).where(
        Report.id == uuid.UUID(people.case_id))) == "reported"
    sentinel = sentinel_for_w3(client)
    admin.wait_for_case(sentinel, "reported")
    assert admin.case_events(people.case_id) == []
    # A later action on the same case goes out as usual (nothing stuck from the failed one).
    act(client, people, "boss", "register")
    assert [e["status"] for e in admin.wait_for_case(people.case_id) and
            admin.case_events(people.case_id)] == ["registered"]
    w3.close()
    admin.close()


def test_the_overdue_job_and_feedback_publish(client, people, login_as):
    boss = TestClientStream(client, people.headers["boss"])
    assert mark_overdue()["marked"] == 1
    marked = boss.wait_for_case(people.case_id, "reported")
    assert marked["overdue"] is True
    act(client, people, "boss", "cancel", note="重复")
    w1 = TestClientStream(client, people.headers["w1"])
    response = client.post(f"/api/v1/cases/{people.case_id}/feedback", headers=people.headers["w1"],
                           json={"satisfaction": "satisfied"})
    assert response.status_code == 200, response.get_json()
    versions = [e["version"] for e in w1.wait_for_case(people.case_id) and
                w1.case_events(people.case_id)]
    assert versions == [response.get_json()["version"]]
    boss.close()
    w1.close()


def test_the_stream_says_retry_beats_and_ends(client, people, app):
    app.config["LIVE_STREAM_S"] = 0.3
    stream = TestClientStream(client, people.headers["boss"])
    assert stream.first.startswith(f"retry: {app.config['LIVE_RETRY_MS']}\n")
    assert stream.response.mimetype == "text/event-stream"
    assert stream.response.headers["Cache-Control"] == "no-store"
    stream.read_until(lambda events: stream.ended)
    assert stream.events == [("end", {})]
    body = "".join([stream.first])
    assert parse_events(body)[0] == []  # the opening is a hint and a comment, no event


def test_without_a_token_401_and_a_role_that_reads_no_cases_403(client, people):
    assert_json_error(client.get("/api/v1/live"), 401, "token_missing")
    assert_json_error(client.get("/api/v1/live", headers=people.headers["clerk"]), 403,
                      "forbidden_role")


def test_stream_readers_are_the_case_readers():
    assert set(live.READERS) == set(cases.CASE_READERS)


def test_who_sees_an_event_is_who_may_get_the_case(client, people, db):
    """Viewer.may_see on each case's event agrees with visible_to, for every kind of reader."""
    act(client, people, "boss", "register")
    act(client, people, "boss", "dispatch", department_id=str(people.cgj.id))
    sentinel_for_w3(client)
    Phone(client, "w2").push()
    users = db.session.scalars(select(User)).all()
    ids = db.session.scalars(select(Report.id)).all()
    events = {event["id"]: event for event in cases.case_events(ids)}
    assert len(events) == len(ids) >= 2
    for user in users:
        visible = {str(i) for i in db.session.scalars(select(Report.id).where(
            cases.visible_to(user), Report.deleted.is_(False)))}
        viewer = live.Viewer.of(user)
        assert {i for i, event in events.items() if viewer.may_see(event)} == visible, user.username


def test_brokers_are_chosen_by_the_database_and_redis_url():
    choose = live.choose_broker
    assert choose("auto", "sqlite:///x", None) == "local"
    assert choose("auto", "sqlite:///x", "redis://127.0.0.1:6379/0") == "redis"
    assert choose("auto", "postgresql+psycopg://h/db", "redis://127.0.0.1:6379/0") == "postgresql"
    assert choose("redis", "postgresql+psycopg://h/db", "redis://127.0.0.1:6379/0") == "redis"
    for bad in (("redis", "sqlite:///x", None), ("postgresql", "sqlite:///x", None),
                ("kafka", "sqlite:///x", None)):
        with pytest.raises(RuntimeError):
            choose(*bad)
    with pytest.raises(RuntimeError):
        live.check_channel("civicgrid live; DROP")
