"""Setting up a hall from the API: the hall and its opening hours, services (synced
reference data, soft removal), windows with their services and clerk, managers, the audit
trail."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.queue.models import Hall, Service, Window, hall_managers
from backend.sync_adapter.models import SyncChange
from tests import factories
from tests.factories import HALL_CENTRE

HOURS = {"1": [["08:30", "12:00"], ["13:30", "17:30"]], "6": [["09:00", "24:00"]]}


@pytest.fixture
def admin(login_as):
    return login_as(factories.make_user("root", roles=("admin",)))


def _hall_body(**extra):
    return {"name": "罗庄区政务服务中心", "address": "罗庄街道 1 号", "lat": 35.0, "lon": 118.3,
            "fence_radius_m": 120, "opening_hours": HOURS, "wait_alert_min": 25,
            "idle_alert_min": 4, **extra}


def _logged(db, collection, record_id):
    """The sync log's row of a record: its newest version, whether removed, and its seq."""
    row = db.session.get(SyncChange, (collection, uuid.UUID(str(record_id))))
    return (row.version, row.deleted, row.seq) if row else None


def test_an_admin_adds_a_hall_and_changes_it(client, db, admin):
    response = client.post("/api/v1/halls", json=_hall_body(), headers=admin)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "罗庄区政务服务中心" and body["opening_hours"] == HOURS
    assert body["services"] == [] and body["windows"] == [] and body["wait_alert_min"] == 25
    hall_id = body["id"]
    assert hall_id in {h["id"] for h in client.get("/api/v1/halls").get_json()}
    changed = client.patch(f"/api/v1/halls/{hall_id}", headers=admin,
                           json={"fence_radius_m": 200, "opening_hours": {"7": [["10:00", "16:00"]]}})
    assert changed.status_code == 200
    assert changed.get_json()["fence_radius_m"] == 200
    assert changed.get_json()["opening_hours"] == {"7": [["10:00", "16:00"]]}
    hall = db.session.get(Hall, uuid.UUID(hall_id))
    assert hall.version == 2
    # Synced reference data: the new version logged for phones.
    assert _logged(db, "halls", hall_id)[:2] == (2, False)
    audited = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.target_id == hall_id).order_by(AuditEvent.at)).all()
    assert audited == ["hall.created", "hall.updated"]
    updated = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "hall.updated"))
    assert updated.details["fence_radius_m"] == {"from": 120, "to": 200}


@pytest.mark.parametrize("hours, says", [
    ({"8": [["08:00", "12:00"]]}, "weekday"),
    ({"1": [["12:00", "08:00"]]}, "ends before it starts"),
    ({"1": [["08:00", "12:00"], ["11:00", "13:00"]]}, "overlap"),
    ({"1": [["13:00", "17:00"], ["08:00", "12:00"]]}, "in order"),
    ({"1": [["8:00", "12:00"]]}, "time of day"),
    ({"1": [["08:00", "24:01"]]}, "time of day"),
    ({"1": [["24:00", "24:00"]]}, "time of day"),
    ({"1": [["08:00"]]}, "HH:MM"),
    ({"1": "08:00-12:00"}, "list"),
    ([["08:00", "12:00"]], "mapping"),
])
def test_wrong_opening_hours_are_refused_with_a_clear_message(client, hall, admin, hours, says):
    response = client.patch(f"/api/v1/halls/{hall.id}", json={"opening_hours": hours},
                            headers=admin)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] in ("invalid_opening_hours", "validation_error")
    assert says in error["message"] or says in str(error.get("fields"))


def test_a_day_may_end_at_midnight_and_empty_days_are_closed(client, hall, admin):
    response = client.patch(f"/api/v1/halls/{hall.id}", headers=admin,
                            json={"opening_hours": {"1": [["00:00", "12:00"], ["12:00", "24:00"]],
                                                    "2": []}})
    assert response.status_code == 200
    assert response.get_json()["opening_hours"] == {"1": [["00:00", "12:00"], ["12:00", "24:00"]]}


