"""Rating a finished ticket (好差评) and the hall's follow-up of a bad one (差评整改): once per
done ticket, by its holder only; a bad score tells the hall's managers, who record what was
done, and the citizen reads it on their ticket."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.common.time import utcnow
from backend.live import services as live
from backend.live.services import HallViewer
from backend.notifications.models import Notification
from backend.queue import services as queue
from backend.queue.models import CALLED, DONE, WAITING, Ticket, TicketRating
from backend.queue.tickets import city_today
from tests import factories
from tests.helpers import assert_json_error


def ticket_row(db, hall, holder, *, status=DONE, code="A", window_number=1, clerk=None,
               seq=None) -> Ticket:
    """A ticket as a clerk's work leaves it (the clerk's API is tested on its own)."""
    from backend.queue.models import Window

    service = factories.hall_service(hall, code)
    window = db.session.scalar(select(Window).where(Window.hall_id == hall.id,
                                                    Window.number == window_number))
    now = utcnow()
    seq = seq or (db.session.query(Ticket).count() + 1)
    ticket = Ticket(hall_id=hall.id, service_id=service.id, user_id=holder.id, day=city_today(now),
                    seq=seq, number=f"{code}{seq:03d}", status=status,
                    taken_at=now - timedelta(minutes=30), queued_at=now - timedelta(minutes=30),
                    recalls=0, transfers=0, near_pushed=False, note="")
    if status in (CALLED, DONE):
        ticket.window_id, ticket.clerk_id = window.id, clerk.id if clerk else None
        ticket.called_at = ticket.first_called_at = now - timedelta(minutes=12)
    if status == DONE:
        ticket.finished_at = now - timedelta(minutes=2)
    db.session.add(ticket)
    db.session.commit()
    return ticket


def rate(client, headers, ticket, **body):
    body = {"score": 5, **body}
    return client.post(f"/api/v1/tickets/{ticket.id}/rating", json=body, headers=headers)


def test_the_holder_rates_a_done_ticket_once(client, db, hall, login_as):
    citizen = factories.make_user(roles=("citizen",))
    headers = login_as(citizen)
    ticket = ticket_row(db, hall, citizen)
    response = rate(client, headers, ticket, score=4, reasons=["efficient", "courteous"],
                    comment="  很快  ")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["score"] == 4 and body["reasons"] == ["efficient", "courteous"]
    assert body["comment"] == "很快" and body["created_at"]
    assert body["followup_status"] is None and body["followup_action"] == ""
    again = rate(client, headers, ticket, score=1)
    assert_json_error(again, 409, "already_rated")
    view = client.get(f"/api/v1/tickets/{ticket.id}", headers=headers).get_json()
    assert view["rating"]["score"] == 4 and view["can_rate"] is False
    assert db.session.query(TicketRating).count() == 1


@pytest.mark.parametrize("status", [WAITING, CALLED])
def test_a_ticket_not_yet_done_is_not_rated(client, db, hall, login_as, status):
    citizen = factories.make_user(roles=("citizen",))
    ticket = ticket_row(db, hall, citizen, status=status)
    response = rate(client, login_as(citizen), ticket)
    assert_json_error(response, 409, "not_done")


def test_someone_elses_ticket_is_not_there(client, db, hall, login_as):
    holder = factories.make_user(roles=("citizen",))
    ticket = ticket_row(db, hall, holder)
    other = login_as(factories.make_user(roles=("citizen",)))
    assert_json_error(rate(client, other, ticket), 404, "ticket_not_found")
    assert_json_error(client.post(f"/api/v1/tickets/{uuid.uuid4()}/rating", json={"score": 3},
                                  headers=other), 404)


@pytest.mark.parametrize("body", [
    {}, {"score": 0}, {"score": 6}, {"score": "5"}, {"score": 2.5}, {"score": None},
    {"score": 3, "reasons": ["rude"]}, {"score": 3, "reasons": "efficient"},
    {"score": 3, "reasons": [1]}, {"score": 3, "comment": "长" * 501},
    {"score": 3, "comment": None}, {"score": 3, "extra": 1},
])
def test_bad_ratings_bodies_are_422(client, db, hall, login_as, body):
    citizen = factories.make_user(roles=("citizen",))
    ticket = ticket_row(db, hall, citizen)
    response = client.post(f"/api/v1/tickets/{ticket.id}/rating", json=body,
                           headers=login_as(citizen))
    assert_json_error(response, 422, "validation_error")
    assert db.session.query(TicketRating).count() == 0


def test_a_comment_of_500_characters_is_fine(client, db, hall, login_as):
    citizen = factories.make_user(roles=("citizen",))
    ticket = ticket_row(db, hall, citizen)
    assert rate(client, login_as(citizen), ticket, comment="好" * 500).status_code == 201


def test_a_bad_rating_opens_a_followup_and_tells_the_halls_managers(client, db, hall, manager,
                                                                    login_as):
    other_hall = factories.make_hall()
    elsewhere = factories.make_user(roles=("hall_manager",))
    queue.add_manager(other_hall, elsewhere.id)
    db.session.commit()
    citizen = factories.make_user(roles=("citizen",))
    ticket = ticket_row(db, hall, citizen)
    subscription = live.current().subscribe(HallViewer(str(hall.id)))
    try:
        response = rate(client, login_as(citizen), ticket, score=2, reasons=["long_wait", "attitude"])
        assert response.status_code == 201
        assert response.get_json()["followup_status"] == "open"
        event = subscription.events.get(timeout=5)
    finally:
        live.current().unsubscribe(subscription)
    assert event["kind"] == "followup" and event["id"] == str(hall.id)
    assert "alert" not in event and "number" not in event
    notices = db.session.scalars(select(Notification)).all()
    assert [(n.user_id, n.kind) for n in notices] == [(manager.id, "bad_rating")]
    assert notices[0].params["number"] == ticket.number and notices[0].params["score"] == 2
    assert str(notices[0].subject_id) == response.get_json()["id"]


def test_a_good_rating_opens_nothing(client, db, hall, manager, login_as):
    citizen = factories.make_user(roles=("citizen",))
    ticket = ticket_row(db, hall, citizen)
    assert rate(client, login_as(citizen), ticket, score=3).get_json()["followup_status"] is None
    assert db.session.query(Notification).count() == 0
    listed = client.get(f"/api/v1/halls/{hall.id}/followups", headers=login_as(manager)).get_json()
    assert listed["items"] == []


def test_the_manager_lists_and_records_a_followup_the_citizen_then_reads(client, db, hall,
                                                                         manager, login_as):
    clerk = factories.make_clerk(hall, 2, "clerk_followup")
    clerk.display_name = "窗口 王芳"
    db.session.commit()
    citizen = factories.make_user(roles=("citizen",))
    citizen_headers = login_as(citizen)
    ticket = ticket_row(db, hall, citizen, window_number=2, clerk=clerk)
    rated = rate(client, citizen_headers, ticket, score=1, reasons=["attitude"],
                 comment="态度差").get_json()
    headers = login_as(manager)
    items = client.get(f"/api/v1/halls/{hall.id}/followups?status=open", headers=headers).get_json()["items"]
    assert len(items) == 1
    item = items[0]
    assert item["id"] == rated["id"] and item["ticket_id"] == str(ticket.id)
    assert item["number"] == ticket.number and item["service"]["code"] == "A"
    assert item["window_number"] == 2 and item["clerk_name"] == "窗口 王芳"
    assert item["score"] == 1 and item["reasons"] == ["attitude"] and item["comment"] == "态度差"
    assert item["followup_status"] == "open" and item["followup_by_name"] is None
    # Nothing about the citizen.
    assert str(citizen.id) not in str(item) and citizen.username not in str(item)

    done = client.post(f"/api/v1/ratings/{rated['id']}/followup", headers=headers,
                       json={"action": "已约谈窗口人员，并电话致歉。"})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["followup_status"] == "done" and body["followup_action"] == "已约谈窗口人员，并电话致歉。"
    assert body["followup_by"] == str(manager.id) and body["followup_by_name"] == "大厅负责人 孙丽"
    assert body["followup_at"]
    again = client.post(f"/api/v1/ratings/{rated['id']}/followup", headers=headers,
                        json={"action": "再说一次"})
    assert_json_error(again, 409, "followup_done")
    assert client.get(f"/api/v1/halls/{hall.id}/followups", headers=headers).get_json()["items"] == []
    assert [i["id"] for i in client.get(f"/api/v1/halls/{hall.id}/followups?status=done",
                                        headers=headers).get_json()["items"]] == [rated["id"]]
    # The citizen reads the hall's answer on their ticket.
    view = client.get(f"/api/v1/tickets/{ticket.id}", headers=citizen_headers).get_json()
    assert view["rating"]["followup_status"] == "done"
    assert view["rating"]["followup_action"] == "已约谈窗口人员，并电话致歉。"
    assert view["rating"]["followup_at"]
    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "hall.followup_recorded")).all()
    assert len(audit) == 1 and audit[0].actor_id == manager.id
    assert audit[0].target_id == rated["id"] and audit[0].details["number"] == ticket.number


@pytest.mark.parametrize("body", [{}, {"action": ""}, {"action": "   "}, {"action": "x" * 1001},
                                  {"action": 5}])
def test_a_followup_says_what_was_done(client, db, hall, manager, login_as, body):
    citizen = factories.make_user(roles=("citizen",))
    ticket = ticket_row(db, hall, citizen)
    rated = rate(client, login_as(citizen), ticket, score=1).get_json()
    response = client.post(f"/api/v1/ratings/{rated['id']}/followup", json=body,
                           headers=login_as(manager))
    assert_json_error(response, 422, "validation_error")


def test_another_halls_manager_sees_nothing_of_this_hall(client, db, hall, manager, login_as):
    citizen = factories.make_user(roles=("citizen",))
    ticket = ticket_row(db, hall, citizen)
    rated = rate(client, login_as(citizen), ticket, score=1).get_json()
    other_hall = factories.make_hall()
    stranger = factories.make_user(roles=("hall_manager",))
    queue.add_manager(other_hall, stranger.id)
    db.session.commit()
    headers = login_as(stranger)
    assert_json_error(client.get(f"/api/v1/halls/{hall.id}/followups", headers=headers), 404,
                      "hall_not_found")
    assert_json_error(client.post(f"/api/v1/ratings/{rated['id']}/followup", headers=headers,
                                  json={"action": "x"}), 404, "followup_not_found")
    assert client.get(f"/api/v1/halls/{other_hall.id}/followups", headers=headers).status_code == 200
    # An admin sees every hall's.
    admin = login_as(factories.make_user(roles=("admin",)))
    assert len(client.get(f"/api/v1/halls/{hall.id}/followups", headers=admin).get_json()["items"]) == 1


def test_a_good_rating_has_no_followup_to_record(client, db, hall, manager, login_as):
    citizen = factories.make_user(roles=("citizen",))
    ticket = ticket_row(db, hall, citizen)
    rated = rate(client, login_as(citizen), ticket, score=5).get_json()
    response = client.post(f"/api/v1/ratings/{rated['id']}/followup", json={"action": "x"},
                           headers=login_as(manager))
    assert_json_error(response, 404, "followup_not_found")


@pytest.mark.parametrize("role", ["clerk", "supervisor", "citizen"])
def test_other_roles_may_not_read_followups(client, db, hall, login_as, role):
    headers = login_as(factories.make_user(roles=(role,)))
    assert_json_error(client.get(f"/api/v1/halls/{hall.id}/followups", headers=headers), 403)


@pytest.mark.postgresql_only
def test_two_ratings_racing_leave_one(app, db, hall):
    """The unique ticket_id decides: the loser's insert fails and is answered as a second
    rating (already_rated), not a 500. PostgreSQL only: SQLite's writers never overlap."""
    from backend.queue import ratings

    citizen = factories.make_user(roles=("citizen",))
    ticket = ticket_row(db, hall, citizen)
    # The loser read "not rated yet" before the winner committed: its check passes, and
    # its insert meets the winner's row.
    winner = TicketRating(ticket_id=ticket.id, hall_id=hall.id, user_id=citizen.id, score=5,
                          reasons=[], comment="")
    real_scalar = db.session.scalar
    calls = []

    def stale_check(statement, *args, **kwargs):
        result = real_scalar(statement, *args, **kwargs)
        if not calls and "ticket_ratings" in str(statement):
            calls.append(1)
            with app.app_context():  # another session: the other request, committing first
                db.session.add(winner)
                db.session.commit()
                db.session.remove()
            return None
        return result

    db.session.scalar = stale_check
    try:
        with pytest.raises(Exception) as caught:
            ratings.rate_ticket(citizen, ticket.id, score=1)
    finally:
        db.session.scalar = real_scalar
    assert getattr(caught.value, "code", None) == "already_rated"
    db.session.rollback()
    assert db.session.query(TicketRating).count() == 1


