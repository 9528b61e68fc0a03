"""Taking a number (一键取号): the fence, hours, limits, one open ticket, idempotent retries,
and the place and wait the ticket shows."""

from __future__ import annotations

import uuid

from backend.queue.models import Ticket, TicketCounter
from tests import factories
from tests.factories import HALL_CENTRE

# ~1 m of latitude in degrees, here.
M = 1 / 111_000


def take(client, headers, hall, code="A", *, lat=HALL_CENTRE[0], lon=HALL_CENTRE[1], key=None,
         **extra):
    service = factories.hall_service(hall, code)
    body = {"service_id": str(service.id), "lat": lat, "lon": lon, **extra}
    if key:
        headers = {**headers, "Idempotency-Key": key}
    return client.post(f"/api/v1/halls/{hall.id}/tickets", json=body, headers=headers)


def citizen(login_as):
    return login_as(factories.make_user(roles=("citizen",)))


def test_inside_the_fence_a_citizen_gets_a_numbered_ticket_with_its_place(client, hall, login_as):
    first = take(client, citizen(login_as), hall)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["number"] == "A001" and body["status"] == "waiting"
    assert body["position"] == 1 and body["ahead"] == 0
    second = take(client, citizen(login_as), hall).get_json()
    assert second["number"] == "A002" and second["position"] == 2
    # 9 minutes a service (no history yet), one staffed window… none staffed: counted as one.
    assert second["estimated_wait_s"] == 9 * 60
    other = take(client, citizen(login_as), hall, "B").get_json()
    assert other["number"] == "B001" and other["position"] == 1


def test_the_fence_edge_and_the_accuracy_allowance(client, hall, login_as):
    # On the edge: inside.
    assert take(client, citizen(login_as), hall, lat=HALL_CENTRE[0] + 200 * M).status_code == 201
    # 20 m beyond, a 25 m fix: given the benefit of the doubt.
    assert take(client, citizen(login_as), hall, lat=HALL_CENTRE[0] + 220 * M,
                accuracy_m=25).status_code == 201
    # 60 m beyond with a 60 m fix: the allowance stops at 30 m.
    outside = take(client, citizen(login_as), hall, lat=HALL_CENTRE[0] + 260 * M, accuracy_m=60)
    assert outside.status_code == 403
    error = outside.get_json()["error"]
    assert error["code"] == "out_of_fence" and 55 <= error["distance_m"] <= 65
    # A fix that says nothing about where one is.
    coarse = take(client, citizen(login_as), hall, accuracy_m=500)
    assert coarse.status_code == 422 and coarse.get_json()["error"]["code"] == "position_too_coarse"
    # No position at all.
    service = factories.hall_service(hall, "A")
    missing = client.post(f"/api/v1/halls/{hall.id}/tickets", json={"service_id": str(service.id)},
                          headers=citizen(login_as))
    assert missing.status_code == 422
    assert {"lat", "lon"} <= set(missing.get_json()["error"]["fields"])


def test_far_away_is_out_of_the_fence_with_the_distance(client, hall, login_as):
    response = take(client, citizen(login_as), hall, lat=HALL_CENTRE[0] + 0.01)
    assert response.status_code == 403
    assert response.get_json()["error"]["distance_m"] > 800


def test_one_open_ticket_per_service(client, hall, login_as):
    headers = citizen(login_as)
    first = take(client, headers, hall).get_json()
    again = take(client, headers, hall)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "ticket_open"
    assert again.get_json()["error"]["ticket_id"] == first["id"]
    assert take(client, headers, hall, "B").status_code == 201  # another service is fine
    # Once given up, a new one may be taken — with the next number, the old one not reused.
    assert client.post(f"/api/v1/tickets/{first['id']}/cancel", headers=headers).status_code == 200
    assert take(client, headers, hall).get_json()["number"] == "A002"


def test_a_retried_take_with_the_same_key_gives_the_same_ticket(client, hall, login_as):
    headers, key = citizen(login_as), uuid.uuid4().hex
    first = take(client, headers, hall, key=key)
    retry = take(client, headers, hall, key=key)
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.get_json()["id"] == first.get_json()["id"]


def test_the_daily_limit_and_its_numbers_given_back(client, db, login_as):
    hall = factories.make_hall(daily_limit=2)
    take(client, citizen(login_as), hall)
    take(client, citizen(login_as), hall)
    full = take(client, citizen(login_as), hall)
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "daily_limit_reached"
    counter = db.session.query(TicketCounter).one()
    assert counter.last == 2  # the refused take's number went back
    assert db.session.query(Ticket).count() == 2


def test_a_closed_hall_says_when_it_opens(client, db, login_as):
    hall = factories.make_hall(hours={})
    response = take(client, citizen(login_as), hall)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "hall_closed"


def test_only_the_holder_reads_a_ticket(client, hall, login_as):
    headers = citizen(login_as)
    ticket = take(client, headers, hall).get_json()
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=headers).status_code == 200
    other = client.get(f"/api/v1/tickets/{ticket['id']}", headers=citizen(login_as))
    assert other.status_code == 404
    mine = client.get("/api/v1/tickets", headers=headers).get_json()["items"]
    assert [t["number"] for t in mine] == ["A001"]


def test_halls_are_public(client, hall):
    halls = client.get("/api/v1/halls").get_json()
    assert halls[0]["name"] == "测试政务大厅" and halls[0]["open_now"] is True
    assert {s["code"] for s in halls[0]["services"]} == {"A", "B", "C"}
    assert len(halls[0]["windows"]) == 4


def test_cancelling_twice_is_a_conflict_not_a_failure(client, hall, login_as):
    headers = citizen(login_as)
    ticket = take(client, headers, hall).get_json()
    assert client.post(f"/api/v1/tickets/{ticket['id']}/cancel", json={}, headers=headers).status_code == 200
    again = client.post(f"/api/v1/tickets/{ticket['id']}/cancel", json={}, headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"] == {"code": "invalid_transition", "ticket_status": "cancelled",
                                         "message": again.get_json()["error"]["message"]}
