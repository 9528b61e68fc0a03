"""The hall's display (叫号大屏): its public board (today's latest calls, each service's queue
and next numbers, each window's number, never who holds one) and its public event stream (a
committed change of the queue, nothing of a rolled-back one, a bounded number per process)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.common.time import utcnow
from backend.queue import display, tickets
from backend.queue.models import CALLED, DONE, NO_SHOW, Ticket, Window
from tests import factories
from tests.factories import HALL_CENTRE
from tests.helpers import assert_json_error
from tests.live_client import TestClientStream


@pytest.fixture
def quick(app):
    """Heartbeats every 50 ms, so that a test's read never waits long for its next chunk."""
    saved = {key: app.config[key] for key in ("LIVE_HEARTBEAT_S", "LIVE_STREAM_S")}
    app.config.update(LIVE_HEARTBEAT_S=0.05, LIVE_STREAM_S=60)
    yield app
    app.config.update(saved)


def take(client, login_as, hall, code="A") -> dict:
    citizen = factories.make_user(roles=("citizen",), display_name="张三")
    service = factories.hall_service(hall, code)
    response = client.post(f"/api/v1/halls/{hall.id}/tickets", headers=login_as(citizen),
                           json={"service_id": str(service.id), "lat": HALL_CENTRE[0],
                                 "lon": HALL_CENTRE[1]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def called(db, ticket: dict, window_number: int, *, minutes_ago: float, status=CALLED,
           recalls: int = 0) -> None:
    """A taken ticket as a clerk's call leaves it (the clerk's own work is tested elsewhere)."""
    row = db.session.get(Ticket, uuid.UUID(ticket["id"]))
    window = db.session.scalar(select(Window).where(Window.hall_id == row.hall_id,
                                                    Window.number == window_number))
    row.status, row.window_id, row.recalls = status, window.id, recalls
    row.called_at = row.first_called_at = utcnow() - timedelta(minutes=minutes_ago)
    if status != CALLED:
        row.finished_at = utcnow()
    db.session.commit()


def board(client, hall) -> dict:
    response = client.get(f"/api/v1/halls/{hall.id}/board")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_board_lists_todays_calls_latest_first_with_their_windows(client, db, hall, login_as):
    a1, a2, b1, a3 = (take(client, login_as, hall, code) for code in "AABA")
    called(db, a1, 2, minutes_ago=30, status=DONE)
    called(db, b1, 3, minutes_ago=20, status=NO_SHOW)
    called(db, a2, 1, minutes_ago=5, recalls=2)
    body = board(client, hall)
    assert body["hall"] == {"id": str(hall.id), "name": "测试政务大厅"}
    assert [(c["number"], c["window"]) for c in body["calls"]] == [("A002", 1), ("B001", 3),
                                                                    ("A001", 2)]
    first = body["calls"][0]
    assert first["service_code"] == "A" and first["service_name"] == "不动产登记"
    assert first["recalls"] == 2 and first["called_at"]
    # The waiting one is not a call; it is the next of its service.
    assert a3["number"] not in [c["number"] for c in body["calls"]]
    assert body["at"]


def test_only_the_latest_ten_calls_and_only_today(client, db, hall, login_as):
    taken = [take(client, login_as, hall, "ABC"[i % 3]) for i in range(12)]
    for minutes, ticket in enumerate(reversed(taken)):
        called(db, ticket, 1, minutes_ago=minutes + 1, status=DONE)
    yesterday = db.session.get(Ticket, uuid.UUID(taken[-1]["id"]))
    yesterday.day -= timedelta(days=1)
    db.session.commit()
    numbers = [c["number"] for c in board(client, hall)["calls"]]
    assert len(numbers) == display.LATEST_CALLS
    assert numbers == [t["number"] for t in reversed(taken[:-1])][:10]


def test_each_service_shows_its_waiting_count_and_next_three_in_call_order(client, db, hall,
                                                                           login_as):
    a = [take(client, login_as, hall, "A") for _ in range(5)]
    take(client, login_as, hall, "B")
    called(db, a[0], 1, minutes_ago=1)
    # A booked ticket whose slot has begun goes first (tickets.queue_key).
    booked = db.session.get(Ticket, uuid.UUID(a[4]["id"]))
    booked.priority_from = utcnow() - timedelta(minutes=1)
    db.session.commit()
    queues = {q["code"]: q for q in board(client, hall)["waiting"]}
    assert list(queues) == ["A", "B", "C"]
    assert queues["A"]["waiting"] == 4 and queues["A"]["next"] == ["A005", "A002", "A003"]
    assert queues["A"]["name"] == "不动产登记"
    assert queues["A"]["service_id"] == str(factories.hall_service(hall, "A").id)
    assert queues["B"]["waiting"] == 1 and queues["B"]["next"] == ["B001"]
    assert queues["C"] == {**queues["C"], "waiting": 0, "next": []}


def test_the_waiting_counts_match_what_events_say(client, db, hall, login_as):
    from backend.queue import events

    for code in "AABC":
        take(client, login_as, hall, code)
    counts = events.waiting_counts(hall.id)
    assert {q["service_id"]: q["waiting"] for q in board(client, hall)["waiting"]
            if q["waiting"]} == counts


def test_each_window_shows_the_number_it_serves(client, db, hall, login_as):
    a1, b1 = take(client, login_as, hall, "A"), take(client, login_as, hall, "B")
    called(db, a1, 2, minutes_ago=3)
    called(db, b1, 3, minutes_ago=9, status=DONE)
    window4 = db.session.scalar(select(Window).where(Window.hall_id == hall.id, Window.number == 4))
    window4.status, window4.label = "paused", "综合窗口"
    db.session.commit()
    windows = board(client, hall)["windows"]
    assert [w["number"] for w in windows] == [1, 2, 3, 4]
    assert windows[1] == {"number": 2, "label": "", "status": "open", "serving": "A001"}
    assert windows[2]["serving"] is None  # finished: nobody at it now
    assert windows[3] == {"number": 4, "label": "综合窗口", "status": "paused", "serving": None}


def test_the_board_holds_numbers_only_never_who_holds_them(client, db, hall, login_as):
    first = take(client, login_as, hall, "A")
    take(client, login_as, hall, "A")
    called(db, first, 1, minutes_ago=1)
    clerk = factories.make_clerk(hall, 1, username="clerkdisplay")
    holder = db.session.get(Ticket, uuid.UUID(first["id"]))
    text = json.dumps(board(client, hall), ensure_ascii=False)
    for secret in (str(holder.user_id), str(clerk.id), "clerkdisplay", "张三", first["id"],
                   str(HALL_CENTRE[0])):
        assert secret not in text


def test_the_board_is_public_and_an_unknown_hall_is_404(client, hall):
    assert client.get(f"/api/v1/halls/{hall.id}/board").status_code == 200
    assert_json_error(client.get(f"/api/v1/halls/{uuid.uuid4()}/board"), 404, "hall_not_found")
    assert_json_error(client.get(f"/api/v1/halls/{uuid.uuid4()}/events"), 404, "hall_not_found")
    assert_json_error(client.get("/api/v1/halls/not-a-hall/board"), 404)


# -- the stream -------------------------------------------------------------------------

def hall_stream(client, hall) -> TestClientStream:
    return TestClientStream(client, {}, path=f"/api/v1/halls/{hall.id}/events")


def hall_events(stream: TestClientStream) -> list[dict]:
    return [data for name, data in stream.events if name == "hall"]


def test_the_stream_is_public_uncached_and_delivers_a_take_once_committed(client, hall, login_as,
                                                                           quick):
    stream = hall_stream(client, hall)
    assert stream.response.mimetype == "text/event-stream"
    assert stream.response.headers["Cache-Control"] == "no-store"
    assert stream.response.headers["X-Accel-Buffering"] == "no"
    assert stream.first.startswith("retry:")
    ticket = take(client, login_as, hall, "B")
    stream.read_until(lambda _events: hall_events(stream))
    event = hall_events(stream)[0]
    assert set(event) <= {"id", "kind", "number", "window", "service_id", "waiting", "alert", "at"}
    assert event["id"] == str(hall.id) and event["kind"] == "taken"
    assert event["number"] == ticket["number"] == "B001"
    service_id = str(factories.hall_service(hall, "B").id)
    assert event["service_id"] == service_id and event["waiting"] == {service_id: 1}
    stream.close()


def test_another_halls_changes_do_not_reach_the_stream(client, hall, login_as, quick):
    other = factories.make_hall()
    stream = hall_stream(client, hall)
    take(client, login_as, other, "A")
    mine = take(client, login_as, hall, "C")
    stream.read_until(lambda _events: hall_events(stream))
    assert [e["number"] for e in hall_events(stream)] == [mine["number"]]
    stream.close()


def test_a_rolled_back_take_publishes_nothing(client, db, hall, login_as, quick, monkeypatch):
    stream = hall_stream(client, hall)
    real = tickets.events.queue_changed

    def publish_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("the take fails after publishing")

    monkeypatch.setattr(tickets.events, "queue_changed", publish_then_fail)
    citizen = factories.make_user(roles=("citizen",))
    service = factories.hall_service(hall, "A")
    failed = client.post(f"/api/v1/halls/{hall.id}/tickets", headers=login_as(citizen),
                         json={"service_id": str(service.id), "lat": HALL_CENTRE[0],
                               "lon": HALL_CENTRE[1]})
    assert_json_error(failed, 500, "internal_error")
    monkeypatch.setattr(tickets.events, "queue_changed", real)
    assert db.session.scalar(select(Ticket).where(Ticket.hall_id == hall.id)) is None
    # Events reach a stream in commit order: once the next take's has come, a rolled-back
    # one's would have come before it.
    after = take(client, login_as, hall, "B")
    stream.read_until(lambda _events: hall_events(stream))
    assert [(e["kind"], e["number"]) for e in hall_events(stream)] == [("taken", after["number"])]
    stream.close()


def test_a_cancel_goes_out_too(client, hall, login_as, quick):
    citizen = factories.make_user(roles=("citizen",))
    headers = login_as(citizen)
    service = factories.hall_service(hall, "A")
    ticket = client.post(f"/api/v1/halls/{hall.id}/tickets", headers=headers,
                         json={"service_id": str(service.id), "lat": HALL_CENTRE[0],
                               "lon": HALL_CENTRE[1]}).get_json()
    stream = hall_stream(client, hall)
    assert client.post(f"/api/v1/tickets/{ticket['id']}/cancel", headers=headers,
                       json={}).status_code == 200
    stream.read_until(lambda _events: hall_events(stream))
    event = hall_events(stream)[0]
    assert event["kind"] == "cancelled" and event["number"] == "A001"
    assert event["waiting"].get(str(service.id), 0) == 0
    stream.close()


def test_beyond_the_cap_a_stream_is_refused_with_retry_after_until_one_closes(client, app, hall,
                                                                              quick):
    with app.app_context():
        open_now = display.stream_slots().open
    saved = app.config["HALL_STREAMS_MAX"]
    app.config["HALL_STREAMS_MAX"] = open_now + 2
    try:
        first, second = hall_stream(client, hall), hall_stream(client, hall)
        refused = client.get(f"/api/v1/halls/{hall.id}/events")
        error = assert_json_error(refused, 503, "too_many_streams")
        assert refused.headers["Retry-After"] == str(display.STREAMS_RETRY_AFTER_S)
        assert error["retry_after_s"] == display.STREAMS_RETRY_AFTER_S
        # The board is no stream: it still answers.
        assert client.get(f"/api/v1/halls/{hall.id}/board").status_code == 200
        first.close()
        third = hall_stream(client, hall)
        assert third.first.startswith("retry:")
        second.close()
        third.close()
        with app.app_context():
            assert display.stream_slots().open == open_now
    finally:
        app.config["HALL_STREAMS_MAX"] = saved


def test_a_stream_that_ends_gives_its_place_back(client, app, hall, quick):
    app.config["LIVE_STREAM_S"] = 0.2
    with app.app_context():
        open_now = display.stream_slots().open
    stream = hall_stream(client, hall)
    stream.read_until(lambda events: any(name == "end" for name, _data in events))
    stream.read_until(lambda _events: stream.ended)  # the server has finished the body
    with app.app_context():
        assert display.stream_slots().open == open_now
    stream.close()


def test_a_stream_let_in_after_the_last_place_went_ends_at_once():
    slots = display.StreamSlots()
    ran = []

    def body():
        ran.append(True)
        yield "retry: 3000\n\n"

    first = slots.run(body(), limit=1, heartbeat_s=15)
    assert next(first).startswith("retry:") and slots.open == 1
    late = list(slots.run(body(), limit=1, heartbeat_s=15))
    assert late == ["event: end\ndata: {}\n\n"] and ran == [True] and slots.open == 1
    first.close()
    assert slots.open == 0


def test_between_events_the_stream_pings_so_a_screen_can_tell_it_is_alive(client, hall, quick):
    stream = hall_stream(client, hall)
    stream.read_until(lambda events: any(name == "ping" for name, _data in events))
    assert [data for name, data in stream.events if name == "ping"][0] == {"every_s": 0.05}
    stream.close()