def test_the_manager_is_pushed_a_bad_rating_and_the_citizen_the_halls_reply(app, client, db, hall,
                                                                            manager, login_as):
    from backend.jobs import worker
    from tests.push_receiver import PushReceiver

    receiver = PushReceiver()
    try:
        citizen = factories.make_user(roles=("citizen",))
        citizen_headers, manager_headers = login_as(citizen), login_as(manager)
        for headers, name in ((citizen_headers, "citizen"), (manager_headers, "manager")):
            browser = receiver.browser(name)
            assert client.post("/api/v1/push/subscriptions", headers=headers,
                               json=browser.subscription(receiver.origin)).status_code == 201
        ticket = ticket_row(db, hall, citizen)
        rated = rate(client, citizen_headers, ticket, score=1, reasons=["attitude"]).get_json()
        db.session.rollback()  # the test's session must not hold SQLite's write lock
        assert worker.local(app).drain()
        (told,) = receiver.messages("manager")
        assert told["title"] == "差评待整改" and told["url"] == "/#/console/hall"
        assert ticket.number in told["body"] and receiver.messages("citizen") == []
        client.post(f"/api/v1/ratings/{rated['id']}/followup", headers=manager_headers,
                    json={"action": "已约谈窗口人员"})
        db.session.rollback()
        assert worker.local(app).drain()
        (reply,) = receiver.messages("citizen")
        assert reply["title"] == "大厅已回复您的评价" and "已约谈窗口人员" in reply["body"]
        assert reply["url"] == f"/#/tickets/{ticket.id}" and reply["kind"] == "rating_followup"
        assert receiver.errors == []
    finally:
        receiver.close()
