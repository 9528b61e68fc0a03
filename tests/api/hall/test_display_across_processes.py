"""The hall's display across processes: two gunicorn servers on one database; a number taken
and given up through one reaches the hall's public stream opened on the other, and the
other's board shows it. On PostgreSQL through its NOTIFY and through Redis, on SQLite through
Redis (a channel of the test's own)."""

from __future__ import annotations

import pytest

from backend.extensions import db as _db
from tests import factories
from tests.app_servers import HttpStream, call, gunicorns, token
from tests.factories import HALL_CENTRE, PASSWORD


def brokers(app) -> list[str]:
    return ["postgresql", "redis"] if app.config["TEST_DATABASE"] == "postgresql" else ["redis"]


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["postgresql", "redis"])
def test_a_take_through_one_server_reaches_the_hall_display_on_the_other(app, db, tmp_path,
                                                                         broker):
    if broker not in brokers(app):
        pytest.skip("PostgreSQL's NOTIFY needs PostgreSQL")
    hall = factories.make_hall()
    hall_id, service_id = str(hall.id), str(factories.hall_service(hall, "B").id)
    citizen = factories.make_user("hallwatcher", roles=("citizen",)).username
    _db.session.remove()  # SQLite: no write lock held by the test while the servers write
    with gunicorns(app, tmp_path, broker=broker) as (watch, act):
        stream = HttpStream(watch, f"/api/v1/halls/{hall_id}/events")  # no sign-in
        citizen_token = token(act, citizen, PASSWORD)
        status, ticket = call(act, "POST", f"/api/v1/halls/{hall_id}/tickets",
                              {"service_id": service_id, "lat": HALL_CENTRE[0],
                               "lon": HALL_CENTRE[1]}, citizen_token)
        assert status == 201, ticket

        def hall_events(events):
            return [data for name, data in events if name == "hall"]

        taken = hall_events(stream.wait_for(lambda events: hall_events(events)))[0]
        assert (taken["kind"], taken["number"]) == ("taken", ticket["number"])
        assert taken["waiting"] == {service_id: 1}
        status, board = call(watch, "GET", f"/api/v1/halls/{hall_id}/board")
        assert status == 200
        assert {q["code"]: q["next"] for q in board["waiting"]}["B"] == [ticket["number"]]

        status, body = call(act, "POST", f"/api/v1/tickets/{ticket['id']}/cancel", {},
                            citizen_token)
        assert status == 200, body
        events = stream.wait_for(lambda events: len(hall_events(events)) >= 2)
        assert hall_events(events)[1]["kind"] == "cancelled"
        assert hall_events(events)[1]["waiting"].get(service_id, 0) == 0
        stream.close()