def test_services_are_added_changed_and_removed_softly(client, db, hall, admin):
    assert _logged(db, "halls", hall.id)[:2] == (1, False)
    response = client.post(f"/api/v1/halls/{hall.id}/services", headers=admin,
                           json={"code": "D", "name": "公积金", "avg_service_min": 6,
                                 "time_limit_min": 15, "daily_limit": 0, "sort_order": 4})
    assert response.status_code == 201, response.get_json()
    service = response.get_json()
    assert service["code"] == "D" and service["daily_limit"] == 0
    added_seq = _logged(db, "services", service["id"])[2]
    taken = client.post(f"/api/v1/halls/{hall.id}/services", headers=admin,
                        json={"code": "A", "name": "重复"})
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "service_code_taken"
    for code in ("d", "ABC", "1", "A1", ""):
        bad = client.post(f"/api/v1/halls/{hall.id}/services", headers=admin,
                          json={"code": code, "name": "x"})
        assert bad.status_code == 422, code
    renamed = client.patch(f"/api/v1/services/{service['id']}", headers=admin,
                           json={"name": "住房公积金", "code": "GJ"})
    assert renamed.status_code == 200 and renamed.get_json()["code"] == "GJ"
    clash = client.patch(f"/api/v1/services/{service['id']}", headers=admin, json={"code": "B"})
    assert clash.status_code == 409
    assert client.delete(f"/api/v1/services/{service['id']}", headers=admin).status_code == 204
    row = db.session.get(Service, uuid.UUID(service["id"]))
    assert row.deleted and row.version == 3
    version, deleted, seq = _logged(db, "services", service["id"])
    assert (version, deleted) == (3, True) and seq > added_seq
    # Gone from the hall and from its windows; its letters are free again.
    halls = client.get("/api/v1/halls").get_json()
    assert "GJ" not in {s["code"] for s in halls[0]["services"]}
    assert client.patch(f"/api/v1/services/{service['id']}", headers=admin,
                        json={"name": "x"}).status_code == 404
    again = client.post(f"/api/v1/halls/{hall.id}/services", headers=admin,
                        json={"code": "GJ", "name": "住房公积金"})
    assert again.status_code == 201
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.startswith("hall.service"))).all()
    assert sorted(actions) == sorted(["hall.service_added", "hall.service_updated",
                                      "hall.service_removed", "hall.service_added"])


def test_a_service_with_open_numbers_stays(client, db, hall, admin, login_as):
    service = factories.hall_service(hall, "A")
    citizen = login_as(factories.make_user(roles=("citizen",)))
    ticket = client.post(f"/api/v1/halls/{hall.id}/tickets", headers=citizen,
                         json={"service_id": str(service.id), "lat": HALL_CENTRE[0],
                               "lon": HALL_CENTRE[1]}).get_json()
    refused = client.delete(f"/api/v1/services/{service.id}", headers=admin)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "service_in_use"
    assert refused.get_json()["error"]["open_tickets"] == 1
    # While it has numbers given today, its letters stay its own, even once removed.
    client.post(f"/api/v1/tickets/{ticket['id']}/cancel", headers=citizen)
    assert client.delete(f"/api/v1/services/{service.id}", headers=admin).status_code == 204
    reuse = client.post(f"/api/v1/halls/{hall.id}/services", headers=admin,
                        json={"code": "A", "name": "新服务"})
    assert reuse.status_code == 409 and "tomorrow" in reuse.get_json()["error"]["message"]


