"""One set of fixes synced in random orders and pushes gives the track the plain rule gives
from scratch: the same jitter flags (stored and pulled), distance, duration and grid share.

The server reads a patrol's track once per push, judges only from where new points land and
writes the flags and figures once at the end of the push (backend/patrol/services.py); this
checks that path end to end, on both databases.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.patrol.models import Patrol, TrackPoint
from backend.regions.services import boundary_of_path
from tests.factories import ORIGIN_LAT, ORIGIN_LON
from tests.helpers import START_TIME, assert_like_reference, fixes, from_scratch, reference, split
from tests.sync_client import Phone, iso


def fields(patrol: str, fix: dict) -> dict:
    return {"patrol_id": patrol, **fix, "recorded_at": iso(fix["recorded_at"])}


def stored(db, patrol: str) -> tuple[dict[str, bool], Patrol]:
    rows = db.session.execute(select(TrackPoint.id, TrackPoint.is_jitter).where(
        TrackPoint.patrol_id == uuid.UUID(patrol))).all()
    return ({str(r.id): r.is_jitter for r in rows},
            db.session.get(Patrol, uuid.UUID(patrol), populate_existing=True))


@pytest.mark.parametrize("seed", range(5))
def test_points_in_any_order_and_pushes_give_the_from_scratch_track(client, field_city, db, seed):
    rng = random.Random(seed)
    made = fixes(rng, 70, west=ORIGIN_LON, south=ORIGIN_LAT)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in made]
    ended_at = made[-1]["recorded_at"] + timedelta(seconds=30) if seed % 2 else None
    phone = Phone(client, "w1")
    patrol = phone.create("patrols", {"started_at": iso(START_TIME)})
    batches = split(rng, len(made), rng.randint(2, 6))
    stop_in = rng.randrange(len(batches))  # the stop goes with a push, among its points
    for number, batch in enumerate(batches):
        updates = number == stop_in and ended_at is not None
        at = rng.randrange(len(batch) + 1)
        for position, i in enumerate(batch):
            if updates and position == at:
                phone.update("patrols", patrol, {"ended_at": iso(ended_at)})
            phone.create("track_points", fields(patrol, made[i]), record_id=ids[i])
        if updates and at == len(batch):
            phone.update("patrols", patrol, {"ended_at": iso(ended_at)})
        phone.push()
        if rng.random() < 0.5:
            phone.pull()
    phone.pull()

    flags, row = stored(db, patrol)
    held = phone.held("track_points")
    record = phone.held("patrols")[patrol]
    assert [flags[i] for i in ids] == [held[i]["is_jitter"] for i in ids]
    assert record["version"] == row.version  # the phone holds the server's last figures
    figures = {name: record[name] for name in ("distance_m", "duration_s", "inside_share")}
    assert figures == {name: getattr(row, name) for name in figures}

    fence = boundary_of_path(field_city.w1.region.path)
    expected = reference(made, fence, ended_at=ended_at)
    assert expected[1]["inside_share"] not in (None, 0.0, 1.0)  # the track crosses the edge
    assert_like_reference([flags[i] for i in ids], figures, expected)
    scratch_flags, scratch_figures = from_scratch(made, [uuid.UUID(i) for i in ids], fence=fence)
    assert [flags[i] for i in ids] == scratch_flags
    if ended_at is None:
        assert figures == scratch_figures


def test_flags_stored_under_another_accuracy_limit_are_put_right(app, client, field_city, db):
    made = fixes(random.Random(11), 40, west=ORIGIN_LON, south=ORIGIN_LAT)
    made = [{**f, "accuracy_m": 35.0} if i % 4 == 1 and f["accuracy_m"] else f
            for i, f in enumerate(made)]
    phone = Phone(client, "w1")
    patrol = phone.create("patrols", {"started_at": iso(START_TIME)})
    ids = [phone.create("track_points", fields(patrol, f)) for f in made[:-1]]
    phone.sync()
    limit = app.config["PATROL_ACCURACY_LIMIT_M"]
    app.config["PATROL_ACCURACY_LIMIT_M"] = 30.0
    try:
        ids.append(phone.create("track_points", fields(patrol, made[-1])))
        phone.sync()
    finally:
        app.config["PATROL_ACCURACY_LIMIT_M"] = limit
    flags, row = stored(db, patrol)
    held = phone.held("track_points")
    expected = reference(made, boundary_of_path(field_city.w1.region.path), accuracy_limit_m=30.0)
    assert [held[i]["is_jitter"] for i in ids] == [flags[i] for i in ids] == expected[0]
    assert all(flags[i] for i, f in zip(ids, made, strict=True) if f["accuracy_m"] == 35.0)
    assert phone.held("patrols")[patrol]["distance_m"] == row.distance_m == pytest.approx(
        expected[1]["distance_m"], rel=1e-6, abs=0.01)
