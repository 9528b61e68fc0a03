"""The hall's display across processes: two gunicorn servers on one database; numbers taken,
called (once the clerk's call is there) and given up through one reach the hall's public
stream opened on the other, and the other's board shows them. On PostgreSQL through its
NOTIFY and through Redis, on SQLite through Redis (a channel of the test's own)."""

from __future__ import annotations

import pytest

from backend.extensions import db as _db
from tests import factories
from tests.app_servers import HttpStream, call, gunicorns, token
from tests.factories import HALL_CENTRE, PASSWORD

CALL_ROUTE = "/api/v1/windows/<uuid:window_id>/call"


def hall_events(events) -> list[dict]:
    return [data for name, data in events if name == "hall"]


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["postgresql", "redis"])
def test_the_queue_moving_through_one_server_reaches_the_hall_display_on_the_other(
        app, db, tmp_path, broker):
    if broker == "postgresql" and app.config["TEST_DATABASE"] != "postgresql":
        pytest.skip("PostgreSQL's NOTIFY needs PostgreSQL")
    can_call = any(rule.rule == CALL_ROUTE for rule in app.url_map.iter_rules())
    hall = factories.make_hall()
    hall_id, service_id = str(hall.id), str(factories.hall_service(hall, "B").id)
    citizens = [factories.make_user(f"hallwatcher{i}", roles=("citizen",)).username
                for i in range(2)]
    clerk = factories.make_clerk(hall, 3, username="hallclerk3").username  # window 3: B
    window3 = next(w["id"] for w in _windows(app, hall_id) if w["number"] == 3)
    _db.session.remove()  # SQLite: no write lock held by the test while the servers write
    with gunicorns(app, tmp_path, broker=broker) as (watch, act):
        stream = HttpStream(watch, f"/api/v1/halls/{hall_id}/events")  # no sign-in
        tokens = [token(act, name, PASSWORD) for name in citizens]
        numbers = []
        for citizen_token in tokens:
            status, ticket = call(act, "POST", f"/api/v1/halls/{hall_id}/tickets",
                                  {"service_id": service_id, "lat": HALL_CENTRE[0],
                                   "lon": HALL_CENTRE[1]}, citizen_token)
            assert status == 201, ticket
            numbers.append((ticket["id"], ticket["number"]))
        events = hall_events(stream.wait_for(lambda events: len(hall_events(events)) >= 2))
        assert [(e["kind"], e["number"]) for e in events] == [("taken", "B001"), ("taken", "B002")]
        assert events[1]["waiting"] == {service_id: 2}
        status, board = call(watch, "GET", f"/api/v1/halls/{hall_id}/board")
        assert status == 200
        assert {q["code"]: q["next"] for q in board["waiting"]}["B"] == ["B001", "B002"]

        seen = 2
        if can_call:
            status, body = call(act, "POST", f"/api/v1/windows/{window3}/call", {},
                                token(act, clerk, PASSWORD))
            assert status == 200, body
            seen += 1
            called = hall_events(stream.wait_for(lambda events: len(hall_events(events)) >= seen))[-1]
            assert (called["kind"], called["number"], called["window"]) == ("called", "B001", 3)
            status, board = call(watch, "GET", f"/api/v1/halls/{hall_id}/board")
            assert board["calls"][0]["number"] == "B001" and board["calls"][0]["window"] == 3

        status, body = call(act, "POST", f"/api/v1/tickets/{numbers[1][0]}/cancel", {}, tokens[1])
        assert status == 200, body
        seen += 1
        cancelled = hall_events(stream.wait_for(lambda events: len(hall_events(events)) >= seen))[-1]
        assert (cancelled["kind"], cancelled["number"]) == ("cancelled", "B002")
        stream.close()


def _windows(app, hall_id: str) -> list[dict]:
    response = app.test_client().get("/api/v1/halls")
    return next(h for h in response.get_json() if h["id"] == hall_id)["windows"]
