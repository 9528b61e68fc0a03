"""Patrols (巡查): what the server measures of a track as its points sync.

Points come from the phone in batches, late, out of order and sometimes twice. Each point
is kept; one with a poor fix, or one that implies an impossible speed from the last trusted
point before it, is flagged as jitter (漂移) and left out of the distance. The patrol's
distance (geodesic, over trusted points in time order), duration and the share of the
track inside the worker's grid are recomputed as points arrive, and the patrol is changed
as the server (a new version), so that the phone pulls the server's figures.

For the supervisor's console: a worker's tracks of a city day, and how much of each grid
the day's patrols walked (覆盖率, computed in coverage.py).
"""

from __future__ import annotations

import bisect
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import shapely
import sqlalchemy as sa
from geopy.distance import geodesic
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, or_, select

from backend.accounts import services as accounts
from backend.attendance.services import city_zone, fence_of_path
from backend.common.auth import RegionScope
from backend.common.settings import process_cache, setting
from backend.errors import Invalid
from backend.extensions import db
from backend.patrol import coverage
from backend.patrol.models import Patrol, TrackPoint
from backend.regions import services as regions
from backend.regions.models import Region
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


# -- the console: a worker's tracks of a day, coverage per grid (巡查覆盖率) ----------------

# A track point in the console's day of tracks: a row of values, not an object (a day holds
# up to 5,760 points); recorded_at_ms is Unix time in milliseconds.
POINT_FIELDS = ("lat", "lon", "recorded_at_ms", "accuracy_m", "is_jitter")
MAX_COVERAGE_GRIDS = 5000


def day_window(day: date) -> tuple[datetime, datetime]:
    """The city's day (midnight to midnight in CITY_TIMEZONE) in UTC."""
    zone = city_zone()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _day_patrols(owner_filter, start: datetime, end: datetime) -> list[Patrol]:
    """Patrols under way at some time of [start, end)."""
    return list(db.session.scalars(select(Patrol).where(
        owner_filter, Patrol.deleted.is_(False), Patrol.started_at < end,
        or_(Patrol.ended_at.is_(None), Patrol.ended_at >= start)).order_by(Patrol.started_at)))


def _day_points(patrol_ids: list[uuid.UUID], start: datetime, end: datetime, *,
                trusted_only: bool) -> dict[uuid.UUID, list]:
    """Each patrol's points recorded in [start, end), in time order; trusted_only: only
    the trusted ones, and only where they are (coverage reads many)."""
    table = TrackPoint.__table__
    columns = (table.c.patrol_id, table.c.lat, table.c.lon) if trusted_only else (
        table.c.patrol_id, table.c.lat, table.c.lon, table.c.recorded_at, table.c.accuracy_m,
        table.c.is_jitter)
    points: dict[uuid.UUID, list] = defaultdict(list)
    for i in range(0, len(patrol_ids), 500):
        query = select(*columns).where(
            table.c.patrol_id.in_(patrol_ids[i:i + 500]), table.c.deleted.is_(False),
            table.c.recorded_at >= start, table.c.recorded_at < end)
        if trusted_only:
            query = query.where(table.c.is_jitter.is_(False))
        for row in db.session.execute(query.order_by(
                table.c.patrol_id, table.c.recorded_at, table.c.lat, table.c.lon)):
            points[row.patrol_id].append(row)
    return points


def _grid_out(region: Region | None) -> dict | None:
    if region is None:
        return None
    return {"id": region.id, "code": region.code, "name": region.name, "level": region.level,
            "boundary": region.boundary}