def test_a_window_handles_several_services_and_a_clerk_sits_at_one_window(client, db, hall,
                                                                            admin):
    a, b = factories.hall_service(hall, "A"), factories.hall_service(hall, "B")
    clerk = factories.make_clerk(hall, 2, "clerk9")
    response = client.post(f"/api/v1/halls/{hall.id}/windows", headers=admin,
                           json={"number": 5, "label": "综合窗口",
                                 "service_ids": [str(a.id), str(b.id)], "clerk_id": str(clerk.id)})
    assert response.status_code == 201, response.get_json()
    window = response.get_json()
    assert window["number"] == 5 and window["staffed"] is True
    assert set(window["service_ids"]) == {str(a.id), str(b.id)}
    assert window["clerk"]["username"] == "clerk9"
    # The clerk left window 2 for window 5.
    windows = {w["number"]: w for w in client.get(f"/api/v1/halls/{hall.id}/windows",
                                                  headers=admin).get_json()}
    assert windows[2]["clerk"] is None and windows[5]["clerk"]["id"] == str(clerk.id)
    public = {w["number"]: w for w in client.get("/api/v1/halls").get_json()[0]["windows"]}
    assert public[5]["staffed"] and not public[2]["staffed"]
    # Same number: 409; no services, another hall's service, or a non-clerk: 422.
    dup = client.post(f"/api/v1/halls/{hall.id}/windows", headers=admin,
                      json={"number": 1, "service_ids": [str(a.id)]})
    assert dup.status_code == 409 and dup.get_json()["error"]["code"] == "window_number_taken"
    other_hall = factories.make_hall()
    foreign = factories.hall_service(other_hall, "A")
    for body in ({"number": 6, "service_ids": []},
                 {"number": 6, "service_ids": [str(foreign.id)]},
                 {"number": 6, "service_ids": [str(uuid.uuid4())]},
                 {"number": 6, "service_ids": [str(a.id)],
                  "clerk_id": str(factories.make_user(roles=("citizen",)).id)}):
        assert client.post(f"/api/v1/halls/{hall.id}/windows", headers=admin,
                           json=body).status_code == 422, body
    # Changing it: services, number, and the clerk taken away.
    patched = client.patch(f"/api/v1/windows/{window['id']}", headers=admin,
                           json={"service_ids": [str(b.id)], "number": 7, "clerk_id": None})
    assert patched.status_code == 200
    assert patched.get_json()["service_ids"] == [str(b.id)]
    assert patched.get_json()["number"] == 7 and patched.get_json()["clerk"] is None
    assert client.patch(f"/api/v1/windows/{window['id']}", headers=admin,
                        json={"number": 1}).status_code == 409
    assert client.delete(f"/api/v1/windows/{window['id']}", headers=admin).status_code == 204
    assert db.session.get(Window, uuid.UUID(window["id"])) is None
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.target_id == window["id"]).order_by(AuditEvent.at)).all()
    assert actions == ["hall.window_added", "hall.window_updated", "hall.window_removed"]


def test_a_window_with_a_clerk_or_a_number_being_served_stays(client, db, hall, admin, login_as):
    from backend.queue.models import CALLED, Ticket

    window = db.session.scalar(select(Window).where(Window.hall_id == hall.id,
                                                    Window.number == 2))
    factories.make_clerk(hall, 2)
    staffed = client.delete(f"/api/v1/windows/{window.id}", headers=admin)
    assert staffed.status_code == 409 and staffed.get_json()["error"]["code"] == "window_staffed"
    client.patch(f"/api/v1/windows/{window.id}", headers=admin, json={"clerk_id": None})
    service = factories.hall_service(hall, "A")
    citizen = login_as(factories.make_user(roles=("citizen",)))
    ticket = client.post(f"/api/v1/halls/{hall.id}/tickets", headers=citizen,
                         json={"service_id": str(service.id), "lat": HALL_CENTRE[0],
                               "lon": HALL_CENTRE[1]}).get_json()
    row = db.session.get(Ticket, uuid.UUID(ticket["id"]))
    row.status, row.window_id = CALLED, window.id
    db.session.commit()
    busy = client.delete(f"/api/v1/windows/{window.id}", headers=admin)
    assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "window_in_use"


