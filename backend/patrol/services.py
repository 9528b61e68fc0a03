"""Patrols (巡查): what the server measures of a track as its points sync.

Points come from the phone in batches, late, out of order and sometimes twice. Each point
is kept; one with a poor fix, or one that implies an impossible speed from the last trusted
point before it, is flagged as jitter (漂移) and left out of the distance. The patrol's
distance (geodesic, over trusted points in time order), duration and the share of the
track inside the worker's grid are recomputed as points arrive, and the patrol is changed
as the server (a new version), so that the phone pulls the server's figures.
"""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import shapely
import sqlalchemy as sa
from geopy.distance import geodesic
from shapely.geometry.base import BaseGeometry

from backend.attendance.services import fence_of_path
from backend.common.settings import setting
from backend.patrol.models import Patrol, TrackPoint
from backend.sync_adapter.registry import engine


@dataclass(eq=False)
class Point:
    # None for a point created in this push: hooks are not told a new record's id.
    id: uuid.UUID | None
    recorded_at: datetime
    lat: float
    lon: float
    accuracy_m: float | None
    is_jitter: bool = False
    # Derived as the track is walked: the trusted point before this one, and the metres
    # from it (all and inside the grid); zero for a flagged point or the first one.
    previous: Point | None = None
    segment_m: float = 0.0
    inside_m: float = 0.0

    @property
    def key(self) -> tuple:
        # Time first; the rest only orders two fixes of one instant the same way every time.
        return (self.recorded_at, self.lat, self.lon,
                float("inf") if self.accuracy_m is None else self.accuracy_m)


@dataclass
class Track:
    """A patrol's points in time order, with their flags and segment lengths."""

    patrol_id: uuid.UUID
    accuracy_limit_m: float
    max_speed_mps: float
    fence: BaseGeometry | None = None
    points: list[Point] = field(default_factory=list)

    def _trusted_fix(self, point: Point) -> bool:
        return point.accuracy_m is not None and point.accuracy_m <= self.accuracy_limit_m

    def _inside_fraction(self, a: Point, b: Point) -> float:
        if self.fence is None:
            return 0.0
        if (a.lat, a.lon) == (b.lat, b.lon):
            return 1.0 if shapely.intersects_xy(self.fence, b.lon, b.lat) else 0.0
        line = shapely.LineString([(a.lon, a.lat), (b.lon, b.lat)])
        # Along one straight segment, length ratios survive any linear scaling: the
        # fraction in degrees is the fraction in metres.
        return float(shapely.intersection(line, self.fence).length / line.length)

    def _walk(self, start: int, *, stop_early: bool) -> list[Point]:
        """Re-judge points from index start on; the stored points whose flag changed."""
        previous = next((p for p in reversed(self.points[:start]) if not p.is_jitter), None)
        changed = []
        for index in range(start, len(self.points)):
            point = self.points[index]
            was_jitter, was_after = point.is_jitter, point.previous
            point.previous = previous
            point.segment_m = point.inside_m = 0.0
            if not self._trusted_fix(point):
                point.is_jitter = True
            elif previous is None:
                point.is_jitter = False
            else:
                metres = geodesic((previous.lat, previous.lon), (point.lat, point.lon)).m
                seconds = (point.recorded_at - previous.recorded_at).total_seconds()
                point.is_jitter = metres > self.max_speed_mps * max(seconds, 1.0)
                if not point.is_jitter:
                    point.segment_m = metres
                    point.inside_m = metres * self._inside_fraction(previous, point)
            if index != start:
                if point.is_jitter != was_jitter:
                    changed.append(point)
                elif stop_early and point.previous is was_after:
                    break  # what follows depends only on this point: unchanged too
            if not point.is_jitter:
                previous = point
        return changed

    def load(self, points: list[Point]) -> None:
        self.points = sorted(points, key=lambda p: p.key)
        self._walk(0, stop_early=False)

    def add(self, point: Point) -> list[Point]:
        """Insert a new point in time order; the stored points whose flag it changed."""
        index = bisect.bisect([p.key for p in self.points], point.key)
        self.points.insert(index, point)
        return self._walk(index, stop_early=True)

    def measures(self, started_at: datetime | None, ended_at: datetime | None) -> dict:
        trusted = [p for p in self.points if not p.is_jitter]
        distance = sum(p.segment_m for p in trusted)
        if self.fence is None or not trusted:
            inside_share = None
        elif distance > 0:
            inside_share = sum(p.inside_m for p in trusted) / distance
        else:
            inside = sum(shapely.intersects_xy(self.fence, p.lon, p.lat) for p in trusted)
            inside_share = inside / len(trusted)
        last = trusted[-1].recorded_at if trusted else None
        return {"distance_m": round(distance, 2),
                "duration_s": duration_s(started_at, ended_at or last),
                "inside_share": None if inside_share is None else round(inside_share, 4)}