def worker_day_tracks(scope: RegionScope, worker_id: uuid.UUID, day: date) -> dict:
    """One worker's patrols of a city day, each with its points of that day in time order,
    and the worker's grid: what the console draws and plays back."""
    worker = accounts.get_account(scope, worker_id)
    start, end = day_window(day)
    patrols = _day_patrols(Patrol.worker_id == worker.id, start, end)
    points = _day_points([p.id for p in patrols], start, end, trusted_only=False)
    items = []
    for patrol in patrols:
        # A patrol left open days ago is under way on paper only: shown if it walked today.
        if not points[patrol.id] and not start <= patrol.started_at < end:
            continue
        items.append({
            "id": patrol.id, "started_at": patrol.started_at, "ended_at": patrol.ended_at,
            "grid_id": patrol.grid_id, "distance_m": patrol.distance_m or 0.0,
            "duration_s": patrol.duration_s or 0.0, "inside_share": patrol.inside_share,
            "points": [[round(p.lat, 7), round(p.lon, 7),
                        round(p.recorded_at.timestamp() * 1000), p.accuracy_m, bool(p.is_jitter)]
                       for p in points[patrol.id]]})
    return {"worker": worker, "date": day, "time_zone": setting("CITY_TIMEZONE"),
            "day_starts_at": start, "day_ends_at": end, "grid": _grid_out(worker.region),
            "point_fields": list(POINT_FIELDS), "patrols": items}


def _coverage_root(scope: RegionScope, region_id: uuid.UUID | None) -> Region | None:
    """The region asked for, else the caller's own (a supervisor); None: all in scope."""
    if region_id is not None:
        return regions.get_region(scope, region_id)
    if scope.path_prefix is not None:
        return regions.get_region(scope, uuid.UUID(scope.path_prefix.strip("/").split("/")[-1]))
    return None


def _lattice(region: Region, cell_m: float) -> coverage.CellLattice:
    """A grid's cells, kept per process: they change only with the boundary."""
    cache = process_cache().setdefault("patrol.lattices", {})
    key = (region.id, region.version, region.boundary_geojson, cell_m)
    if key not in cache:
        if len(cache) > 20_000:  # many cell sizes asked for: start over, never grow unbounded
            cache.clear()
        try:
            cache[key] = coverage.lay_cells(shapely.from_geojson(region.boundary_geojson), cell_m)
        except coverage.TooManyCells as error:
            raise Invalid(f"Cells of {cell_m:g} m are too small for grid {region.code}; "
                          "choose larger ones.", code="too_many_cells") from error
    return cache[key]


def coverage_of_day(scope: RegionScope, day: date, region_id: uuid.UUID | None = None, *,
                    cell_m: float = coverage.CELL_M, include_cells: bool = False) -> dict:
    """For each grid under a region, the share of it walked on a city day by the patrols of
    the region's workers (trusted points only; see backend/patrol/coverage.py)."""
    root = _coverage_root(scope, region_id)
    in_region = Region.path.startswith(root.path, autoescape=True) if root \
        else scope.filter(Region.path)
    grids_query = select(Region).where(Region.level == "grid", in_region)
    count = db.session.scalar(select(func.count()).select_from(grids_query.subquery()))
    if count > MAX_COVERAGE_GRIDS:
        raise Invalid(f"{count} grids; choose a region with at most {MAX_COVERAGE_GRIDS}.",
                      code="too_many_grids")
    grids = db.session.scalars(grids_query.order_by(Region.code)).all()
    start, end = day_window(day)
    walked_by = Patrol.scope_path.startswith(root.path, autoescape=True) if root \
        else scope.filter(Patrol.scope_path)
    patrols = _day_patrols(walked_by, start, end)
    points = _day_points([p.id for p in patrols], start, end, trusted_only=True)
    samples = coverage.SampleIndex(coverage.sample_tracks(
        [(p.lon, p.lat) for p in track] for track in points.values()))
    items = []
    for grid in grids:
        lattice = _lattice(grid, cell_m)
        measured = coverage.grid_coverage(lattice, samples.within(
            (grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat)))
        item = {"id": grid.id, "code": grid.code, "name": grid.name,
                "covered_share": measured.covered_share, "cells_total": measured.cells_total,
                "cells_covered": measured.cells_covered, "boundary": grid.boundary}
        if include_cells:
            item["cells"] = np.round(measured.covered_bounds, 7).tolist()
        items.append(item)
    return {"date": day, "time_zone": setting("CITY_TIMEZONE"), "cell_m": cell_m,
            "region": root, "patrols": len(patrols), "grids": items}
