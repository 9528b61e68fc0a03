"""A track judged point by point, in any order and over any pushes, comes out as one judged
from scratch, and as the plain rule gives it (geodesic, shapely intersections).

backend/patrol/services.Track judges the stored points all at once (arrays), re-judges only
from where a new point lands and stops as soon as flags stop changing; these tests check
those shortcuts against a from-scratch walk of the rule, written here as simply as possible.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.patrol.services import Point, Track, duration_s, segment_lengths

ACCURACY_LIMIT_M = 50.0
MAX_SPEED_MPS = 50 / 3.6
START_TIME = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
# An L-shaped grid, so that a segment can leave it between two fixes inside it.
WEST, SOUTH, CELL = 118.33, 35.03, 0.01
FENCE = shapely.Polygon([(WEST, SOUTH), (WEST + CELL, SOUTH), (WEST + CELL, SOUTH + CELL / 2),
                         (WEST + CELL / 2, SOUTH + CELL / 2), (WEST + CELL / 2, SOUTH + CELL),
                         (WEST, SOUTH + CELL)])


def fixes(rng: random.Random, count: int, *, west: float = WEST, south: float = SOUTH) -> list[dict]:
    """A walk of count fixes from ~90 m west of the grid into it, as a phone sends them:
    coarse fixes, fixes without accuracy, impossible jumps, a fix sent twice, two fixes of
    one instant, pauses."""
    lat, lon = south + 0.3 * CELL, west - 0.001
    when, made = START_TIME, []
    for _ in range(count):
        roll = rng.random()
        if made and roll < 0.05:  # the same fix again, as another record
            made.append(dict(made[-1]))
            continue
        if not (made and roll < 0.09):  # else: another fix of the same instant
            when += timedelta(seconds=rng.choice((1, 5, 5, 5, 8, 8, 60)),
                              microseconds=rng.randrange(1_000_000))
        step_m, bearing = rng.uniform(2, 14), math.radians(rng.gauss(80, 40))
        lat += step_m * math.cos(bearing) / 111_000
        lon += step_m * math.sin(bearing) / (111_000 * math.cos(math.radians(lat)))
        fix = {"lat": lat, "lon": lon, "accuracy_m": round(rng.uniform(3, 25), 1),
               "recorded_at": when}
        roll = rng.random()
        if roll < 0.08:
            fix.update(accuracy_m=rng.uniform(60, 300), lat=lat + rng.gauss(0, 0.0005))
        elif roll < 0.11:
            fix["accuracy_m"] = None
        elif roll < 0.17:  # a good fix 0.5–2 km off
            fix.update(lat=lat + rng.choice((-1, 1)) * rng.uniform(0.005, 0.02),
                       lon=lon + rng.uniform(-0.01, 0.01))
        made.append(fix)
    return made


def key(fix: dict) -> tuple:
    return (fix["recorded_at"], fix["lat"], fix["lon"],
            math.inf if fix["accuracy_m"] is None else fix["accuracy_m"])


def reference(made: list[dict], fence, *, started_at=START_TIME, ended_at=None,
              accuracy_limit_m: float = ACCURACY_LIMIT_M) -> tuple[list[bool], dict]:
    """The rule walked from scratch: each fix's flag (in the order given) and the figures,
    unrounded."""
    flags: dict[int, bool] = {}
    previous, distance, inside, trusted = None, 0.0, 0.0, []
    for i in sorted(range(len(made)), key=lambda i: key(made[i])):
        fix = made[i]
        if fix["accuracy_m"] is None or fix["accuracy_m"] > accuracy_limit_m:
            flags[i] = True
            continue
        flags[i] = False
        if previous is not None:
            metres = geodesic((previous["lat"], previous["lon"]), (fix["lat"], fix["lon"])).m
            seconds = (fix["recorded_at"] - previous["recorded_at"]).total_seconds()
            flags[i] = metres > MAX_SPEED_MPS * max(seconds, 1.0)
            if not flags[i]:
                distance += metres
                if (previous["lat"], previous["lon"]) != (fix["lat"], fix["lon"]):
                    line = shapely.LineString([(previous["lon"], previous["lat"]),
                                               (fix["lon"], fix["lat"])])
                    inside += metres * shapely.intersection(line, fence).length / line.length
        if not flags[i]:
            previous = fix
            trusted.append(fix)
    if not trusted:
        share = None
    elif distance > 0:
        share = inside / distance
    else:
        share = sum(fence.intersects(shapely.Point(f["lon"], f["lat"])) for f in trusted) / len(trusted)
    figures = {"distance_m": distance, "inside_share": share,
               "duration_s": duration_s(started_at, ended_at or (trusted[-1]["recorded_at"]
                                                                 if trusted else None))}
    return [flags[i] for i in range(len(made))], figures


def assert_like_reference(flags: list[bool], figures: dict, expected: tuple[list[bool], dict]):
    expected_flags, expected_figures = expected
    assert flags == expected_flags
    assert figures["distance_m"] == pytest.approx(expected_figures["distance_m"], rel=1e-6, abs=0.01)
    assert figures["duration_s"] == expected_figures["duration_s"]
    if expected_figures["inside_share"] is None:
        assert figures["inside_share"] is None
    else:
        assert figures["inside_share"] == pytest.approx(expected_figures["inside_share"], abs=2e-4)


def new_track(fence=FENCE, accuracy_limit_m: float = ACCURACY_LIMIT_M) -> Track:
    return Track(patrol_id=uuid.uuid4(), accuracy_limit_m=accuracy_limit_m,
                 max_speed_mps=MAX_SPEED_MPS, fence=fence)


def point(fix: dict, record_id: uuid.UUID, is_jitter: bool = False) -> Point:
    return Point(record_id, fix["recorded_at"], fix["lat"], fix["lon"], fix["accuracy_m"],
                 is_jitter, stored_jitter=is_jitter)


def from_scratch(made: list[dict], ids: list[uuid.UUID], **kwargs) -> tuple[list[bool], dict]:
    track = new_track(**kwargs)
    track.load([point(f, i) for f, i in zip(made, ids, strict=True)])
    by_id = {p.id: p.is_jitter for p in track.points}
    return [by_id[i] for i in ids], track.measures(START_TIME, None)


def pushed(made: list[dict], ids: list[uuid.UUID], batches: list[list[int]],
           **kwargs) -> tuple[list[bool], dict]:
    """As the server does it: each push loads the stored points with their stored flags,
    adds its own, and stores every flag that changed."""
    stored: dict[int, bool] = {}
    figures = None
    for batch in batches:
        track = new_track(**kwargs)
        track.load([point(made[i], ids[i], flag) for i, flag in stored.items()])
        new = {}
        for i in batch:
            new[i] = Point(ids[i], made[i]["recorded_at"], made[i]["lat"], made[i]["lon"],
                           made[i]["accuracy_m"])
            track.add(new[i])
        by_id = {p.id: p.is_jitter for p in track.points}
        stored = {i: by_id[ids[i]] for i in [*stored, *batch]}
        figures = track.measures(START_TIME, None)
    return [stored[i] for i in range(len(made))], figures


def split(rng: random.Random, count: int, pushes: int) -> list[list[int]]:
    order = list(range(count))
    if rng.random() < 0.7:  # mostly late and out of order within a push, else any order
        order.sort(key=lambda i: i + rng.gauss(0, 4))
    else:
        rng.shuffle(order)
    cuts = sorted(rng.sample(range(1, count), pushes - 1)) if pushes > 1 else []
    return [order[a:b] for a, b in zip([0, *cuts], [*cuts, count], strict=True)]


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 70), pushes=st.integers(1, 8))
def test_any_order_and_any_pushes_give_the_from_scratch_track(seed, count, pushes):
    rng = random.Random(seed)
    made = fixes(rng, count)
    ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in made]
    scratch = from_scratch(made, ids)
    assert_like_reference(*scratch, reference(made, FENCE))
    incremental = pushed(made, ids, split(rng, count, min(pushes, count)))
    assert incremental == scratch  # the same flags and figures, to the last digit kept


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 60), limit=st.sampled_from((20.0, 50.0)))
def test_stored_flags_judged_otherwise_are_put_right(seed, count, limit):
    """Flags stored under another accuracy limit, or at random, are re-judged on load."""
    rng = random.Random(seed)
    made = fixes(rng, count)
    ids = [uuid.uuid4() for _ in made]
    track = new_track(accuracy_limit_m=limit)
    track.load([point(f, i, rng.random() < 0.3) for f, i in zip(made, ids, strict=True)])
    by_id = {p.id: p.is_jitter for p in track.points}
    loaded = [by_id[i] for i in ids], track.measures(START_TIME, None)
    assert loaded == from_scratch(made, ids, accuracy_limit_m=limit)
    assert_like_reference(*loaded, reference(made, FENCE, accuracy_limit_m=limit))


def test_no_grid_means_no_share():
    made = fixes(random.Random(3), 30)
    ids = [uuid.uuid4() for _ in made]
    flags, figures = pushed(made, ids, [list(range(10)), list(range(10, 30))], fence=None)
    assert figures["inside_share"] is None
    assert (flags, figures) == from_scratch(made, ids, fence=None)


def test_segment_lengths_are_geodesic_and_the_same_alone_or_together():
    rng = np.random.default_rng(7)
    lat1, lon1 = rng.uniform(-80, 80, 2000), rng.uniform(-180, 180, 2000)
    # 1 cm to ~50 km, some across the antimeridian.
    scale = 10.0 ** rng.uniform(-7, -0.3, 2000)
    lat2, lon2 = lat1 + rng.normal(0, 1, 2000) * scale, lon1 + rng.normal(0, 1, 2000) * scale
    lon2 = (lon2 + 180) % 360 - 180
    together = segment_lengths(lat1, lon1, lat2, lon2)
    for i in range(0, 2000, 7):
        alone = segment_lengths(*(np.array([v[i]]) for v in (lat1, lon1, lat2, lon2)))[0]
        assert alone == together[i]
        assert together[i] == pytest.approx(
            geodesic((lat1[i], lon1[i]), (lat2[i], lon2[i])).m, rel=1e-7, abs=1e-6)


def test_a_jump_is_measured_exactly_unless_clearly_over_the_distance_allowed():
    rng = np.random.default_rng(8)
    lat1, lon1 = rng.uniform(-60, 60, 400), rng.uniform(-170, 170, 400)
    lat2, lon2 = lat1 + rng.uniform(-0.2, 0.2, 400), lon1 + rng.uniform(-0.2, 0.2, 400)
    allowed = rng.uniform(0, 25_000, 400)
    loose = segment_lengths(lat1, lon1, lat2, lon2, allowed)
    exact = segment_lengths(lat1, lon1, lat2, lon2)
    assert ((loose > allowed) == (exact > allowed)).all()  # the same verdict either way
    assert (loose != exact).any()
    assert (loose[exact <= allowed] == exact[exact <= allowed]).all()