def duration_s(started_at: datetime | None, ended_at: datetime | None) -> float:
    """From start to stop; for a patrol still running, to its last trusted point."""
    if not started_at or not ended_at:
        return 0.0
    return max(0.0, (ended_at - started_at).total_seconds())


def load_track(conn: sa.Connection, patrol_id: uuid.UUID, grid_path: str | None,
               now: datetime) -> Track:
    """A patrol's stored points, judged afresh (cheap next to a push's round trip)."""
    table = TrackPoint.__table__
    rows = conn.execute(sa.select(table.c.id, table.c.recorded_at, table.c.lat, table.c.lon,
                                  table.c.accuracy_m, table.c.is_jitter)
                        .where(table.c.patrol_id == patrol_id, table.c.deleted.is_(False)))
    track = Track(patrol_id=patrol_id, accuracy_limit_m=setting("PATROL_ACCURACY_LIMIT_M"),
                  max_speed_mps=setting("PATROL_MAX_SPEED_KMH") / 3.6,
                  fence=fence_of_path(grid_path))
    stored = [Point(r.id, r.recorded_at, r.lat, r.lon, r.accuracy_m, bool(r.is_jitter))
              for r in rows]
    flags = {p.id: p.is_jitter for p in stored}
    track.load(stored)
    # Flags judged under other settings, or by an older rule, are put right now.
    _set_flags(conn, track, [p for p in track.points if p.is_jitter != flags[p.id]], now)
    return track


def _set_flags(conn: sa.Connection, track: Track, points: list[Point], now: datetime) -> None:
    if not points:
        return
    table = TrackPoint.__table__
    for point in points:
        if point.id is None:  # inserted earlier in this push: found by what it is
            point.id = conn.execute(sa.select(table.c.id).where(
                table.c.patrol_id == track.patrol_id, table.c.recorded_at == point.recorded_at,
                table.c.lat == point.lat, table.c.lon == point.lon)).scalars().first()
        conn.execute(sa.update(table).where(table.c.id == point.id)
                     .values(is_jitter=point.is_jitter))
    engine().touch(conn, "track_points", [p.id for p in points], now)


def add_track_point(conn: sa.Connection, track: Track, values: dict, now: datetime) -> bool:
    """Judge a new point against its track; re-flag the stored points it changes.
    Returns whether the new point is jitter."""
    point = Point(None, values["recorded_at"], values["lat"], values["lon"],
                  values.get("accuracy_m"))
    changed = track.add(point)
    _set_flags(conn, track, [p for p in changed if p is not point], now)
    return point.is_jitter


def patrol_row(conn: sa.Connection, patrol_id: uuid.UUID):
    table = Patrol.__table__
    return conn.execute(sa.select(table.c.started_at, table.c.ended_at)
                        .where(table.c.id == patrol_id)).first()


def record_measures(conn: sa.Connection, patrol_id: uuid.UUID, measures: dict, now: datetime,
                    *, first_in_transaction: bool) -> None:
    """Store the patrol's new figures as a server change that the phone pulls.

    The first change in a push gives the patrol a new version and logs it; later ones in
    the same push only update the row, which commits with that version.
    """
    if first_in_transaction:
        engine().apply_server_change(conn, "patrols", patrol_id, measures, now)
    else:
        table = Patrol.__table__
        conn.execute(sa.update(table).where(table.c.id == patrol_id).values(**measures))
