"""A push reads only the end of its patrol's track: from the last trusted point before its
first new point, the points before counting by the segments stored with them. The whole
track is read, and judged afresh, only when a point lands before what was read, or when the
rule its points were judged by changed (the limits, the grid's outline) or was never stored
(points stored before segments were)."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backend.patrol import services
from backend.patrol.models import Patrol, TrackPoint
from backend.regions.services import boundary_of_path
from tests.factories import ORIGIN_LAT, ORIGIN_LON
from tests.helpers import fixes, from_scratch, new_track, start_patrol, walk
from tests.sync_client import BASE_TIME, Phone, iso


@pytest.fixture
def points_read(monkeypatch) -> list[int]:
    """How many stored points each push read (one entry per push that read its track)."""
    reads: list[int] = []
    load, add = services.load_track, services.add_track_point

    def counting_load(*args, **kwargs):
        track = load(*args, **kwargs)
        reads.append(len(track.points))
        return track

    def counting_add(conn, track, point_id, values):
        before = len(track.points)
        point = add(conn, track, point_id, values)
        reads[-1] += len(track.points) - before - 1  # the rest of the track, if it was read
        return point

    monkeypatch.setattr(services, "load_track", counting_load)
    monkeypatch.setattr(services, "add_track_point", counting_add)
    return reads


def fields(patrol: str, fix: dict) -> dict:
    return {"patrol_id": patrol, **fix, "recorded_at": iso(fix["recorded_at"])}


def stored_points(db, patrol: str) -> dict[str, tuple]:
    db.session.rollback()
    return {str(r.id): (r.is_jitter, r.segment_um, r.inside_um) for r in db.session.execute(
        select(TrackPoint.id, TrackPoint.is_jitter, TrackPoint.segment_um, TrackPoint.inside_um)
        .where(TrackPoint.patrol_id == uuid.UUID(patrol)))}


def test_a_push_at_the_end_of_a_long_track_reads_only_its_end(client, field_city, db,
                                                             points_read):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    points = walk(121, step_m=8, step_s=5)
    for point in points[:120]:
        phone.create("track_points", {"patrol_id": patrol, **point})
    phone.push()
    phone.create("track_points", {"patrol_id": patrol, **points[120]})
    phone.push()
    # The first push read the empty track; the second only the last stored point.
    assert points_read == [0, 1]
    phone.pull()
    assert phone.held("patrols")[patrol]["distance_m"] == pytest.approx(960.0, rel=1e-3)


def test_a_point_landing_before_what_was_read_reads_the_rest(client, field_city, db,
                                                            points_read):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    points = walk(40)
    for point in points[1:]:
        phone.create("track_points", {"patrol_id": patrol, **point})
    phone.push()
    later = {**points[-1], "recorded_at": iso(BASE_TIME + timedelta(minutes=10)),
             "lat": points[-1]["lat"] + 0.0001}
    phone.create("track_points", {"patrol_id": patrol, **later})
    phone.create("track_points", {"patrol_id": patrol, **points[0]})  # late: the first fix
    phone.push()
    assert points_read == [0, 39]  # from the end, then the rest for the late first fix
    phone.pull()
    track = new_track(fence=boundary_of_path(field_city.w1.region.path))
    track.load([services.Point(uuid.uuid4(), BASE_TIME + timedelta(seconds=8 * i) if i < 40
                               else BASE_TIME + timedelta(minutes=10), p["lat"], p["lon"], 6.0)
                for i, p in enumerate([*points, later])])
    expected = track.measures(BASE_TIME, None)
    record = phone.held("patrols")[patrol]
    assert record["distance_m"] == expected["distance_m"] == pytest.approx(401.1, abs=0.5)
    assert record["inside_share"] == expected["inside_share"]


@pytest.mark.parametrize("seed", range(3))
def test_stored_segments_are_those_of_the_track_judged_from_scratch(client, field_city, db,
                                                                   seed):
    rng = random.Random(seed)
    made = fixes(rng, 60, west=ORIGIN_LON, south=ORIGIN_LAT)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in made]
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    order = sorted(range(len(made)), key=lambda i: i + rng.gauss(0, 6))
    for start in range(0, len(order), 7):
        for i in order[start:start + 7]:
            phone.create("track_points", fields(patrol, made[i]), record_id=ids[i])
        phone.push()
    track = new_track(fence=boundary_of_path(field_city.w1.region.path))
    track.load([services.Point(uuid.UUID(i), f["recorded_at"], f["lat"], f["lon"],
                               f["accuracy_m"]) for f, i in zip(made, ids, strict=True)])
    expected = {str(p.id): (p.is_jitter, p.segment_um, p.inside_um) for p in track.points}
    assert stored_points(db, patrol) == expected
    assert db.session.get(Patrol, uuid.UUID(patrol)).track_rule == services.track_rule(track)


def test_points_stored_without_segments_are_judged_afresh(app, client, field_city, db,
                                                         points_read):
    made = fixes(random.Random(5), 30, west=ORIGIN_LON, south=ORIGIN_LAT)
    ids = [str(uuid.uuid4()) for _ in made]
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    for fix, point_id in zip(made[:-1], ids[:-1], strict=True):
        phone.create("track_points", fields(patrol, fix), record_id=point_id)
    phone.sync()
    # As the points and patrols stored before their segments and rule were kept.
    db.session.execute(update(TrackPoint).where(TrackPoint.patrol_id == uuid.UUID(patrol))
                       .values(segment_um=None, inside_um=None))
    db.session.execute(update(Patrol).where(Patrol.id == uuid.UUID(patrol))
                       .values(track_rule=None, distance_m=0.0))
    db.session.commit()
    phone.create("track_points", fields(patrol, made[-1]), record_id=ids[-1])
    phone.sync()
    assert points_read[-1] == len(made) - 1  # the whole track
    fence = boundary_of_path(field_city.w1.region.path)
    flags, figures = from_scratch(made, [uuid.UUID(i) for i in ids], fence=fence)
    record = phone.held("patrols")[patrol]
    assert {name: record[name] for name in figures if name != "duration_s"} == {
        name: value for name, value in figures.items() if name != "duration_s"}
    stored = stored_points(db, patrol)
    assert [stored[i][0] for i in ids] == flags
    assert all(stored[i][1] is not None and stored[i][2] is not None for i in ids)


def test_a_new_speed_limit_has_the_whole_track_judged_afresh(app, client, field_city, db,
                                                            points_read):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    points = walk(20, step_m=12, step_s=1)  # 43 km/h: under the limit of 50
    for point in points[:-1]:
        phone.create("track_points", {"patrol_id": patrol, **point})
    phone.sync()
    assert not any(p["is_jitter"] for p in phone.held("track_points").values())
    limit = app.config["PATROL_MAX_SPEED_KMH"]
    app.config["PATROL_MAX_SPEED_KMH"] = 30.0
    try:
        phone.create("track_points", {"patrol_id": patrol, **points[-1]})
        phone.sync()
    finally:
        app.config["PATROL_MAX_SPEED_KMH"] = limit
    assert points_read[-1] == 19
    # 12 m a second is over 30 km/h: every fix after the first is too far from it.
    held = sorted(phone.held("track_points").values(), key=lambda p: p["recorded_at"])
    assert [p["is_jitter"] for p in held] == [False] + [True] * 19
    assert phone.held("patrols")[patrol]["distance_m"] == 0


def test_the_rule_names_the_limits_and_the_grid_outline(field_city):
    fence = boundary_of_path(field_city.w1.region.path)
    other = boundary_of_path(field_city.w2.region.path)
    base = services.track_rule(new_track(fence=fence))
    assert services.track_rule(new_track(fence=fence)) == base
    assert services.track_rule(new_track(fence=other)) != base
    assert services.track_rule(new_track(fence=None)) != base
    assert services.track_rule(new_track(fence=fence, accuracy_limit_m=20.0)) != base
