"""What several test modules share besides object builders (those are in factories.py):
what a phone sends, counts and waits on the database, checks of HTTP answers, and the
patrol track rule walked from scratch.

Test modules import from here, never from each other (tests/unit/test_layout.py).
"""

from __future__ import annotations

import math
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import shapely
from geopy.distance import geodesic
from sqlalchemy import func, select, text

from backend.extensions import db as _db
from backend.incidents.models import Report
from backend.patrol.models import TrackPoint
from backend.patrol.services import Point, Track, duration_s
from tests.factories import CELL, G1, ORIGIN_LAT, ORIGIN_LON
from tests.sync_client import BASE_TIME, Phone, iso

# -- the database ---------------------------------------------------------------------------


def wipe_database(application) -> None:
    """Empty every table (the `db` fixture does it after each test)."""
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if _db.engine.dialect.name == "postgresql":
            # Plain deletes with triggers and foreign-key checks off for this transaction (the
            # tests connect as a superuser): ten times faster than TRUNCATE of every table,
            # which makes new files for each, and no trigger writes while emptying.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
        else:
            # Checked at commit, by when the self-referencing regions are all gone.
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
    application.extensions.pop("civicgrid.cache", None)


def sessions_waiting_on_a_lock(db) -> int:
    """PostgreSQL sessions of the test database waiting on a lock right now."""
    with db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()")).scalar()


def wait_for(condition, timeout_s: float = 10.0, what: str = "condition") -> None:
    """Until condition() is true; fails after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached in {timeout_s} s")


def count_reports(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Report))


def count_points(db, patrol: str) -> int:
    return db.session.scalar(select(func.count()).select_from(TrackPoint).where(
        TrackPoint.patrol_id == uuid.UUID(patrol)))


# -- HTTP answers ---------------------------------------------------------------------------


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    """The answer is our JSON error envelope with this status (and code); returns the error."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) >= {"code", "message"} and error["message"]
    if code:
        assert error["code"] == code
    assert "Traceback" not in response.get_data(as_text=True)
    return error


# -- what a phone sends -----------------------------------------------------------------------


def report_fields(point=G1, **extra) -> dict:
    """A valid `reports` create at this point (lat, lon) of the small city."""
    lat, lon = point
    return {"category": "road.pothole", "description": "路面坑洼", "lat": lat, "lon": lon,
            "reported_at": "2026-11-22T08:00:00Z", **extra}


def punch_fields(point=G1, **extra) -> dict:
    """A valid `attendance` create (a punch in) at this point (lat, lon)."""
    lat, lon = point
    return {"kind": "in", "lat": lat, "lon": lon, "accuracy_m": 8,
            "punched_at": "2026-11-22T00:58:00Z", **extra}


def push_one(client, phone: Phone, fields: dict, *, sent_at: datetime | None = None) -> dict:
    """Push one punch with these fields (and the phone's clock at sending); its result."""
    phone.create("attendance", fields)
    body = {"client_id": phone.client_id, "mutations": phone.outbox}
    if sent_at is not None:
        body["sent_at"] = iso(sent_at)
    response = client.post("/api/v1/sync/push", headers=phone.headers, json=body)
    assert response.status_code == 200, response.get_json()
    phone.outbox = []
    return response.get_json()["results"][0]


# -- patrol walks ---------------------------------------------------------------------------

# Inside w1's grid (D1S1C1G1), 100 m in from its south-west corner, walking east.
WALK_START = (ORIGIN_LAT + 0.25 * CELL, ORIGIN_LON + 0.1 * CELL)


def walk(count: int, *, step_m: float = 10.0, step_s: float = 8.0, start=WALK_START,
         bearing: float = 90.0) -> list[dict]:
    """count fixes along a geodesic line, step_m apart and step_s apart (a brisk walk)."""
    points, here = [], start
    for i in range(count):
        points.append({"lat": here[0], "lon": here[1], "accuracy_m": 6.0,
                       "recorded_at": iso(BASE_TIME + timedelta(seconds=step_s * i))})
        here = tuple(geodesic(meters=step_m).destination(here, bearing=bearing)[:2])
    return points


