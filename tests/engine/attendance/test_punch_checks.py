"""A punch on sync: the server's fence verdict, the accuracy flag, clock skew, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from geopy.distance import geodesic

from tests.factories import CELL, G1, G3, ORIGIN_LAT, ORIGIN_LON
from tests.helpers import punch_fields, push_one
from tests.sync_client import Phone, iso


def test_punch_inside_the_grid_is_inside_at_zero_metres(client, field_city, db):
    record = push_one(client, Phone(client, "w1"), punch_fields())["record"]
    assert record["inside_fence"] is True and record["distance_m"] == 0
    assert record["accuracy_flagged"] is False


def test_punch_on_the_edge_of_the_grid_is_inside(client, field_city, db):
    record = push_one(client, Phone(client, "w1"), punch_fields((ORIGIN_LAT, G1[1])))["record"]
    assert record["inside_fence"] is True and record["distance_m"] == 0


def test_punch_a_metre_outside_the_edge_is_outside_by_a_metre(client, field_city, db):
    lat, lon = geodesic(meters=1).destination((ORIGIN_LAT, G1[1]), bearing=180)[:2]
    record = push_one(client, Phone(client, "w1"), punch_fields((lat, lon)))["record"]
    assert record["inside_fence"] is False
    assert record["distance_m"] == pytest.approx(1.0, abs=0.02)


def test_punch_outside_fence_is_kept_and_flagged_with_its_reason(client, field_city, db):
    result = push_one(client, Phone(client, "w1"), punch_fields(G3, reason="社区会议"))
    assert result["status"] == "applied"
    record = result["record"]
    assert record["inside_fence"] is False and record["reason"] == "社区会议"
    # From G3's centre to the east edge of G1 (one and a half cells of longitude away).
    edge = (G3[0], ORIGIN_LON + CELL)
    assert record["distance_m"] == pytest.approx(geodesic(G3, edge).m, rel=2e-3)


def test_the_phones_own_verdict_is_refused(client, field_city, db):
    result = push_one(client, Phone(client, "w1"), punch_fields(G3, inside_fence=True))
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "server_owned_field"


@pytest.mark.parametrize("accuracy_m, flagged", [(8, False), (50, False), (50.5, True),
                                                 (400, True), (None, True)])
def test_poor_or_unknown_gps_accuracy_is_flagged(client, field_city, db, accuracy_m, flagged):
    record = push_one(client, Phone(client, "w1"), punch_fields(accuracy_m=accuracy_m))["record"]
    assert record["accuracy_flagged"] is flagged
    assert record["inside_fence"] is True  # flagged, not overruled


def test_a_skewed_device_clock_is_recorded_and_its_device_time_kept(client, field_city, db):
    now = datetime.now(UTC)
    ahead = now + timedelta(hours=3)
    record = push_one(client, Phone(client, "w1"), punch_fields(punched_at=iso(ahead - timedelta(minutes=5))),
                      sent_at=ahead)["record"]
    assert record["clock_skew_s"] == pytest.approx(3 * 3600, abs=30)
    assert record["punched_at"] == iso(ahead - timedelta(minutes=5))


def test_a_punch_far_in_the_future_is_rejected(client, field_city, db):
    result = push_one(client, Phone(client, "w1"), punch_fields(punched_at="2099-01-01T00:00:00Z"))
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "punched_in_future"


def test_a_punch_just_beyond_the_skew_allowance_is_rejected(client, field_city, db, app):
    allowance = app.config["ATTENDANCE_CLOCK_SKEW_ALLOWANCE_S"]
    late = datetime.now(UTC) + timedelta(seconds=allowance + 60)
    result = push_one(client, Phone(client, "w1"), punch_fields(punched_at=iso(late)), sent_at=late)
    assert result["error"]["code"] == "punched_in_future"


def test_a_punch_before_the_device_clock_reset_keeps_its_time(client, field_city, db):
    # Punched with a good clock; the battery died and the phone woke up in 2000.
    record = push_one(client, Phone(client, "w1"), punch_fields(),
                      sent_at=datetime(2000, 1, 1, tzinfo=UTC))["record"]
    assert record["punched_at"] == "2026-11-22T00:58:00Z"
    assert record["clock_skew_s"] < -20 * 365 * 86400


@pytest.mark.parametrize("bad", [{"lat": 91.0}, {"lat": -90.5}, {"lon": 180.5}, {"lon": -181},
                                 {"accuracy_m": -1}, {"kind": "lunch"},
                                 {"punched_at": "2026-11-22T08:00:00"},  # no zone
                                 {"reason": "x" * 501}])
def test_bad_punch_fields_are_rejected_with_the_field_named(client, field_city, db, bad):
    result = push_one(client, Phone(client, "w1"), punch_fields(**bad))
    assert result["status"] == "rejected" and result["error"]["code"] == "invalid_fields"
    assert set(bad) <= set(result["error"]["details"]["fields"])


def test_only_workers_punch(client, field_city, db):
    result = push_one(client, Phone(client, "boss"), punch_fields())
    assert result["error"]["code"] == "forbidden"


def test_a_worker_without_a_grid_has_no_fence_verdict(client, field_city, db):
    from tests.factories import make_user

    make_user("loose", roles=["worker"])
    record = push_one(client, Phone(client, "loose"), punch_fields())["record"]
    assert record["inside_fence"] is None and record["distance_m"] is None
