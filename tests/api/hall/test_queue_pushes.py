"""Silent calling's "your turn is coming" (无声叫号): when the queue moves so that only two
are ahead of a ticket, its holder's browsers get one push — decrypted and its VAPID checked
by a push service on 127.0.0.1 — and never a second one for the same ticket."""

from __future__ import annotations

import pytest

from backend.jobs import worker
from tests import factories
from tests.factories import HALL_CENTRE
from tests.push_receiver import PushReceiver


def drain(app, db) -> bool:
    # Requests here share the test's session; on SQLite its open transaction would hold
    # the write lock the job worker needs.
    db.session.rollback()
    return worker.local(app).drain()


@pytest.fixture
def receiver():
    server = PushReceiver()
    yield server
    server.close()


def test_the_third_in_line_is_told_once(app, client, db, login_as, receiver):
    hall = factories.make_hall()
    service_id = str(factories.hall_service(hall, "A").id)
    people = []
    for n in range(5):
        headers = login_as(factories.make_user(roles=("citizen",)))
        browser = receiver.browser(f"c{n}")
        assert client.post("/api/v1/push/subscriptions", headers=headers,
                           json=browser.subscription(receiver.origin)).status_code == 201
        ticket = client.post(f"/api/v1/halls/{hall.id}/tickets", headers=headers, json={
            "service_id": service_id, "lat": HALL_CENTRE[0], "lon": HALL_CENTRE[1]}).get_json()
        people.append((headers, ticket))
    assert drain(app, db)
    # The first three saw their place when they took their numbers: nobody is told yet.
    assert receiver.deliveries == [] and receiver.errors == []

    first_headers, first = people[0]
    assert client.post(f"/api/v1/tickets/{first['id']}/cancel", json={},
                       headers=first_headers).status_code == 200
    assert drain(app, db)
    assert receiver.errors == []
    (message,) = receiver.messages("c3")
    assert message["kind"] == "ticket_near" and message["number"] == "A004"
    assert message["ahead"] == 2 and message["url"] == f"/#/tickets/{people[3][1]['id']}"
    assert receiver.messages("c4") == []

    # The queue moves again: A004 is not told twice, A005 now is.
    second_headers, second = people[1]
    client.post(f"/api/v1/tickets/{second['id']}/cancel", json={}, headers=second_headers)
    assert drain(app, db)
    assert len(receiver.messages("c3")) == 1
    assert [m["number"] for m in receiver.messages("c4")] == ["A005"]
