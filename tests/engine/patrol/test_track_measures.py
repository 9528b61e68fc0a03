"""A patrol's track on sync: distance, duration and grid share from the server, jitter
flagged but kept, points late, out of order or twice."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from geopy.distance import geodesic

from tests.factories import CELL, ORIGIN_LON
from tests.helpers import WALK_START, count_points, length_m, start_patrol, walk
from tests.sync_client import BASE_TIME, Phone, iso


def add_points(phone: Phone, patrol: str, points: list[dict]) -> list[str]:
    return [phone.create("track_points", {"patrol_id": patrol, **p}) for p in points]


def patrol_record(phone: Phone, patrol: str) -> dict:
    phone.pull()
    return phone.held("patrols")[patrol]


def test_distance_of_a_known_track_is_the_geodesic_length(client, field_city, db):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    points = walk(30)
    add_points(phone, patrol, points)
    phone.update("patrols", patrol, {"ended_at": iso(BASE_TIME + timedelta(minutes=5))})
    phone.push()
    record = patrol_record(phone, patrol)
    assert record["distance_m"] == pytest.approx(length_m(points), rel=1e-3)
    assert record["distance_m"] == pytest.approx(290.0, rel=1e-2)
    assert record["duration_s"] == 300
    assert record["inside_share"] == 1.0


def test_the_phone_pulls_the_distance_while_the_patrol_runs(client, field_city, db):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    phone.sync()
    assert phone.held("patrols")[patrol]["distance_m"] == 0
    points = walk(11)
    add_points(phone, patrol, points)
    phone.sync()
    record = phone.held("patrols")[patrol]
    assert record["distance_m"] == pytest.approx(100.0, rel=1e-3)
    assert record["duration_s"] == 80  # to the last point, until the patrol is stopped
    assert record["ended_at"] is None


def test_a_poor_fix_and_an_impossible_jump_are_kept_and_flagged(client, field_city, db):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    points = walk(10)
    coarse = {**points[3], "accuracy_m": 180.0,
              "lat": points[3]["lat"] + 0.002, "recorded_at": iso(BASE_TIME + timedelta(seconds=25))}
    jump = {**points[6], "lat": points[6]["lat"] + 0.01,  # 1.1 km in 3 s
            "recorded_at": iso(BASE_TIME + timedelta(seconds=51))}
    ids = add_points(phone, patrol, points[:4] + [coarse] + points[4:7] + [jump] + points[7:])
    phone.push()
    phone.pull()
    held = phone.held("track_points")
    assert len(held) == 12 and count_points(db, patrol) == 12
    flagged = {rid for rid, rec in held.items() if rec["is_jitter"]}
    assert flagged == {ids[4], ids[8]}
    assert patrol_record(phone, patrol)["distance_m"] == pytest.approx(length_m(points), rel=1e-3)


def test_a_point_without_accuracy_is_flagged(client, field_city, db):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    ids = add_points(phone, patrol, [{**p, "accuracy_m": None} if i == 2 else p
                                     for i, p in enumerate(walk(4))])
    phone.push()
    phone.pull()
    assert [phone.held("track_points")[i]["is_jitter"] for i in ids] == [False, False, True, False]


def test_points_arriving_out_of_order_over_several_pushes_give_the_same_result(client, field_city, db):
    points = walk(24)
    points[10] = {**points[10], "lon": points[10]["lon"] + 0.02}  # a 1.8 km jump
    in_order = Phone(client, "w1")
    patrol_a = start_patrol(in_order)
    add_points(in_order, patrol_a, points)
    in_order.push()

    shuffled = Phone(client, "w1")
    patrol_b = start_patrol(shuffled)
    shuffled.push()
    order = list(range(len(points)))
    random.Random(5).shuffle(order)
    for batch in (order[:3], order[3:11], order[11:]):
        add_points(shuffled, patrol_b, [points[i] for i in batch])
        shuffled.push()

    a, b = patrol_record(in_order, patrol_a), patrol_record(shuffled, patrol_b)
    assert b["distance_m"] == pytest.approx(a["distance_m"], abs=1e-6)
    assert a["distance_m"] == pytest.approx(length_m(points[:10] + points[11:]), rel=1e-3)
    assert b["duration_s"] == a["duration_s"] and b["inside_share"] == a["inside_share"]

    def flags(phone, patrol):
        phone.pull()
        return sorted((rec["recorded_at"], rec["is_jitter"])
                      for rec in phone.held("track_points").values() if rec["patrol_id"] == patrol)
    assert flags(shuffled, patrol_b) == flags(in_order, patrol_a)
    assert [f for _, f in flags(in_order, patrol_a)].count(True) == 1


def test_a_late_first_point_re_flags_points_already_stored(client, field_city, db):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    points = walk(3, step_m=10, step_s=8)
    late_start = {**points[0], "recorded_at": iso(BASE_TIME - timedelta(seconds=2)),
                  "lat": points[0]["lat"] - 0.01}  # 1.1 km south, 2 s before
    ids = add_points(phone, patrol, points)
    phone.sync()
    assert not any(rec["is_jitter"] for rec in phone.held("track_points").values())
    [late] = add_points(phone, patrol, [late_start])
    phone.sync()
    held = phone.held("track_points")
    # The first point of a track is trusted; from there the old first point is a jump,
    # and the rest are judged from the late one (still too far, too soon).
    assert held[late]["is_jitter"] is False
    assert [held[i]["is_jitter"] for i in ids] == [True, True, True]
    assert phone.held("patrols")[patrol]["distance_m"] == 0


def test_repeated_points_count_once(client, field_city, db):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    points = walk(8)
    ids = add_points(phone, patrol, points)
    batch = list(phone.outbox)
    phone.push(lose_response=True)
    phone.push(mutations=batch)  # the retry: every mid a duplicate
    for record_id, fields in zip(ids, points, strict=True):  # a reinstalled outbox re-creates
        phone.create("track_points", {"patrol_id": patrol, **fields}, record_id=record_id)
    phone.push()
    assert count_points(db, patrol) == 8
    assert patrol_record(phone, patrol)["distance_m"] == pytest.approx(length_m(points), rel=1e-3)


def test_share_inside_the_grid_is_the_share_of_the_distance(client, field_city, db):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    # From 100 m west of G1's east edge to 100 m east of it, into the neighbouring grid.
    edge_lon = ORIGIN_LON + CELL
    start = geodesic(meters=100).destination((WALK_START[0], edge_lon), bearing=270)[:2]
    points = walk(21, step_m=10, start=tuple(start))
    add_points(phone, patrol, points)
    phone.push()
    record = patrol_record(phone, patrol)
    assert record["inside_share"] == pytest.approx(0.5, abs=0.01)


def test_the_phone_cannot_send_the_distance(client, field_city, db):
    phone = Phone(client, "w1")
    phone.create("patrols", {"started_at": iso(BASE_TIME), "distance_m": 5000})
    [result] = phone.push()["results"]
    assert result["error"]["code"] == "server_owned_field"


@pytest.mark.postgresql_only
def test_two_phones_adding_points_to_one_patrol_at_once_both_count(app, field_city, db):
    """Each push measures the track with the other's points (real concurrent transactions)."""
    first = Phone(app.test_client(), "w1")
    patrol = start_patrol(first)
    first.push()
    second = Phone(app.test_client(), "w1")
    points = walk(40)
    for i, point in enumerate(points):
        add_points(first if i % 2 else second, patrol, [point])
    threads = [threading.Thread(target=phone.push) for phone in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    db.session.rollback()
    assert count_points(db, patrol) == 40
    assert patrol_record(first, patrol)["distance_m"] == pytest.approx(length_m(points), rel=1e-3)
