"""The window clerk (窗口叫号): calling in the queue's order across the window's services and
the tickets transferred to it, a busy or paused window, only one's own window and tickets,
recall before no-show, transfers that keep the ticket's place, today's figures, the push
to the holder, and calls racing each other on PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.common.time import utcnow
from backend.jobs import worker
from backend.queue.models import Ticket, Window
from backend.queue.tickets import city_today
from tests import factories
from tests.push_receiver import PushReceiver


@pytest.fixture
def clerks(hall, login_as):
    """clerk at window 1 and at window 2: (user, headers, window id) each."""
    out = {}
    for number in (1, 2, 3):
        clerk = factories.make_clerk(hall, number)
        window = factories.db.session.scalar(select(Window).where(Window.clerk_id == clerk.id))
        out[number] = (clerk, login_as(clerk), str(window.id))
    factories.db.session.commit()
    return out


def waiting(hall, code: str, *, minutes_ago: float, user=None, **fields) -> Ticket:
    """A waiting ticket of this service that joined the queue `minutes_ago` ago."""
    db = factories.db
    service = factories.hall_service(hall, code)
    user = user or factories.make_user(roles=("citizen",))
    seq = (db.session.scalar(select(Ticket.seq).where(Ticket.service_id == service.id)
                             .order_by(Ticket.seq.desc()).limit(1)) or 0) + 1
    at = utcnow() - timedelta(minutes=minutes_ago)
    ticket = Ticket(id=uuid.uuid4(), hall_id=hall.id, service_id=service.id, user_id=user.id,
                    day=city_today(utcnow()), seq=seq, number=f"{code}{seq:03d}", status="waiting",
                    taken_at=at, queued_at=at, recalls=0, transfers=0, near_pushed=False, note="",
                    **fields)
    db.session.add(ticket)
    db.session.commit()
    # Read, then let go: on SQLite an open transaction of the test's would hold the write
    # lock that the push job's thread needs.
    db.session.refresh(ticket)
    db.session.expunge(ticket)
    db.session.commit()
    return ticket


def call(client, clerk):
    _, headers, window_id = clerk
    return client.post(f"/api/v1/windows/{window_id}/call", json={}, headers=headers)


def act(client, clerk, ticket_id, action, body=None):
    return client.post(f"/api/v1/tickets/{ticket_id}/{action}", json=body or {}, headers=clerk[1])


def called_number(client, clerk) -> str:
    response = call(client, clerk)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "called"
    assert act(client, clerk, body["id"], "finish").status_code == 200
    return body["number"]


def test_calls_go_booked_first_then_by_waiting_time_across_the_windows_services(client, hall,
                                                                             clerks):
    waiting(hall, "A", minutes_ago=30)
    waiting(hall, "B", minutes_ago=40)
    waiting(hall, "A", minutes_ago=20)
    # Booked, its slot begun: first, though it came last.
    waiting(hall, "C", minutes_ago=1, priority_from=utcnow() - timedelta(minutes=2))
    # Booked for later: no priority yet.
    waiting(hall, "C", minutes_ago=10, priority_from=utcnow() + timedelta(hours=1))
    order = [called_number(client, clerks[1]) for _ in range(5)]
    assert order == ["C001", "B001", "A001", "A002", "C002"]
    empty = call(client, clerks[1])
    assert empty.status_code == 404 and empty.get_json()["error"]["code"] == "queue_empty"


def test_the_called_ticket_says_what_the_clerk_needs(client, hall, clerks):
    booked = waiting(hall, "A", minutes_ago=12, priority_from=utcnow() - timedelta(minutes=1))
    body = call(client, clerks[1]).get_json()
    assert body["id"] == str(booked.id) and body["number"] == "A001"
    assert body["service"]["code"] == "A" and body["window"]["number"] == 1
    assert body["appointment"] is True and body["recalls"] == 0 and body["can_no_show"] is False
    assert 11 * 60 <= body["waited_s"] <= 13 * 60
    assert body["first_called_at"] == body["called_at"]


def test_a_window_calls_only_its_own_services(client, hall, clerks):
    waiting(hall, "B", minutes_ago=30)  # window 2 handles A only
    response = call(client, clerks[2])
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "queue_empty"


def test_a_busy_window_calls_nobody_until_its_ticket_is_over(client, hall, clerks):
    waiting(hall, "A", minutes_ago=5)
    waiting(hall, "A", minutes_ago=4)
    first = call(client, clerks[1]).get_json()
    busy = call(client, clerks[1])
    assert busy.status_code == 409
    error = busy.get_json()["error"]
    assert error["code"] == "window_busy"
    assert (error["ticket_id"], error["number"]) == (first["id"], "A001")
    mine = client.get("/api/v1/windows/mine", headers=clerks[1][1]).get_json()
    assert mine["current"]["id"] == first["id"] and mine["idle_since"] is None
    assert act(client, clerks[1], first["id"], "finish").get_json()["status"] == "done"
    assert call(client, clerks[1]).get_json()["number"] == "A002"


def test_a_paused_window_does_not_call_and_pausing_keeps_the_ticket_called(client, hall, clerks):
    waiting(hall, "A", minutes_ago=5)
    waiting(hall, "A", minutes_ago=4)
    _, headers, window_id = clerks[1]
    first = call(client, clerks[1]).get_json()
    paused = client.post(f"/api/v1/windows/{window_id}/pause", json={}, headers=headers)
    assert paused.status_code == 200, paused.get_json()
    assert paused.get_json()["status"] == "paused"
    assert paused.get_json()["current"]["id"] == first["id"]  # still called
    assert act(client, clerks[1], first["id"], "finish").status_code == 200
    refused = call(client, clerks[1])
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "window_paused"
    resumed = client.post(f"/api/v1/windows/{window_id}/resume", json={}, headers=headers)
    assert resumed.get_json()["status"] == "open" and resumed.get_json()["idle_since"]
    assert call(client, clerks[1]).get_json()["number"] == "A002"


def test_only_the_windows_own_clerk_calls_there(client, hall, clerks, login_as):
    waiting(hall, "A", minutes_ago=5)
    _, other_headers, _ = clerks[2]
    window_1 = clerks[1][2]
    refused = client.post(f"/api/v1/windows/{window_1}/call", json={}, headers=other_headers)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_your_window"
    for action in ("pause", "resume"):
        response = client.post(f"/api/v1/windows/{window_1}/{action}", json={}, headers=other_headers)
        assert response.status_code == 403
    unknown = client.post(f"/api/v1/windows/{uuid.uuid4()}/call", json={}, headers=other_headers)
    assert unknown.status_code == 404
    # A clerk at no window has no window of their own.
    loose = login_as(factories.make_user(roles=("clerk",)))
    nowhere = client.get("/api/v1/windows/mine", headers=loose)
    assert nowhere.status_code == 404 and nowhere.get_json()["error"]["code"] == "no_window"


def test_only_the_clerk_who_called_a_ticket_finishes_it(client, hall, clerks):
    waiting(hall, "A", minutes_ago=5)
    ticket = call(client, clerks[1]).get_json()
    for action in ("finish", "recall", "no-show", "transfer"):
        body = {"window_id": clerks[3][2]} if action == "transfer" else {}
        refused = act(client, clerks[2], ticket["id"], action, body)
        assert refused.status_code == 403, action
        assert refused.get_json()["error"]["code"] == "not_your_ticket"
    assert act(client, clerks[1], uuid.uuid4(), "finish").status_code == 404
    done = act(client, clerks[1], ticket["id"], "finish")
    assert done.status_code == 200 and done.get_json()["finished_at"]
    again = act(client, clerks[1], ticket["id"], "finish")
    assert again.status_code == 409
    assert again.get_json()["error"]["current"] == {"status": "done"}


def test_a_no_show_comes_after_a_recall(client, hall, clerks):
    waiting(hall, "A", minutes_ago=5)
    waiting(hall, "A", minutes_ago=4)
    ticket = call(client, clerks[1]).get_json()
    early = act(client, clerks[1], ticket["id"], "no-show")
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "recall_first"
    recalled = act(client, clerks[1], ticket["id"], "recall").get_json()
    assert recalled["recalls"] == 1 and recalled["status"] == "called"
    assert recalled["first_called_at"] == ticket["first_called_at"]
    assert recalled["called_at"] >= ticket["called_at"] and recalled["can_no_show"] is True
    gone = act(client, clerks[1], ticket["id"], "no-show")
    assert gone.status_code == 200 and gone.get_json()["status"] == "no_show"
    assert call(client, clerks[1]).get_json()["number"] == "A002"  # the window is free again


def test_a_transfer_to_a_service_keeps_the_tickets_place(client, hall, clerks, login_as):
    holder = factories.make_user(roles=("citizen",))
    waiting(hall, "A", minutes_ago=30, user=holder)
    waiting(hall, "B", minutes_ago=20)
    waiting(hall, "B", minutes_ago=10)
    ticket = call(client, clerks[2]).get_json()  # window 2: A only
    service_b = str(factories.hall_service(hall, "B").id)
    moved = act(client, clerks[2], ticket["id"], "transfer", {"service_id": service_b})
    assert moved.status_code == 200, moved.get_json()
    body = moved.get_json()
    assert body["status"] == "waiting" and body["transfers"] == 1
    assert body["service"]["code"] == "B" and body["number"] == "A001"
    assert body["queued_at"] == ticket["queued_at"]
    # The holder sees it first in B's queue, ahead of those who came after it.
    seen = client.get(f"/api/v1/tickets/{ticket['id']}", headers=login_as(holder)).get_json()
    assert seen["status"] == "waiting" and seen["position"] == 1
    # Window 2 is free again; window 3 (B) calls it before B001.
    assert call(client, clerks[2]).status_code == 404
    assert called_number(client, clerks[3]) == "A001"
    assert called_number(client, clerks[3]) == "B001"


def test_a_ticket_transferred_to_a_window_is_called_there_and_nowhere_else(client, hall, clerks):
    waiting(hall, "A", minutes_ago=30)
    waiting(hall, "A", minutes_ago=20)
    waiting(hall, "B", minutes_ago=15)
    ticket = call(client, clerks[2]).get_json()
    moved = act(client, clerks[2], ticket["id"], "transfer", {"window_id": clerks[3][2]})
    assert moved.status_code == 200 and moved.get_json()["for_window_id"] == clerks[3][2]
    mine = client.get("/api/v1/windows/mine", headers=clerks[3][1]).get_json()
    assert mine["transferred_here"] == 1 and mine["waiting_here"] == 2
    # Window 1 handles A too, but the ticket is for window 3 only.
    assert called_number(client, clerks[1]) == "A002"
    # Window 3 (B only) calls it in its place: before B001, who came after it.
    assert called_number(client, clerks[3]) == "A001"
    assert called_number(client, clerks[3]) == "B001"


@pytest.mark.parametrize("body", [{}, {"service_id": None, "window_id": None},
                                  {"service_id": "x"}, "both"])
def test_a_transfer_names_exactly_one_target(client, hall, clerks, body):
    waiting(hall, "A", minutes_ago=5)
    ticket = call(client, clerks[1]).get_json()
    if body == "both":
        body = {"service_id": str(factories.hall_service(hall, "B").id), "window_id": clerks[3][2]}
    response = act(client, clerks[1], ticket["id"], "transfer", body)
    assert response.status_code == 422, response.get_json()


def test_a_transfer_stays_in_the_hall_and_keeps_one_open_ticket_per_service(client, hall, clerks):
    other = factories.make_hall(windows=((1, ("A",)),))
    holder = factories.make_user(roles=("citizen",))
    waiting(hall, "A", minutes_ago=5, user=holder)
    waiting(hall, "B", minutes_ago=3, user=holder)
    ticket = call(client, clerks[1]).get_json()
    elsewhere = act(client, clerks[1], ticket["id"], "transfer",
                    {"service_id": str(factories.hall_service(other, "B").id)})
    assert elsewhere.status_code == 404
    foreign_window = factories.db.session.scalar(select(Window.id).where(Window.hall_id == other.id))
    assert act(client, clerks[1], ticket["id"], "transfer",
               {"window_id": str(foreign_window)}).status_code == 404
    same = act(client, clerks[1], ticket["id"], "transfer", {"window_id": clerks[1][2]})
    assert same.status_code == 422
    second = act(client, clerks[1], ticket["id"], "transfer",
                 {"service_id": str(factories.hall_service(hall, "B").id)})
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "ticket_open"
    # Nothing changed: it is still called here.
    assert act(client, clerks[1], ticket["id"], "finish").status_code == 200


def test_todays_figures_and_the_queues(client, hall, clerks):
    for minutes in (50, 40, 30, 20):
        waiting(hall, "A", minutes_ago=minutes)
    waiting(hall, "B", minutes_ago=5)
    first = call(client, clerks[1]).get_json()
    act(client, clerks[1], first["id"], "finish")
    second = call(client, clerks[1]).get_json()
    act(client, clerks[1], second["id"], "recall")
    act(client, clerks[1], second["id"], "no-show")
    third = call(client, clerks[1]).get_json()
    act(client, clerks[1], third["id"], "transfer", {"window_id": clerks[2][2]})
    current = call(client, clerks[1]).get_json()
    mine = client.get("/api/v1/windows/mine", headers=clerks[1][1])
    assert mine.status_code == 200, mine.get_json()
    body = mine.get_json()
    assert (body["number"], body["status"], body["hall_name"]) == (1, "open", "测试政务大厅")
    assert body["current"]["id"] == current["id"]
    assert body["today"]["called"] == 4 and body["today"]["done"] == 1
    assert body["today"]["no_show"] == 1 and body["today"]["transferred"] == 1
    assert isinstance(body["today"]["mean_service_s"], int)
    waiting_by_code = {s["code"]: s["waiting"] for s in body["services"]}
    assert waiting_by_code == {"A": 1, "B": 1, "C": 0}  # A: the one sent to window 2
    assert body["waiting_here"] == 1  # B001; the transferred A is window 2's
    assert {w["number"] for w in body["other_windows"]} == {2, 3, 4}


@pytest.fixture
def receiver():
    server = PushReceiver()
    yield server
    server.close()


def test_calling_and_recalling_push_to_the_holder(app, client, hall, clerks, login_as, receiver):
    holder = factories.make_user(roles=("citizen",))
    browser = receiver.browser("holder")
    subscribed = client.post("/api/v1/push/subscriptions", json=browser.subscription(receiver.origin),
                             headers=login_as(holder))
    assert subscribed.status_code == 201, subscribed.get_json()
    ticket = waiting(hall, "A", minutes_ago=5, user=holder)
    call(client, clerks[1])
    act(client, clerks[1], ticket.id, "recall")
    # The test client shares the test's session: end the read its answer began (on SQLite
    # it holds the write lock the push job's thread needs).
    factories.db.session.commit()
    assert worker.local(app).drain() and receiver.errors == []
    called, recalled = receiver.messages("holder")
    assert called["title"] == "请 A001 到 1 号窗口" and called["kind"] == "ticket_called"
    assert called["number"] == "A001" and called["window"] == 1
    assert recalled["kind"] == "ticket_recalled"


def test_a_call_is_a_hall_event_with_the_number_and_window(app, client, hall, clerks):
    from backend.live import services as live

    waiting(hall, "A", minutes_ago=5)
    subscription = live.current().subscribe(live.HallViewer(str(hall.id)))
    try:
        assert call(client, clerks[1]).status_code == 200
        event = subscription.events.get(timeout=5)
    finally:
        live.current().unsubscribe(subscription)
    assert event["kind"] == "called" and event["id"] == str(hall.id)
    assert event["number"] == "A001" and event["window"] == 1 and event["waiting"] == {}


# -- racing ---------------------------------------------------------------------------------

def _race(app, calls):
    """Run the (headers, path) calls at the same moment, each from its own client."""
    barrier = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def run(index, headers, path):
        client = app.test_client()
        barrier.wait()
        response = client.post(path, json={}, headers=headers)
        answers[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=run, args=(i, *c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


@pytest.mark.postgresql_only
def test_two_tabs_of_one_clerk_calling_at_once_call_one_ticket(app, client, db, hall, clerks):
    for minutes in range(15, 0, -1):
        waiting(hall, "A", minutes_ago=minutes)
    _, headers, window_id = clerks[1]
    path = f"/api/v1/windows/{window_id}/call"
    called = []
    for _ in range(12):
        answers = _race(app, [(headers, path), (headers, path)])
        assert sorted(status for status, _ in answers) == [200, 409], answers
        [ticket] = [body for status, body in answers if status == 200]
        [busy] = [body for status, body in answers if status == 409]
        assert busy["error"]["code"] == "window_busy" and busy["error"]["ticket_id"] == ticket["id"]
        called.append(ticket["id"])
        assert act(client, clerks[1], ticket["id"], "finish").status_code == 200
    assert len(set(called)) == len(called) == 12


@pytest.mark.postgresql_only
def test_two_windows_calling_at_once_never_call_the_same_ticket(app, client, db, hall, clerks):
    tickets = [waiting(hall, "A", minutes_ago=m) for m in range(30, 0, -1)]
    first, second = clerks[1], clerks[2]
    called = []
    for _ in range(15):
        answers = _race(app, [(first[1], f"/api/v1/windows/{first[2]}/call"),
                              (second[1], f"/api/v1/windows/{second[2]}/call")])
        assert [status for status, _ in answers] == [200, 200], answers
        for clerk, (_, ticket) in zip((first, second), answers, strict=True):
            called.append(ticket["id"])
            assert act(client, clerk, ticket["id"], "finish").status_code == 200
    assert len(set(called)) == 30 and set(called) == {str(t.id) for t in tickets}
    db.session.expire_all()
    assert {t.status for t in db.session.scalars(select(Ticket))} == {"done"}