def test_a_clerk_serving_a_number_stays_at_their_window(client, db, hall, admin, login_as):
    from backend.queue.models import CALLED, Ticket

    clerk = factories.make_clerk(hall, 2)
    window2, window3 = (db.session.scalar(select(Window).where(Window.hall_id == hall.id,
                                                               Window.number == n)) for n in (2, 3))
    service = factories.hall_service(hall, "A")
    citizen = login_as(factories.make_user(roles=("citizen",)))
    ticket = client.post(f"/api/v1/halls/{hall.id}/tickets", headers=citizen,
                         json={"service_id": str(service.id), "lat": HALL_CENTRE[0],
                               "lon": HALL_CENTRE[1]}).get_json()
    row = db.session.get(Ticket, uuid.UUID(ticket["id"]))
    row.status, row.window_id, row.clerk_id = CALLED, window2.id, clerk.id
    db.session.commit()
    moved = client.patch(f"/api/v1/windows/{window3.id}", headers=admin,
                         json={"clerk_id": str(clerk.id)})
    assert moved.status_code == 409 and moved.get_json()["error"]["code"] == "clerk_busy"
    unbound = client.patch(f"/api/v1/windows/{window2.id}", headers=admin, json={"clerk_id": None})
    assert unbound.status_code == 409 and unbound.get_json()["error"]["code"] == "window_in_use"
    # Other changes to the window are fine meanwhile.
    assert client.patch(f"/api/v1/windows/{window2.id}", headers=admin,
                        json={"label": "综合"}).status_code == 200
    row = db.session.get(Ticket, uuid.UUID(ticket["id"]))
    row.status = "done"
    db.session.commit()
    assert client.patch(f"/api/v1/windows/{window3.id}", headers=admin,
                        json={"clerk_id": str(clerk.id)}).status_code == 200


def test_managers_are_set_as_a_whole(client, db, hall, admin):
    m1 = factories.make_user("m1", roles=("hall_manager",))
    m2 = factories.make_user("m2", roles=("hall_manager",))
    clerk = factories.make_user("c1", roles=("clerk",))
    response = client.put(f"/api/v1/halls/{hall.id}/managers", headers=admin,
                          json={"user_ids": [str(m1.id), str(m2.id)]})
    assert response.status_code == 200
    assert [m["username"] for m in response.get_json()] == ["m1", "m2"]
    wrong = client.put(f"/api/v1/halls/{hall.id}/managers", headers=admin,
                       json={"user_ids": [str(m1.id), str(clerk.id)]})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "not_a_manager"
    assert wrong.get_json()["error"]["user_ids"] == [str(clerk.id)]
    one = client.put(f"/api/v1/halls/{hall.id}/managers", headers=admin,
                     json={"user_ids": [str(m2.id)]})
    assert [m["username"] for m in one.get_json()] == ["m2"]
    assert [m["username"] for m in client.get(f"/api/v1/halls/{hall.id}/managers",
                                              headers=admin).get_json()] == ["m2"]
    assert db.session.execute(select(hall_managers.c.user_id)).scalars().all() == [m2.id]
    changes = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "hall.managers_set").order_by(AuditEvent.at)).all()
    assert [e.details["removed"] for e in changes] == [[], [str(m1.id)]]


def test_only_admins_set_halls_up(client, hall, login_as):
    manager = login_as(factories.make_user(roles=("hall_manager",)))
    assert client.post("/api/v1/halls", json=_hall_body(), headers=manager).status_code == 403
    assert client.patch(f"/api/v1/halls/{hall.id}", json={"name": "x"},
                        headers=manager).status_code == 403
    assert client.post(f"/api/v1/halls/{uuid.uuid4()}/services", json={"code": "Z", "name": "x"},
                       headers=login_as(factories.make_user(roles=("admin",)))).status_code == 404