def length_m(points: list[dict]) -> float:
    return sum(geodesic((a["lat"], a["lon"]), (b["lat"], b["lon"])).m
               for a, b in zip(points, points[1:], strict=False))


def start_patrol(phone: Phone) -> str:
    return phone.create("patrols", {"started_at": iso(BASE_TIME)})


# -- the track rule from scratch ------------------------------------------------------------
# backend/patrol/services.Track takes shortcuts (arrays, re-judging only from where a new point
# lands); `reference` walks the rule as simply as possible, to hold it to.

ACCURACY_LIMIT_M = 50.0
MAX_SPEED_MPS = 50 / 3.6
START_TIME = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
# An L-shaped grid, so that a segment can leave it between two fixes inside it.
_WEST, _SOUTH, _CELL = 118.33, 35.03, 0.01
L_FENCE = shapely.Polygon([
    (_WEST, _SOUTH), (_WEST + _CELL, _SOUTH), (_WEST + _CELL, _SOUTH + _CELL / 2),
    (_WEST + _CELL / 2, _SOUTH + _CELL / 2), (_WEST + _CELL / 2, _SOUTH + _CELL),
    (_WEST, _SOUTH + _CELL)])


def fixes(rng: random.Random, count: int, *, west: float = _WEST, south: float = _SOUTH) -> list[dict]:
    """A walk of count fixes from ~90 m west of the grid into it, as a phone sends them:
    coarse fixes, fixes without accuracy, impossible jumps, a fix sent twice, two fixes of
    one instant, pauses."""
    lat, lon = south + 0.3 * _CELL, west - 0.001
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


def _order_key(fix: dict) -> tuple:
    return (fix["recorded_at"], fix["lat"], fix["lon"],
            math.inf if fix["accuracy_m"] is None else fix["accuracy_m"])


def reference(made: list[dict], fence, *, started_at=START_TIME, ended_at=None,
              accuracy_limit_m: float = ACCURACY_LIMIT_M) -> tuple[list[bool], dict]:
    """The rule walked from scratch: each fix's flag (in the order given) and the figures,
    unrounded."""
    flags: dict[int, bool] = {}
    previous, distance, inside, trusted = None, 0.0, 0.0, []
    for i in sorted(range(len(made)), key=lambda i: _order_key(made[i])):
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


def new_track(fence=L_FENCE, accuracy_limit_m: float = ACCURACY_LIMIT_M) -> Track:
    return Track(patrol_id=uuid.uuid4(), accuracy_limit_m=accuracy_limit_m,
                 max_speed_mps=MAX_SPEED_MPS, fence=fence)


def track_point(fix: dict, record_id: uuid.UUID, is_jitter: bool = False) -> Point:
    """A fix as a stored point, with the jitter flag it was stored with."""
    return Point(record_id, fix["recorded_at"], fix["lat"], fix["lon"], fix["accuracy_m"],
                 is_jitter, stored_jitter=is_jitter)


def from_scratch(made: list[dict], ids: list[uuid.UUID], **kwargs) -> tuple[list[bool], dict]:
    """Track's flags (in the order given) and figures for all of these fixes loaded at once."""
    track = new_track(**kwargs)
    track.load([track_point(f, i) for f, i in zip(made, ids, strict=True)])
    by_id = {p.id: p.is_jitter for p in track.points}
    return [by_id[i] for i in ids], track.measures(START_TIME, None)


def split(rng: random.Random, count: int, pushes: int) -> list[list[int]]:
    """The indexes 0..count-1 cut into `pushes` batches, mostly a little out of order."""
    order = list(range(count))
    if rng.random() < 0.7:  # mostly late and out of order within a push, else any order
        order.sort(key=lambda i: i + rng.gauss(0, 4))
    else:
        rng.shuffle(order)
    cuts = sorted(rng.sample(range(1, count), pushes - 1)) if pushes > 1 else []
    return [order[a:b] for a, b in zip([0, *cuts], [*cuts, count], strict=True)]
