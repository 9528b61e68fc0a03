"""A track judged point by point, in any order and over any pushes, comes out as one judged
from scratch, and as the plain rule gives it (geodesic, shapely intersections).

backend/patrol/services.Track judges the stored points all at once (arrays), re-judges only
from where a new point lands and stops as soon as flags stop changing; these tests check
those shortcuts against a from-scratch walk of the rule, written as simply as possible
(tests/helpers.py `reference`; test_track_in_any_order.py holds the server to it too).
"""

from __future__ import annotations

import random
import uuid

import numpy as np
import pytest
import shapely
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.common.geo import segment_lengths
from backend.patrol.services import Point, Prefix
from tests.helpers import (
    L_FENCE,
    START_TIME,
    assert_like_reference,
    fixes,
    from_scratch,
    new_track,
    reference,
    split,
    track_point,
)


def pushed(made: list[dict], ids: list[uuid.UUID], batches: list[list[int]],
           **kwargs) -> tuple[list[bool], dict]:
    """As the server does it: each push loads the stored points with their stored flags,
    adds its own, and stores every flag that changed."""
    stored: dict[int, bool] = {}
    figures = None
    for batch in batches:
        track = new_track(**kwargs)
        track.load([track_point(made[i], ids[i], flag) for i, flag in stored.items()])
        new = {}
        for i in batch:
            new[i] = Point(ids[i], made[i]["recorded_at"], made[i]["lat"], made[i]["lon"],
                           made[i]["accuracy_m"])
            track.add(new[i])
        by_id = {p.id: p.is_jitter for p in track.points}
        stored = {i: by_id[ids[i]] for i in [*stored, *batch]}
        figures = track.measures(START_TIME, None)
    return [stored[i] for i in range(len(made))], figures


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 70), pushes=st.integers(1, 8))
def test_any_order_and_any_pushes_give_the_from_scratch_track(seed, count, pushes):
    rng = random.Random(seed)
    made = fixes(rng, count)
    ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in made]
    scratch = from_scratch(made, ids)
    assert_like_reference(*scratch, reference(made, L_FENCE))
    incremental = pushed(made, ids, split(rng, count, min(pushes, count)))
    assert incremental == scratch  # the same flags and figures, to the last digit kept


def pushed_reading_the_end(made: list[dict], ids: list[uuid.UUID], batches: list[list[int]],
                           ) -> tuple[list[bool], dict]:
    """As the server does it under an unchanged rule: each push reads the stored points from
    the last trusted one before its first new point, as judged (flags and segments), counts
    those before by their stored segments, and reads the rest only when a point lands before
    what it read; it stores every point it read or added."""
    stored: dict[int, Point] = {}

    def as_stored(i: int) -> Point:
        p = stored[i]
        return Point(p.id, p.recorded_at, p.lat, p.lon, p.accuracy_m, p.is_jitter,
                     segment_m=p.segment_m, inside_m=p.inside_m, stored_jitter=p.is_jitter)

    figures = None
    for batch in batches:
        track = new_track()
        first = made[batch[0]]["recorded_at"]
        anchor = max((p.recorded_at for p in stored.values()
                      if not p.is_jitter and p.recorded_at < first), default=None)
        track.take_judged([as_stored(i) for i, p in stored.items()
                           if anchor is None or p.recorded_at >= anchor])
        if anchor is not None:
            before = [p for p in stored.values() if not p.is_jitter and p.recorded_at < anchor]
            track.floor = anchor
            track.prefix = Prefix(len(before), sum(p.segment_um for p in before),
                                  sum(p.inside_um for p in before),
                                  max((p.recorded_at for p in before), default=None),
                                  lambda before=before: sum(
                                      bool(shapely.intersects_xy(L_FENCE, p.lon, p.lat))
                                      for p in before))
        for i in batch:
            point = Point(ids[i], made[i]["recorded_at"], made[i]["lat"], made[i]["lon"],
                          made[i]["accuracy_m"])
            if track.reaches_before(point):
                track.prepend([as_stored(j) for j, p in stored.items()
                               if p.recorded_at < track.floor])
            track.add(point)
        by_id = {p.id: p for p in track.points}
        stored.update({i: by_id[ids[i]] for i in range(len(made)) if ids[i] in by_id})
        figures = track.measures(START_TIME, None)
    return [stored[i].is_jitter for i in range(len(made))], figures


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(2, 70), pushes=st.integers(2, 8))
def test_reading_only_the_end_of_the_track_gives_the_from_scratch_track(seed, count, pushes):
    rng = random.Random(seed)
    made = fixes(rng, count)
    ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in made]
    partly = pushed_reading_the_end(made, ids, split(rng, count, min(pushes, count)))
    assert partly == from_scratch(made, ids)  # the same flags and figures, to the last digit


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 60), limit=st.sampled_from((20.0, 50.0)))
def test_stored_flags_judged_otherwise_are_put_right(seed, count, limit):
    """Flags stored under another accuracy limit, or at random, are re-judged on load."""
    rng = random.Random(seed)
    made = fixes(rng, count)
    ids = [uuid.uuid4() for _ in made]
    track = new_track(accuracy_limit_m=limit)
    track.load([track_point(f, i, rng.random() < 0.3) for f, i in zip(made, ids, strict=True)])
    by_id = {p.id: p.is_jitter for p in track.points}
    loaded = [by_id[i] for i in ids], track.measures(START_TIME, None)
    assert loaded == from_scratch(made, ids, accuracy_limit_m=limit)
    assert_like_reference(*loaded, reference(made, L_FENCE, accuracy_limit_m=limit))


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
