"""Pushes end to end, against a push service on 127.0.0.1 that checks each message's VAPID
signature and decrypts it with the browser's key: the overdue job pushes to whoever is told,
a subscription the service no longer knows is removed, a failed send is tried again."""

from __future__ import annotations

import pytest

from backend.incidents.overdue import mark_overdue
from backend.jobs import worker
from backend.jobs.models import JobRun
from backend.push import services
from backend.push.models import PushSubscription
from tests.factories import make_user
from tests.helpers import report_fields
from tests.push_receiver import PushReceiver
from tests.sync_client import Phone

LONG_AGO = "2026-01-05T08:00:00Z"


@pytest.fixture
def receiver():
    server = PushReceiver()
    yield server
    server.close()


@pytest.fixture
def late_case(client, field_city):
    """One overdue case of w1's grid, still reported: the street's supervisor acts next."""
    phone = Phone(client, "w1")
    case_id = phone.create("reports", report_fields(reported_at=LONG_AGO))
    phone.push()
    return case_id


def _subscribe(client, login_as, user, receiver, name):
    browser = receiver.browser(name)
    response = client.post("/api/v1/push/subscriptions", json=browser.subscription(
        receiver.origin), headers=login_as(user))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _code(client, login_as, user, case_id) -> str:
    items = client.get("/api/v1/notifications", headers=login_as(user)).get_json()["items"]
    return next(item["params"]["code"] for item in items if item["subject_id"] == case_id)


def test_the_overdue_job_pushes_to_whoever_is_told(app, client, db, field_city, login_as,
                                                   late_case, receiver):
    _subscribe(client, login_as, field_city.boss, receiver, "boss-phone")
    _subscribe(client, login_as, field_city.boss, receiver, "boss-desk")
    _subscribe(client, login_as, field_city.w2, receiver, "w2")  # not told, not pushed
    mark_overdue()
    assert worker.local(app).drain()
    assert receiver.errors == []
    code = _code(client, login_as, field_city.boss, late_case)
    for name in ("boss-phone", "boss-desk"):
        [message] = receiver.messages(name)
        assert message == {"title": "案件超期", "body": f"案件 {code} 已超过处置时限。",
                           "url": f"/#/reports/{late_case}", "tag": f"case_overdue:{late_case}"}
    assert receiver.messages("w2") == []
    delivery = receiver.deliveries[0]
    assert delivery.vapid_key == services.public_key()  # signed by the server's own key
    assert delivery.claims["sub"] == app.config["VAPID_SUBJECT"]
    assert int(delivery.ttl) == app.config["PUSH_TTL_S"]
    rows = db.session.scalars(db.select(PushSubscription).where(
        PushSubscription.user_id == field_city.boss.id)).all()
    assert all(row.last_success_at and row.failures == 0 for row in rows)
    # Told once, pushed once: a second run has nobody new to tell.
    mark_overdue()
    assert worker.local(app).drain() and len(receiver.deliveries) == 2


def test_a_subscription_the_service_no_longer_knows_is_removed(app, client, db, field_city,
                                                                login_as, late_case, receiver):
    _subscribe(client, login_as, field_city.boss, receiver, "gone")
    kept = _subscribe(client, login_as, field_city.boss, receiver, "kept")
    receiver.answer("gone", 410)
    mark_overdue()
    assert worker.local(app).drain() and receiver.errors == []
    db.session.expire_all()
    assert [str(s.id) for s in db.session.scalars(db.select(PushSubscription))] == [kept]
    assert len(receiver.messages("kept")) == 1
    # Not tried again: a 410 is an answer, not a failure.
    assert len([d for d in receiver.deliveries if d.path == "/push/gone"]) == 1
    assert {r.status for r in db.session.scalars(db.select(JobRun))} == {"done"}


def test_a_failed_send_is_tried_again(app, client, db, field_city, login_as, late_case,
                                      receiver):
    _subscribe(client, login_as, field_city.boss, receiver, "flaky")
    receiver.answer("flaky", 500)
    mark_overdue()
    assert worker.local(app).drain() and receiver.errors == []
    assert [d.status for d in receiver.deliveries] == [500, 201]
    assert len(receiver.messages("flaky")) == 1
    [run] = db.session.scalars(db.select(JobRun)).all()
    assert (run.status, run.attempts) == ("done", 2) and "500" in run.last_error
    [row] = db.session.scalars(db.select(PushSubscription)).all()
    db.session.refresh(row)
    assert row.failures == 0 and row.last_success_at


def test_a_service_failing_every_time_gives_up_and_counts(app, client, db, field_city, login_as,
                                                          late_case, receiver):
    _subscribe(client, login_as, field_city.boss, receiver, "down")
    receiver.answer("down", 503, 503, 503, 503)
    mark_overdue()
    assert worker.local(app).drain()
    assert [d.status for d in receiver.deliveries] == [503, 503, 503]
    [run] = db.session.scalars(db.select(JobRun)).all()
    assert (run.status, run.attempts) == ("failed", 3)
    [row] = db.session.scalars(db.select(PushSubscription)).all()
    db.session.refresh(row)
    assert row.failures == 3


def test_a_subscription_gone_before_its_job_runs_is_skipped(app, client, db, field_city,
                                                             login_as, receiver):
    make_user("lonely")
    sub_id = _subscribe(client, login_as, "lonely", receiver, "lonely")
    user = db.session.scalars(db.select(PushSubscription)).one().user_id
    services.push_to_users([user], {"title": "t", "body": "b", "url": "/", "tag": "x"})
    db.session.execute(db.delete(PushSubscription))
    db.session.commit()
    assert worker.local(app).drain()
    assert receiver.deliveries == [] and sub_id


@pytest.mark.parametrize("kind, params, title, body", [
    ("case_overdue", {"code": "C1"}, "案件超期", "案件 C1 已超过处置时限。"),
    ("step_overdue_dispatch", {"code": "C2"}, "派遣超时", "案件 C2 的派遣环节已超时。"),
    ("followed_case_closed", {"code": "C3"}, "案件已办结", "您关注的案件 C3 已办结。"),
])
def test_notifications_are_worded_for_a_push(kind, params, title, body):
    message = services.notification_message(kind, "abc", params)
    assert (message["title"], message["body"], message["url"]) == (title, body, "/#/reports/abc")
