"""Patrols (巡查): what the server measures of a track as its points sync.

Points come from the phone in batches, late, out of order and sometimes twice. Each point
is kept; one with a poor fix, or one that implies an impossible speed from the last trusted
point before it, is flagged as jitter (漂移) and left out of the distance. The patrol's
distance (geodesic, over trusted points in time order), duration and the share of the
track inside the worker's grid are recomputed as points arrive, and the patrol is changed
as the server (a new version), so that the phone pulls the server's figures.

A point's row keeps what judging it found: its flag and its segment (the metres from the
trusted point before it, and of them those inside the grid, in whole micrometres). A push
reads its patrol's track once, and only from the last trusted point before its first new
point (usually the end of the track): the points before count by the sum of their stored
segments, which the database adds up (whole numbers: the same total however the track was
read), so that a push costs what it adds, not the length of the day so far (5,760 points in
30 pushes, or in hundreds of small ones while the phone has signal). A point landing before
what was read has the rest read. The patrol keeps the rule its points were judged by (the
limits and the grid's outline, `track_rule`); under another rule, or none, a push reads the
whole track and judges it afresh, all at once (arrays, not a point at a time). It re-judges
only from where a new point lands, and writes the flags and segments that changed and the
figures once, at the end of the push.

For the supervisor's console: a worker's tracks of a city day, and how much of each grid
the day's patrols walked (覆盖率, computed in coverage.py).
"""

from __future__ import annotations

import bisect
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, or_, select

from backend.accounts import services as accounts
from backend.common import geo
from backend.common.auth import RegionScope
from backend.common.settings import process_cache, setting
from backend.common.time import city_day_bounds
from backend.errors import Invalid, NotFound
from backend.extensions import db
from backend.patrol import coverage
from backend.patrol.models import Patrol, TrackPoint
from backend.regions import services as regions
from backend.regions.models import Region
from backend.sync_adapter import services as sync_adapter

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROMETRES = 1_000_000  # in a metre
_MICROSECOND = timedelta(microseconds=1)


