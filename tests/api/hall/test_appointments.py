"""Appointments (预约): slots kept by admins and the hall's managers, booked by citizens up to
their capacity (under concurrency too), cancelled to give the place back; a booked
citizen's number goes before earlier walk-ins once their slot begins."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditEvent
from backend.common.time import city_zone, utcnow
from backend.extensions import db as _db
from backend.queue import services as queue
from backend.queue.models import Appointment, AppointmentSlot
from tests import factories
from tests.factories import HALL_CENTRE


@pytest.fixture
def admin(login_as):
    return login_as(factories.make_user("root", roles=("admin",)))


def citizen(login_as):
    return login_as(factories.make_user(roles=("citizen",)))


def _at(minutes: float) -> datetime:
    return (utcnow() + timedelta(minutes=minutes)).replace(microsecond=0)


def add_slot(client, headers, service, *, starts_in=60, length=30, capacity=2):
    starts = _at(starts_in)
    return client.post(f"/api/v1/services/{service.id}/slots", headers=headers,
                       json={"starts_at": starts.isoformat(),
                             "ends_at": (starts + timedelta(minutes=length)).isoformat(),
                             "capacity": capacity})


def book(client, headers, slot_id):
    return client.post(f"/api/v1/slots/{slot_id}/appointments", json={}, headers=headers)


def _day(slot):
    return datetime.fromisoformat(slot["starts_at"]).astimezone(city_zone()).date().isoformat()


def test_slots_are_kept_by_admins_and_the_halls_own_managers(client, db, hall, admin, login_as):
    service = factories.hall_service(hall, "A")
    mine = factories.make_user("mgr", roles=("hall_manager",))
    queue.add_manager(hall, mine.id)
    db.session.commit()
    manager = login_as(mine)
    stranger = login_as(factories.make_user(roles=("hall_manager",)))
    first = add_slot(client, admin, service)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["free"] == 2 and first.get_json()["booked"] == 0
    assert add_slot(client, manager, service, starts_in=120).status_code == 201
    refused = add_slot(client, stranger, service, starts_in=180)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_hall_manager"
    assert add_slot(client, citizen(login_as), service, starts_in=180).status_code == 403
    # A second slot starting at the same time: 409.
    starts = datetime.fromisoformat(first.get_json()["starts_at"])
    dup = client.post(f"/api/v1/services/{service.id}/slots", headers=admin,
                      json={"starts_at": starts.isoformat(),
                            "ends_at": (starts + timedelta(minutes=10)).isoformat(),
                            "capacity": 1})
    assert dup.status_code == 409 and dup.get_json()["error"]["code"] == "slot_exists"
    # Times that make no slot: 422, never a 500.
    for starts_in, length, capacity in ((-30, 30, 2), (60, 0, 2), (60, -10, 2), (60, 30, 0),
                                        (60, 13 * 60, 2)):
        bad = add_slot(client, admin, service, starts_in=starts_in + 1000, length=length,
                       capacity=capacity) if starts_in > 0 else \
            add_slot(client, admin, service, starts_in=starts_in, length=length, capacity=capacity)
        assert bad.status_code == 422, (starts_in, length, capacity, bad.get_json())
    naive = client.post(f"/api/v1/services/{service.id}/slots", headers=admin,
                        json={"starts_at": "2030-01-01T09:00:00", "ends_at": "2030-01-01T09:30:00",
                              "capacity": 1})
    assert naive.status_code == 422
    # Removing: the manager may; a slot with a booking stays.
    slot_id = first.get_json()["id"]
    assert book(client, citizen(login_as), slot_id).status_code == 201
    held = client.delete(f"/api/v1/slots/{slot_id}", headers=manager)
    assert held.status_code == 409 and held.get_json()["error"]["code"] == "slot_booked"
    other = add_slot(client, admin, service, starts_in=240).get_json()
    assert client.delete(f"/api/v1/slots/{other['id']}", headers=stranger).status_code == 403
    assert client.delete(f"/api/v1/slots/{other['id']}", headers=manager).status_code == 204
    assert client.delete(f"/api/v1/slots/{other['id']}", headers=manager).status_code == 404
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.startswith("hall.slot"))).all()
    assert sorted(actions) == ["hall.slot_added"] * 3 + ["hall.slot_removed"]


def test_a_citizen_sees_free_places_books_and_cancels(client, db, hall, admin, login_as):
    service = factories.hall_service(hall, "A")
    slot = add_slot(client, admin, service, capacity=2).get_json()
    me, other = citizen(login_as), citizen(login_as)
    listed = client.get(f"/api/v1/services/{service.id}/slots?day={_day(slot)}", headers=me)
    assert listed.status_code == 200
    assert [(s["id"], s["free"], s["my_appointment_id"]) for s in listed.get_json()["items"]] == \
        [(slot["id"], 2, None)]
    booked = book(client, me, slot["id"])
    assert booked.status_code == 201, booked.get_json()
    appointment = booked.get_json()
    assert appointment["status"] == "booked" and appointment["can_cancel"] is True
    assert appointment["service"]["code"] == "A" and appointment["hall"]["name"] == "测试政务大厅"
    again = book(client, me, slot["id"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_booked"
    items = client.get(f"/api/v1/services/{service.id}/slots?day={_day(slot)}",
                       headers=me).get_json()["items"]
    assert items[0]["free"] == 1 and items[0]["my_appointment_id"] == appointment["id"]
    assert book(client, other, slot["id"]).status_code == 201
    full = book(client, citizen(login_as), slot["id"])
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "slot_full"
    # Mine only; someone else's is not there.
    mine = client.get("/api/v1/appointments", headers=me).get_json()["items"]
    assert [a["id"] for a in mine] == [appointment["id"]]
    assert client.delete(f"/api/v1/appointments/{appointment['id']}",
                         headers=other).status_code == 404
    # Cancelling gives the place back; the same slot may be booked again.
    assert client.delete(f"/api/v1/appointments/{appointment['id']}", headers=me).status_code == 204
    gone = client.delete(f"/api/v1/appointments/{appointment['id']}", headers=me)
    assert gone.status_code == 409 and gone.get_json()["error"]["code"] == "invalid_transition"
    assert db.session.get(AppointmentSlot, uuid.UUID(slot["id"])).booked == 1
    assert client.get("/api/v1/appointments", headers=me).get_json()["items"][0]["status"] == \
        "cancelled"
    assert book(client, me, slot["id"]).status_code == 201
    assert db.session.get(AppointmentSlot, uuid.UUID(slot["id"])).booked == 2


def test_past_slots_are_neither_shown_to_citizens_nor_booked(client, db, hall, admin, login_as):
    service = factories.hall_service(hall, "A")
    slot = add_slot(client, admin, service, starts_in=30).get_json()
    row = db.session.get(AppointmentSlot, uuid.UUID(slot["id"]))
    row.starts_at, row.ends_at = utcnow() - timedelta(minutes=5), utcnow() + timedelta(minutes=25)
    db.session.commit()
    day = utcnow().astimezone(city_zone()).date().isoformat()
    me = citizen(login_as)
    assert client.get(f"/api/v1/services/{service.id}/slots?day={day}",
                      headers=me).get_json()["items"] == []
    staff = client.get(f"/api/v1/services/{service.id}/slots?day={day}", headers=admin)
    assert [s["id"] for s in staff.get_json()["items"]] == [slot["id"]]
    late = book(client, me, slot["id"])
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "slot_past"
    assert book(client, me, str(uuid.uuid4())).status_code == 404
    assert client.get(f"/api/v1/services/{uuid.uuid4()}/slots", headers=me).status_code == 404
    assert client.get(f"/api/v1/services/{service.id}/slots?day=2026-13-01",
                      headers=me).status_code == 422


def test_a_booked_citizens_number_goes_before_earlier_walk_ins(client, db, hall, admin, login_as):
    service = factories.hall_service(hall, "A")
    slot = add_slot(client, admin, service, starts_in=60).get_json()
    booker = citizen(login_as)
    assert book(client, booker, slot["id"]).status_code == 201
    body = {"service_id": str(service.id), "lat": HALL_CENTRE[0], "lon": HALL_CENTRE[1]}
    walkers = [citizen(login_as) for _ in range(2)]
    walk_ins = [client.post(f"/api/v1/halls/{hall.id}/tickets", json=body,
                            headers=walker).get_json() for walker in walkers]
    assert [t["position"] for t in walk_ins] == [1, 2]
    # The slot's time comes (it began five minutes ago).
    row = db.session.get(AppointmentSlot, uuid.UUID(slot["id"]))
    row.starts_at, row.ends_at = utcnow() - timedelta(minutes=5), utcnow() + timedelta(minutes=25)
    db.session.commit()
    taken = client.post(f"/api/v1/halls/{hall.id}/tickets", json=body, headers=booker)
    assert taken.status_code == 201
    ticket = taken.get_json()
    assert ticket["number"] == "A003" and ticket["appointment"] is True
    assert ticket["position"] == 1 and ticket["ahead"] == 0
    # The walk-ins each moved one place back.
    assert [client.get(f"/api/v1/tickets/{t['id']}", headers=walker).get_json()["position"]
            for t, walker in zip(walk_ins, walkers, strict=True)] == [2, 3]
    mine = client.get("/api/v1/appointments", headers=booker).get_json()["items"]
    assert mine[0]["status"] == "used" and mine[0]["can_cancel"] is False


def test_the_used_booking_cannot_be_cancelled(client, db, hall, admin, login_as):
    service = factories.hall_service(hall, "A")
    slot = add_slot(client, admin, service).get_json()
    me = citizen(login_as)
    appointment = book(client, me, slot["id"]).get_json()
    db.session.get(Appointment, uuid.UUID(appointment["id"])).status = "used"
    db.session.commit()
    refused = client.delete(f"/api/v1/appointments/{appointment['id']}", headers=me)
    assert refused.status_code == 409
    assert db.session.get(AppointmentSlot, uuid.UUID(slot["id"])).booked == 1


@pytest.mark.postgresql_only
def test_more_citizens_than_places_book_at_once_and_exactly_capacity_succeed(app, client, db,
                                                                             hall, admin,
                                                                             login_as):
    capacity, crowd = 5, 24
    service = factories.hall_service(hall, "A")
    slot = add_slot(client, admin, service, capacity=capacity).get_json()
    headers = [citizen(login_as) for _ in range(crowd)]
    _db.session.remove()  # nothing of this thread's holds a lock or a connection
    start = threading.Barrier(crowd)
    answers: list[int | None] = [None] * crowd

    def attempt(index: int) -> None:
        # Each thread is a request of its own: its own app context, session and connection.
        with app.app_context():
            own = app.test_client()
            start.wait()
            answers[index] = own.post(f"/api/v1/slots/{slot['id']}/appointments", json={},
                                      headers=headers[index]).status_code
            _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(crowd)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answers) == [201] * capacity + [409] * (crowd - capacity), answers
    row = db.session.get(AppointmentSlot, uuid.UUID(slot["id"]))
    assert row.booked == capacity
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == capacity
