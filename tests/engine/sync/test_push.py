"""Push: exactly once, in order, rejected mutations don't block, malformed batches apply nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from backend.sync_adapter.models import SyncConflict
from tests.factories import G1
from tests.helpers import count_reports, report_fields
from tests.sync_client import Phone, iso


def test_a_new_report_is_applied_with_its_server_fields(client, field_city, db):
    phone = Phone(client, "w1")
    rid = phone.create("reports", report_fields())
    body = phone.push()
    assert body["last_mid"] == 1
    result = body["results"][0]
    assert result["status"] == "applied" and result["version"] == 1 and result["id"] == rid
    record = result["record"]
    assert record["status"] == "reported" and record["reporter_id"] == str(field_city.w1.id)
    assert record["grid_id"] == str(field_city.city["D1S1C1G1"].id)
    assert record["code"] == "D1202611220001"  # the district, the city's date, the first number
    # 48 working hours from Sunday 16:00: Monday to Friday (37.5 h), Monday 30th (7.5 h), 3 h
    # of Tuesday morning (08:30 + 3 h = 11:30 in Shanghai).
    assert record["deadline_at"] == "2026-12-01T03:30:00Z"


def test_case_codes_are_district_date_and_a_running_number(client, field_city, db):
    phone = Phone(client, "w1")
    for _ in range(3):
        phone.create("reports", report_fields())
    codes = [r["record"]["code"] for r in phone.push()["results"]]
    # The small city's district code is D1; the city's date of 08:00 UTC is 2026-11-22.
    assert codes == ["D1202611220001", "D1202611220002", "D1202611220003"]


def test_the_same_batch_twice_applies_once_and_returns_the_first_results(client, field_city, db):
    phone = Phone(client, "w1")
    phone.create("reports", report_fields())
    phone.create("reports", report_fields())
    batch = list(phone.outbox)
    first = phone.push(mutations=batch)
    again = phone.push(mutations=batch)
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert [r["original"]["status"] for r in again["results"]] == ["applied", "applied"]
    assert again["results"][0]["record"] == first["results"][0]["record"]
    assert count_reports(db) == 2


def test_a_lost_response_then_a_retry_applies_once(client, field_city, db):
    phone = Phone(client, "w1")
    phone.create("reports", report_fields())
    phone.push(lose_response=True)
    phone.create("reports", report_fields())
    body = phone.push()
    assert [r["status"] for r in body["results"]] == ["duplicate", "applied"]
    assert count_reports(db) == 2


def test_a_gap_stops_the_batch_at_the_last_applied_mid(client, field_city, db):
    phone = Phone(client, "w1")
    phone.create("reports", report_fields())
    phone.create("reports", report_fields())
    phone.create("reports", report_fields())
    body = phone.push(mutations=[phone.outbox[0], phone.outbox[2]])
    assert body["last_mid"] == 1 and len(body["results"]) == 1
    assert count_reports(db) == 1
    body = phone.push()  # the client re-sends from last_mid + 1
    assert body["last_mid"] == 3 and count_reports(db) == 3


def test_a_rejected_mutation_does_not_block_the_ones_after_it(client, field_city, db):
    phone = Phone(client, "w1")
    phone.create("reports", report_fields(category="no.such.category"))
    phone.create("reports", report_fields())
    body = phone.push()
    assert [r["status"] for r in body["results"]] == ["rejected", "applied"]
    assert body["results"][0]["error"]["code"] == "unknown_category"
    assert body["last_mid"] == 2 and phone.outbox == []


@pytest.mark.parametrize("collection,fields,code", [
    ("nonsense", {"a": 1}, "unknown_collection"),
    ("regions", {"name": "x"}, "read_only"),
    ("reports", report_fields(code="X1"), "server_owned_field"),
    ("reports", report_fields(version=3), "server_owned_field"),
    ("reports", report_fields(colour="red"), "unknown_field"),
    ("reports", report_fields(lat=200), "invalid_fields"),
    ("reports", report_fields(reported_at="yesterday"), "invalid_fields"),
    ("reports", report_fields(reported_at="2026-11-22T08:00:00"), "invalid_fields"),
    ("reports", report_fields(description="x" * 2001), "invalid_fields"),
    ("reports", report_fields(photos=["not-a-hash"]), "invalid_fields"),
    ("reports", report_fields(point=(39.9, 116.4)), "outside_city"),
    ("reports", report_fields(status="closed"), "invalid_transition"),
    ("track_points", {"patrol_id": str(uuid.uuid4()), "lat": 35.0, "lon": 118.3,
                      "recorded_at": "2026-11-22T08:00:00Z"}, "unknown_patrol"),
])
def test_bad_mutations_are_rejected_with_a_clear_code_and_nothing_applied(
        client, field_city, db, collection, fields, code):
    phone = Phone(client, "w1")
    phone.create(collection, fields)
    result = phone.push()["results"][0]
    assert result["status"] == "rejected" and result["error"]["code"] == code, result
    assert count_reports(db) == 0


def _raw_push(client, headers, body):
    return client.post("/api/v1/sync/push", headers=headers, json=body)


def _mutation(**override):
    base = {"mid": 1, "collection": "reports", "id": str(uuid.uuid4()), "op": "create",
            "base_version": None, "fields": report_fields(), "client_time": "2026-11-22T08:00:00Z"}
    return {**base, **override}


@pytest.mark.parametrize("body", [
    [], "push", {"mutations": []}, {"client_id": "not-a-uuid", "mutations": []},
    {"client_id": str(uuid.uuid4()), "mutations": {}},
    {"client_id": str(uuid.uuid4()), "mutations": [], "extra": 1},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(mid=0)]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(mid=-3)]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(mid="1")]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(mid=1.5)]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(id="nope")]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(op="upsert")]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(fields=[1])]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(client_time="now")]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(client_time="2026-11-22T08:00:00")]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(base_version=2)]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(op="update", base_version=None)]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(mid=1), _mutation(mid=1)]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(mid=2), _mutation(mid=1)]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(), "x"]},
    {"client_id": str(uuid.uuid4()), "mutations": [_mutation(surprise=True)]},
])
def test_a_malformed_push_is_400_and_applies_nothing(client, field_city, db, login_as, body):
    # The first mutation is always valid on its own: nothing of the batch may apply.
    response = _raw_push(client, login_as("w1"), body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] in {"malformed_push"}
    assert count_reports(db) == 0


def test_malformed_json_is_400(client, field_city, login_as):
    response = client.post("/api/v1/sync/push", headers=login_as("w1"), data="{oops",
                           content_type="application/json")
    assert response.status_code == 400


def test_too_many_mutations_is_413_and_applies_nothing(app, client, field_city, db, login_as):
    mutations = [_mutation(mid=i) for i in range(1, app.config["SYNC_MAX_MUTATIONS"] + 2)]
    response = _raw_push(client, login_as("w1"), {"client_id": str(uuid.uuid4()), "mutations": mutations})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "batch_too_large"
    assert count_reports(db) == 0


def test_too_many_bytes_is_413(app, client, field_city, login_as):
    body = {"client_id": str(uuid.uuid4()),
            "mutations": [_mutation(fields=report_fields(description="x" * (app.config["SYNC_MAX_BATCH_BYTES"])))]}
    response = _raw_push(client, login_as("w1"), body)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_another_users_client_id_is_403(client, field_city, db):
    mine = Phone(client, "w1")
    mine.create("reports", report_fields())
    mine.push()
    thief = Phone(client, "w2", client_id=mine.client_id)
    thief.create("reports", report_fields())
    response = client.post("/api/v1/sync/push", headers=thief.headers,
                           json={"client_id": mine.client_id, "mutations": thief.outbox})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "client_not_yours"
    pull = client.get("/api/v1/sync/pull", headers=thief.headers,
                      query_string={"client_id": mine.client_id})
    assert pull.status_code == 403
    assert count_reports(db) == 1


def test_push_needs_a_token(client, field_city):
    assert client.post("/api/v1/sync/push", json={}).status_code == 401


def test_append_only_records_cannot_change(client, field_city, db):
    phone = Phone(client, "w1")
    patrol = phone.create("patrols", {"started_at": "2026-11-22T08:00:00Z"})
    point = phone.create("track_points", {"patrol_id": patrol, "lat": G1[0], "lon": G1[1],
                                          "accuracy_m": 5, "recorded_at": "2026-11-22T08:00:05Z"})
    phone.push()
    phone.update("track_points", point, {"lat": G1[0] + 0.0001})
    phone.delete("track_points", point)
    results = phone.push()["results"]
    assert [r["error"]["code"] for r in results] == ["immutable", "immutable"]


def test_repeating_an_append_only_create_is_a_no_op_but_different_content_is_rejected(client, field_city, db):
    phone = Phone(client, "w1")
    fields = {"kind": "in", "lat": G1[0], "lon": G1[1], "accuracy_m": 8,
              "punched_at": "2026-11-22T07:58:00Z"}
    punch = phone.create("attendance", fields)
    phone.create("attendance", fields, record_id=punch)
    phone.create("attendance", {**fields, "kind": "out"}, record_id=punch)
    statuses = [(r["status"], r.get("error", {}).get("code")) for r in phone.push()["results"]]
    assert statuses == [("applied", None), ("applied", None), ("rejected", "id_taken")]


def test_server_time_and_device_clock_skew_are_recorded_for_a_punch(client, field_city, db):
    phone = Phone(client, "w1")
    phone.create("attendance", {"kind": "in", "lat": G1[0], "lon": G1[1], "accuracy_m": 8,
                                "punched_at": "2026-11-22T07:58:00Z"})
    body = {"client_id": phone.client_id, "mutations": phone.outbox,
            "sent_at": iso(__import__("datetime").datetime(2000, 1, 1, tzinfo=__import__("datetime").timezone.utc))}
    result = client.post("/api/v1/sync/push", headers=phone.headers, json=body).get_json()["results"][0]
    assert result["record"]["clock_skew_s"] < -10 * 365 * 86400  # a phone stuck in 2000
    assert result["record"]["punched_at"] == "2026-11-22T07:58:00Z"


def test_nothing_is_written_to_conflicts_by_a_plain_push(client, field_city, db):
    phone = Phone(client, "w1")
    phone.create("reports", report_fields())
    phone.push()
    assert db.session.scalar(select(func.count()).select_from(SyncConflict)) == 0