def inside_fractions(fence: BaseGeometry | None, lat1: np.ndarray, lon1: np.ndarray,
                     lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Of each straight segment, the share of its length inside the fence (a point: 1 or 0).

    Along one segment length ratios survive any linear scaling: the fraction in degrees is
    the fraction in metres. Only a segment crossing the fence's edge is cut (slow in GEOS).
    """
    fractions = np.zeros(len(lat1))
    if fence is None or not len(lat1):
        return fractions
    still = (lat1 == lat2) & (lon1 == lon2)
    fractions[still] = shapely.intersects_xy(fence, lon2[still], lat2[still])
    moving = np.flatnonzero(~still)
    if len(moving):
        lines = shapely.linestrings(np.stack(
            [lon1[moving], lat1[moving], lon2[moving], lat2[moving]], axis=1).reshape(-1, 2, 2))
        within = shapely.contains(fence, lines)
        crossing = ~within & shapely.intersects(fence, lines)
        fractions[moving[within]] = 1.0
        cut = lines[crossing]
        fractions[moving[crossing]] = (shapely.length(shapely.intersection(cut, fence))
                                       / shapely.length(cut))
    return fractions


def _micros(value: datetime) -> int:
    return (value - _EPOCH) // _MICROSECOND


@dataclass(eq=False, slots=True)
class Point:
    # None in a track judged apart from the database (tests, the demo's history).
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
    # The flag and segment its stored row has (None: not stored, or not judged), so that
    # only what changed is written.
    stored_jitter: bool | None = None
    stored_segment_um: int | None = None
    stored_inside_um: int | None = None

    # What the figures add up: the segment in whole micrometres, so that sums are exact and
    # the same in any order (in Python or in the database).
    @property
    def segment_um(self) -> int:
        return round(self.segment_m * MICROMETRES)

    @property
    def inside_um(self) -> int:
        return round(self.inside_m * MICROMETRES)

    @property
    def key(self) -> tuple:
        # Time first; the rest only orders two fixes of one instant the same way every time,
        # down to a fix sent twice (its id): a stored segment is measured from the point
        # before it in this order, which a push that reads only the end of a track relies on.
        return (self.recorded_at, self.lat, self.lon,
                float("inf") if self.accuracy_m is None else self.accuracy_m,
                -1 if self.id is None else self.id.int)


@dataclass(frozen=True)
class Prefix:
    """The stored points before a partly read track: a push does not change them, so they
    count by their stored segments."""

    trusted: int       # how many points are trusted
    segment_um: int    # the sums of their segments
    inside_um: int
    last_trusted_at: datetime | None
    # How many of the trusted points lie inside the grid: asked only of a track of no length.
    inside_points: Callable[[], int]


_NO_PREFIX = Prefix(trusted=0, segment_um=0, inside_um=0, last_trusted_at=None,
                    inside_points=lambda: 0)


def _in_order(points: list[Point]) -> tuple[list[tuple], list[Point]]:
    """The points' keys and the points, in time order."""
    ordered = sorted(((p.key, p) for p in points), key=lambda kp: kp[0])
    return [k for k, _ in ordered], [p for _, p in ordered]


@dataclass
class Track:
    """A patrol's points in time order, with their flags and segment lengths.

    The rule, as a walk in time order: a point without a fix within the accuracy limit is
    jitter; so is one too far from the last trusted point before it for the time between
    them; any other point is trusted, and its segment from that point counts. Loading
    judges all points at once, arrays at a time; adding a point re-judges from it only as
    far as flags change, so a track growing at its end costs one judgement a point.
    """

    patrol_id: uuid.UUID
    accuracy_limit_m: float
    max_speed_mps: float
    fence: BaseGeometry | None = None
    points: list[Point] = field(default_factory=list)
    _keys: list[tuple] = field(default_factory=list, repr=False)  # points' keys, for bisect
    # Read from `floor` on (None: all of it); the points recorded before it are the prefix.
    floor: datetime | None = None
    prefix: Prefix | None = None
    # Judged afresh under this rule: the patrol keeps it once the push has stored the points.
    new_rule: str | None = None

    def _trusted_fix(self, point: Point) -> bool:
        return point.accuracy_m is not None and point.accuracy_m <= self.accuracy_limit_m

    # One segment, measured by the functions load() measures thousands with, so that a
    # track judged point by point comes out exactly as one judged all at once.
    @staticmethod
    def _metres(a: Point, b: Point, allowed_m: float) -> float:
        ends = (np.array([v]) for v in (a.lat, a.lon, b.lat, b.lon))
        return float(geo.segment_lengths(*ends, np.array([allowed_m]))[0])

    def _inside_m(self, a: Point, b: Point, metres: float) -> float:
        """inside_fractions() of one segment, by the same GEOS calls, times its metres."""
        if self.fence is None:
            return 0.0
        if (a.lat, a.lon) == (b.lat, b.lon):
            return metres * float(shapely.intersects_xy(self.fence, b.lon, b.lat))
        line = shapely.LineString([(a.lon, a.lat), (b.lon, b.lat)])
        if shapely.contains(self.fence, line):
            return metres * 1.0
        if not shapely.intersects(self.fence, line):
            return 0.0
        cut = shapely.length(shapely.intersection(line, self.fence)) / shapely.length(line)
        return metres * float(cut)

    def _trusted_before(self, index: int) -> Point | None:
        for i in range(index - 1, -1, -1):
            if not self.points[i].is_jitter:
                return self.points[i]
        return None

    def _walk(self, start: int, *, stop_early: bool) -> list[Point]:
        """Re-judge points from index start on; the other points whose flag changed."""
        previous = self._trusted_before(start)
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
                seconds = (point.recorded_at - previous.recorded_at).total_seconds()
                allowed = self.max_speed_mps * max(seconds, 1.0)
                metres = self._metres(previous, point, allowed)
                point.is_jitter = metres > allowed
                if not point.is_jitter:
                    point.segment_m = metres
                    point.inside_m = self._inside_m(previous, point, metres)
            if index != start:
                if point.is_jitter != was_jitter:
                    changed.append(point)
                elif stop_early and point.previous is was_after:
                    break  # what follows depends only on this point: unchanged too
            if not point.is_jitter:
                previous = point
        return changed

    def load(self, points: list[Point]) -> None:
        """Take these points and judge them all. Their flags as given (as stored) are the
        first guess: checked all at once, they are kept up to the first that the rule
        judges otherwise, and only from there are the points walked one by one."""
        self._keys, self.points = _in_order(points)
        wrong = self._check_flags()
        if wrong < len(self.points):
            self._walk(wrong, stop_early=False)

    def _check_flags(self) -> int:
        """Judge every point as if the points before it carried their given flags; where
        they all agree with the rule, so do the given flags (by induction along the track).
        Sets every point's derived fields up to the first disagreement; returns its index."""
        points, n = self.points, len(self.points)
        if not n:
            return 0
        lat = np.fromiter((p.lat for p in points), float, n)
        lon = np.fromiter((p.lon for p in points), float, n)
        accuracy = np.fromiter((np.nan if p.accuracy_m is None else p.accuracy_m
                                for p in points), float, n)
        micros = np.fromiter((_micros(p.recorded_at) for p in points), np.int64, n)
        given = np.fromiter((p.is_jitter for p in points), bool, n)
        index = np.arange(n)
        # The last point up to each index that the given flags trust (-1: none), shifted one on.
        previous = np.full(n, -1)
        previous[1:] = np.maximum.accumulate(np.where(given, -1, index))[:-1]
        fix_ok = accuracy <= self.accuracy_limit_m  # NaN (no accuracy) is never ok
        judged = ~fix_ok
        measured = np.flatnonzero(fix_ok & (previous >= 0))
        before = previous[measured]
        seconds = (micros[measured] - micros[before]) / 1e6
        allowed = self.max_speed_mps * np.maximum(seconds, 1.0)
        metres = geo.segment_lengths(lat[before], lon[before], lat[measured], lon[measured], allowed)
        judged[measured] = metres > allowed
        counted = ~judged[measured]
        segment = np.zeros(n)
        inside = np.zeros(n)
        segment[measured[counted]] = metres[counted]
        if self.fence is not None:
            ends = (lat[before[counted]], lon[before[counted]],
                    lat[measured[counted]], lon[measured[counted]])
            inside[measured[counted]] = metres[counted] * inside_fractions(self.fence, *ends)
        disagree = np.flatnonzero(judged != given)
        agreed = int(disagree[0]) if len(disagree) else n
        for i in range(agreed):
            point = points[i]
            point.is_jitter = bool(judged[i])
            point.previous = points[previous[i]] if previous[i] >= 0 else None
            point.segment_m = float(segment[i])
            point.inside_m = float(inside[i])
        return agreed

    def take_judged(self, points: list[Point]) -> None:
        """Take stored points as they were judged (flags and segments as stored), in time
        order, each linked to the trusted point before it among them."""
        self._keys, self.points = _in_order(points)
        self._link()

    def _link(self) -> None:
        previous = None
        for point in self.points:
            point.previous = previous
            if not point.is_jitter:
                previous = point

    def reaches_before(self, point: Point) -> bool:
        """Would this point land where the points read cannot judge it (before the first
        trusted point read)? Then the rest of the track must be read first."""
        if self.floor is None:
            return False
        return self._trusted_before(bisect.bisect(self._keys, point.key)) is None

    def prepend(self, points: list[Point]) -> None:
        """Take the rest of the stored points (all recorded before the floor), as judged."""
        keys, ordered = _in_order(points)
        self._keys[:0], self.points[:0] = keys, ordered
        self.floor = self.prefix = None
        self._link()

    def add(self, point: Point) -> list[Point]:
        """Insert a new point in time order; the other points whose flag it changed."""
        key = point.key
        index = bisect.bisect(self._keys, key)
        self._keys.insert(index, key)
        self.points.insert(index, point)
        return self._walk(index, stop_early=True)

    def measures(self, started_at: datetime | None, ended_at: datetime | None) -> dict:
        trusted = [p for p in self.points if not p.is_jitter]
        prefix = self.prefix or _NO_PREFIX
        distance_um = prefix.segment_um + sum(p.segment_um for p in trusted)
        trusted_count = prefix.trusted + len(trusted)
        if self.fence is None or not trusted_count:
            inside_share = None
        elif distance_um > 0:
            inside_share = (prefix.inside_um + sum(p.inside_um for p in trusted)) / distance_um
        else:
            inside = sum(shapely.intersects_xy(self.fence, p.lon, p.lat) for p in trusted)
            inside_share = (inside + prefix.inside_points()) / trusted_count
        last = trusted[-1].recorded_at if trusted else prefix.last_trusted_at
        return {"distance_m": round(distance_um / MICROMETRES, 2),
                "duration_s": duration_s(started_at, ended_at or last),
                "inside_share": None if inside_share is None else round(inside_share, 4)}


def duration_s(started_at: datetime | None, ended_at: datetime | None) -> float:
    """From start to stop; for a patrol still running, to its last trusted point."""
    if not started_at or not ended_at:
        return 0.0
    return max(0.0, (ended_at - started_at).total_seconds())


# What judging depends on besides the points: a change in it has every track judged afresh.
RULE_VERSION = 1


def track_rule(track: Track) -> str:
    """The rule a track is judged by: the limits and the grid's outline, as a digest."""
    outline = shapely.to_wkb(track.fence) if track.fence is not None else b""
    text = f"{RULE_VERSION}|{track.accuracy_limit_m!r}|{track.max_speed_mps!r}|".encode()
    return hashlib.sha256(text + outline).hexdigest()[:32]


_POINT_COLUMNS = ("id", "recorded_at", "lat", "lon", "accuracy_m", "is_jitter", "segment_um",
                  "inside_um")


def _stored_points(conn: sa.Connection, patrol_id: uuid.UUID, *where) -> list[Point]:
    """A patrol's stored points that `where` picks, as judged."""
    table = TrackPoint.__table__
    rows = conn.execute(sa.select(*(table.c[name] for name in _POINT_COLUMNS)).where(
        table.c.patrol_id == patrol_id, table.c.deleted.is_(False), *where))
    return [Point(row.id, row.recorded_at, row.lat, row.lon, row.accuracy_m,
                  bool(row.is_jitter), segment_m=(row.segment_um or 0) / MICROMETRES,
                  inside_m=(row.inside_um or 0) / MICROMETRES, stored_jitter=bool(row.is_jitter),
                  stored_segment_um=row.segment_um, stored_inside_um=row.inside_um)
            for row in rows]


def load_track(conn: sa.Connection, patrol_id: uuid.UUID, grid_path: str | None,
               first_at: datetime | None = None) -> Track:
    """A patrol's stored points, read from the last trusted one recorded before `first_at`
    (the push's first new point; None: after all of them) to the end; the whole track,
    judged afresh, when its points were judged by another rule (or never)."""
    table = TrackPoint.__table__
    track = Track(patrol_id=patrol_id, accuracy_limit_m=setting("PATROL_ACCURACY_LIMIT_M"),
                  max_speed_mps=setting("PATROL_MAX_SPEED_KMH") / 3.6,
                  fence=regions.boundary_of_path(grid_path))
    rule = track_rule(track)
    stored_rule = conn.execute(sa.select(Patrol.__table__.c.track_rule).where(
        Patrol.__table__.c.id == patrol_id)).scalar()
    if stored_rule != rule:
        track.load(_stored_points(conn, patrol_id))
        track.new_rule = rule
        return track
    trusted = (table.c.patrol_id == patrol_id, table.c.deleted.is_(False),
               table.c.is_jitter.is_(False))
    anchor = conn.execute(sa.select(func.max(table.c.recorded_at)).where(
        *trusted, *([table.c.recorded_at < first_at] if first_at is not None else []))).scalar()
    track.take_judged(_stored_points(
        conn, patrol_id, *([table.c.recorded_at >= anchor] if anchor is not None else [])))
    if anchor is not None:
        track.floor = anchor
        track.prefix = _prefix(conn, track, trusted, anchor)
    return track


def _prefix(conn: sa.Connection, track: Track, trusted: tuple, floor: datetime) -> Prefix:
    table = TrackPoint.__table__
    before = (*trusted, table.c.recorded_at < floor)
    count, segment_um, inside_um, last = conn.execute(sa.select(
        func.count(), func.coalesce(func.sum(table.c.segment_um), 0),
        func.coalesce(func.sum(table.c.inside_um), 0), func.max(table.c.recorded_at))
        .where(*before)).one()

    def inside_points() -> int:
        if track.fence is None:
            return 0
        found = conn.execute(sa.select(table.c.lat, table.c.lon).where(*before)).all()
        return int(np.count_nonzero(shapely.intersects_xy(
            track.fence, [r.lon for r in found], [r.lat for r in found]))) if found else 0

    return Prefix(trusted=count, segment_um=int(segment_um), inside_um=int(inside_um),
                  last_trusted_at=last, inside_points=inside_points)


def add_track_point(conn: sa.Connection, track: Track, point_id: uuid.UUID,
                    values: dict) -> Point:
    """Judge a new point against its track (re-judging the points it changes), reading the
    rest of the track first if it lands before what was read; returns it as judged, the
    flag and segment its row is stored with."""
    point = Point(point_id, values["recorded_at"], values["lat"], values["lon"],
                  values.get("accuracy_m"))
    if track.reaches_before(point):
        track.prepend(_stored_points(conn, track.patrol_id,
                                     TrackPoint.__table__.c.recorded_at < track.floor))
    track.add(point)
    point.stored_jitter = point.is_jitter
    point.stored_segment_um, point.stored_inside_um = point.segment_um, point.inside_um
    return point


MEASURES = ("distance_m", "duration_s", "inside_share")


def save_track(conn: sa.Connection, track: Track, now: datetime) -> None:
    """Once a push has added its points: write the flags and segments that changed (a flag
    as a server change, a new version that the phones pull), the rule they were judged by,
    and the patrol's new figures, as a server change too."""
    _store_judged(conn, track, [p for p in track.points if p.is_jitter != p.stored_jitter
                                or p.segment_um != p.stored_segment_um
                                or p.inside_um != p.stored_inside_um], now)
    table = Patrol.__table__
    if track.new_rule is not None:
        conn.execute(sa.update(table).where(table.c.id == track.patrol_id)
                     .values(track_rule=track.new_rule))
        track.new_rule = None
    patrol = conn.execute(sa.select(
        table.c.started_at, table.c.ended_at, table.c.deleted,
        *(table.c[name] for name in MEASURES)).where(table.c.id == track.patrol_id)).first()
    if patrol is None or patrol.deleted:
        return
    measures = track.measures(patrol.started_at, patrol.ended_at)
    if any(measures[name] != getattr(patrol, name) for name in MEASURES):
        sync_adapter.change_record(conn, "patrols", track.patrol_id, measures, now)


def _store_judged(conn: sa.Connection, track: Track, points: list[Point], now: datetime) -> None:
    if not points:
        return
    table = TrackPoint.__table__
    conn.execute(sa.update(table).where(table.c.id == sa.bindparam("point_id")).values(
        is_jitter=sa.bindparam("flag"), segment_um=sa.bindparam("segment"),
        inside_um=sa.bindparam("inside")),
        [{"point_id": p.id, "flag": p.is_jitter, "segment": p.segment_um,
          "inside": p.inside_um} for p in points])
    flagged = sorted({p.id for p in points if p.is_jitter != p.stored_jitter})
    for point in points:
        point.stored_jitter = point.is_jitter
        point.stored_segment_um, point.stored_inside_um = point.segment_um, point.inside_um
    if flagged:
        sync_adapter.touch_records("track_points", flagged, conn=conn, now=now)


# -- the console: a worker's tracks of a day, coverage per grid (巡查覆盖率) ----------------

# A track point in the console's day of tracks: a row of values, not an object (a day holds
# up to 5,760 points); recorded_at_ms is Unix time in milliseconds.
POINT_FIELDS = ("lat", "lon", "recorded_at_ms", "accuracy_m", "is_jitter")
MAX_COVERAGE_GRIDS = 5000


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
    """One worker's patrols of a city day walked in the caller's region, each with its points
    of that day in time order, and the grid to draw: what the console draws and plays back.

    A patrol belongs to the grid it was walked in, as on the phones: a worker moved to
    another grid leaves their earlier patrols to the supervisors of the old one, who may
    still play them back, and brings none of them to the supervisors of the new one."""
    worker = accounts.get_account(RegionScope(everything=True), worker_id)
    worker_in_scope = scope.everything or bool(worker.region and scope.covers(worker.region.path))
    start, end = city_day_bounds(day)
    patrols = _day_patrols((Patrol.worker_id == worker.id) & scope.filter(Patrol.scope_path),
                           start, end)
    if not worker_in_scope and not patrols:
        raise NotFound("No such account.")
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
    # The worker's grid, or where they walked here when they work elsewhere now.
    grid = worker.region if worker_in_scope else (
        db.session.get(Region, patrols[0].grid_id) if patrols[0].grid_id else None)
    return {"worker": worker, "date": day, "time_zone": setting("CITY_TIMEZONE"),
            "day_starts_at": start, "day_ends_at": end, "grid": _grid_out(grid),
            "point_fields": list(POINT_FIELDS), "patrols": items}


def _coverage_root(scope: RegionScope, region_id: uuid.UUID | None) -> Region | None:
    """The region asked for, else the caller's own (a supervisor); None: all in scope."""
    if region_id is not None:
        return regions.get_region(scope, region_id)
    if scope.path_prefix is not None:
        return regions.get_region(scope, geo.region_id_of_path(scope.path_prefix))
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
    start, end = city_day_bounds(day)
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


# -- the one map (一张图): where the workers in scope were today ---------------------------

# A day's track on the one map is drawn, not played back: every k-th trusted point is enough.
MAP_TRACK_POINTS_MAX = 300


def thinned(points: list, limit: int) -> list:
    """At most `limit` of `points`, evenly spread, the first and the last always kept."""
    if len(points) <= limit:
        return points
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


def worker_positions_of_day(scope: RegionScope, day: date) -> list[dict]:
    """The workers who patrolled in the caller's region on a city day: each one's last trusted
    position of that day and their tracks of it (thinned for drawing), newest position first."""
    start, end = city_day_bounds(day)
    patrols = _day_patrols(scope.filter(Patrol.scope_path), start, end)
    points = _day_points([p.id for p in patrols], start, end, trusted_only=False)
    everything = RegionScope(everything=True)
    by_worker: dict[uuid.UUID, dict] = {}
    for patrol in patrols:
        trusted = [p for p in points[patrol.id] if not p.is_jitter]
        if not trusted:
            continue
        entry = by_worker.get(patrol.worker_id)
        if entry is None:
            worker = accounts.get_account(everything, patrol.worker_id)
            entry = by_worker[patrol.worker_id] = {
                "id": worker.id, "username": worker.username, "display_name": worker.display_name,
                "grid_id": worker.region_id, "last": None, "tracks": []}
        entry["tracks"].append([[round(p.lat, 6), round(p.lon, 6)]
                                for p in thinned(trusted, MAP_TRACK_POINTS_MAX)])
        last = trusted[-1]
        if entry["last"] is None or last.recorded_at > entry["last"]["at"]:
            entry["last"] = {"lat": last.lat, "lon": last.lon, "at": last.recorded_at,
                             "accuracy_m": last.accuracy_m, "patrol_id": patrol.id,
                             "under_way": patrol.ended_at is None}
    return sorted(by_worker.values(), key=lambda w: w["last"]["at"], reverse=True)
