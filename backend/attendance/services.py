"""Attendance (考勤): the fence check of a punch, posts (岗位), shifts (班次), daily results,
monthly summaries.

The phone shows a distance too, but only the server's verdict counts: it is computed
here, on sync, from the worker's fence (电子围栏) — their post's circle if they have a
post, else their grid's boundary — and the point the phone sent.
"""

from __future__ import annotations

import calendar
import csv
import io
import math
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, select

from backend.accounts import services as accounts
from backend.attendance.models import Post, PostAssignment, Punch, Shift
from backend.common.auth import ADMIN, SUPERVISOR, WORKER, RegionScope
from backend.common.settings import setting
from backend.common.time import city_zone, utcnow
from backend.common.transactions import commit_or_conflict
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.regions import services as regions
from backend.sync_adapter.services import log_reference_changes
from sync.registry import Audience

# -- the fence check (on sync) -------------------------------------------------------------


def _metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude at this latitude (WGS 84 ellipsoid)."""
    phi = math.radians(lat)
    per_lat = 111_132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
    per_lon = 111_412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi)
    return per_lon, per_lat


def fence_verdict(fence: BaseGeometry, lat: float, lon: float) -> tuple[bool, float]:
    """(inside, metres to the fence edge); a point on the edge is inside, at 0 m.

    Inside is decided on the raw coordinates (exact at the edge). The distance is measured
    on a local projection centred on the point, whose scale is exact there and off by far
    less than GPS error over the few kilometres a grid spans.
    """
    if shapely.intersects_xy(fence, lon, lat):
        return True, 0.0
    per_lon, per_lat = _metres_per_degree(lat)
    local = shapely.transform(fence, lambda xy: (xy - (lon, lat)) * (per_lon, per_lat))
    return False, round(float(shapely.distance(local, shapely.Point(0, 0))), 2)


def fence_of_path(path: str | None) -> BaseGeometry | None:
    """The fence of a worker bound at this region path: the region's boundary (their grid)."""
    if not path:
        return None
    region_id = uuid.UUID(path.strip("/").split("/")[-1])
    try:
        region = regions.get_region(RegionScope(everything=True), region_id)
    except NotFound:
        return None
    fence = shapely.from_geojson(region.boundary_geojson)
    shapely.prepare(fence)
    return fence


def clock_skew_s(sent_at: datetime | None, now: datetime) -> float | None:
    """How far the device's clock runs ahead of ours (negative: behind), as of this push."""
    return round((sent_at - now).total_seconds(), 3) if sent_at else None


# A point this close to a circle's edge is on it: the distance formula's rounding, not GPS.
EDGE_TOLERANCE_M = 0.01


def circle_verdict(centre_lat: float, centre_lon: float, radius_m: float,
                   lat: float, lon: float) -> tuple[bool, float]:
    """(inside, metres to the circle's edge) of a point against a post's circle; a point on
    the edge (within a centimetre) is inside, at 0 m.

    Measured on a local projection at the mean latitude of the two points: over the few
    kilometres that matter it is off from the geodesic by far less than GPS error, and the
    phone (pwa/app/fence.js) computes the same.
    """
    per_lon, per_lat = _metres_per_degree((centre_lat + lat) / 2)
    from_centre = math.hypot((lon - centre_lon) * per_lon, (lat - centre_lat) * per_lat)
    beyond = from_centre - radius_m
    if beyond < EDGE_TOLERANCE_M:
        return True, 0.0
    return False, round(beyond, 2)


@dataclass(frozen=True)
class Fence:
    """The electronic fence a worker punches against: their post's circle (kind "post"),
    else their grid's boundary (kind "grid")."""

    kind: str
    area: BaseGeometry | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None

    def verdict(self, lat: float, lon: float) -> tuple[bool, float]:
        if self.kind == "post":
            return circle_verdict(self.lat, self.lon, self.radius_m, lat, lon)
        return fence_verdict(self.area, lat, lon)


def fence_of_worker(worker_id: uuid.UUID, home_path: str | None) -> Fence | None:
    """The fence of a worker bound at this grid path: their post's circle, if they have a
    post in that grid, else the grid's boundary; None without either.

    A post outside the worker's current grid (they were moved since) is ignored: the phone
    no longer pulls it either, so both sides fall back to the grid.
    """
    assignment = db.session.scalar(select(PostAssignment).where(
        PostAssignment.worker_id == worker_id))
    if assignment is not None and home_path and assignment.scope_path == home_path:
        post = db.session.get(Post, assignment.post_id)
        return Fence(kind="post", lat=post.lat, lon=post.lon, radius_m=post.radius_m)
    area = fence_of_path(home_path)
    return Fence(kind="grid", area=area) if area is not None else None


def check_punch(fence: Fence | None, values: dict, *, now: datetime,
                sent_at: datetime | None) -> dict:
    """The server's fields of a new punch; raises Invalid for a punch from the future."""
    # The skew is measured at sync, not at the punch: the device clock may have been reset
    # in between (a flat battery), so the device time is kept as the punch's time and the
    # skew beside it for the supervisor; only an impossible future is refused.
    allowance = setting("ATTENDANCE_CLOCK_SKEW_ALLOWANCE_S")
    punched_at = values["punched_at"]
    if punched_at > now + timedelta(seconds=allowance):
        raise Invalid(f"punched_at {punched_at.isoformat()} is more than {allowance} s ahead of "
                      "the server's clock.", code="punched_in_future")
    accuracy = values.get("accuracy_m")
    inside, distance = fence.verdict(values["lat"], values["lon"]) if fence else (None, None)
    return {"inside_fence": inside, "distance_m": distance, "clock_skew_s": clock_skew_s(sent_at, now),
            "accuracy_flagged": accuracy is None or accuracy > setting("ATTENDANCE_ACCURACY_MARGIN_M"),
            "fence_kind": fence.kind if fence else None}


# -- posts (岗位) ------------------------------------------------------------------------------
#
# Supervisors and admins manage the posts of the grids in their scope. Every write logs the
# change for sync in its own transaction: phones hold posts and assignments offline.


def _post_change(post: Post, *, deleted: bool = False) -> tuple:
    return (post.id, post.version, deleted, Audience(scope_path=post.scope_path))


def _assignment_change(assignment: PostAssignment, *, deleted: bool = False) -> tuple:
    # The worker always pulls their own; those who see the post's grid pull it too.
    return (assignment.id, assignment.version, deleted,
            Audience(scope_path=assignment.scope_path, owner_id=assignment.worker_id))


def list_posts(scope: RegionScope, region_id: uuid.UUID | None = None) -> list[Post]:
    """Posts in the caller's scope, or in one region's subtree of it, by grid then name."""
    query = select(Post).where(scope.filter(Post.scope_path)).order_by(Post.scope_path, Post.name)
    if region_id is not None:
        region = regions.get_region(scope, region_id)
        query = query.where(Post.scope_path.startswith(region.path, autoescape=True))
    return list(db.session.scalars(query))


def get_post(scope: RegionScope, post_id: uuid.UUID) -> Post:
    """A post the caller may see; anything else is 'not found', whether it exists or not."""
    post = db.session.get(Post, post_id)
    if post is None or not scope.covers(post.scope_path):
        raise NotFound("No such post.")
    return post


def post_workers(posts: list[Post]) -> dict[uuid.UUID, list]:
    """The workers assigned to each of these posts (accounts), by username."""
    by_post: dict[uuid.UUID, list] = {post.id: [] for post in posts}
    ids = list(by_post)
    everything = RegionScope(everything=True)
    for i in range(0, len(ids), 500):
        for assignment in db.session.scalars(select(PostAssignment).where(
                PostAssignment.post_id.in_(ids[i:i + 500]))):
            by_post[assignment.post_id].append(accounts.get_account(everything,
                                                                    assignment.worker_id))
    for workers in by_post.values():
        workers.sort(key=lambda w: w.username)
    return by_post


def describe_post(post: Post, workers: list | None = None) -> dict:
    """A post as the API shows it, with its workers."""
    if workers is None:
        workers = post_workers([post])[post.id]
    return {"id": post.id, "name": post.name, "region_id": post.region_id, "lat": post.lat,
            "lon": post.lon, "radius_m": post.radius_m, "version": post.version,
            "workers": workers, "created_at": post.created_at, "updated_at": post.updated_at}


def describe_posts(posts: list[Post]) -> list[dict]:
    workers = post_workers(posts)
    return [describe_post(post, workers[post.id]) for post in posts]


def _grid_shape(region) -> BaseGeometry:
    shape = shapely.from_geojson(region.boundary_geojson)
    shapely.prepare(shape)
    return shape


def _check_point_in_grid(region, lat: float, lon: float) -> None:
    if not fence_verdict(_grid_shape(region), lat, lon)[0]:
        raise Invalid("A post's point must lie inside its grid.", code="post_outside_grid",
                      details={"fields": {"lat": ["outside the grid"], "lon": ["outside the grid"]}})


def _check_name_free(region_id: uuid.UUID, name: str, post_id: uuid.UUID | None = None) -> None:
    query = select(Post.id).where(Post.region_id == region_id, Post.name == name)
    if post_id is not None:
        query = query.where(Post.id != post_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise Conflict(f"The grid already has a post named '{name}'.", code="post_name_taken")


def create_post(scope: RegionScope, *, name: str, region_id: uuid.UUID, lat: float, lon: float,
                radius_m: float) -> dict:
    """设岗: a post in a grid of the caller's scope, its point inside the grid."""
    region = regions.get_region(scope, region_id)
    if region.level != "grid":
        raise Invalid("A post lies in a grid, not in a larger region.", code="post_not_in_grid")
    name = name.strip()
    _check_point_in_grid(region, lat, lon)
    _check_name_free(region.id, name)
    post = add_post(region=region, name=name, lat=lat, lon=lon, radius_m=radius_m)
    commit_or_conflict(f"The grid already has a post named '{name}'.", "post_name_taken")
    return describe_post(post, [])


def add_post(*, region, name: str, lat: float, lon: float, radius_m: float) -> Post:
    """Add a post to a grid in the caller's transaction, logged for sync (no checks:
    callers check)."""
    post = Post(id=uuid.uuid4(), name=name, region_id=region.id, scope_path=region.path,
                lat=lat, lon=lon, radius_m=radius_m, version=1)
    db.session.add(post)
    log_reference_changes("posts", [_post_change(post)])
    return post


def update_post(scope: RegionScope, post_id: uuid.UUID, changes: dict) -> dict:
    """Rename, move or resize a post; the point stays inside its grid."""
    post = get_post(scope, post_id)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        _check_name_free(post.region_id, changes["name"], post.id)
    if "lat" in changes or "lon" in changes:
        region = regions.get_region(RegionScope(everything=True), post.region_id)
        _check_point_in_grid(region, changes.get("lat", post.lat), changes.get("lon", post.lon))
    for key in ("name", "lat", "lon", "radius_m"):
        if key in changes:
            setattr(post, key, changes[key])
    post.version += 1
    post.updated_at = utcnow()
    log_reference_changes("posts", [_post_change(post)])
    commit_or_conflict(f"The grid already has a post named '{post.name}'.", "post_name_taken")
    return describe_post(post)


def delete_post(scope: RegionScope, post_id: uuid.UUID) -> None:
    """Remove a post nobody holds any more (unassign its workers first)."""
    post = get_post(scope, post_id)
    if db.session.scalar(select(PostAssignment.id).where(PostAssignment.post_id == post.id)
                         .limit(1)) is not None:
        raise Conflict("Workers still hold this post; unassign them first.",
                       code="post_has_workers")
    post.version += 1  # the tombstone's version, newer than any copy a phone holds
    change = _post_change(post, deleted=True)
    db.session.delete(post)
    log_reference_changes("posts", [change])
    commit_or_conflict("Someone assigned a worker to this post meanwhile; try again.",
                       "post_has_workers")


def assign_worker(scope: RegionScope, post_id: uuid.UUID, worker_id: uuid.UUID) -> dict:
    """定岗: put a worker of the post's grid on this post (moving them from any other)."""
    post = get_post(scope, post_id)
    worker = accounts.get_account(scope, worker_id)
    if WORKER not in worker.role_names:
        raise Invalid("Only grid workers hold posts.", code="not_a_worker")
    if worker.region_id != post.region_id:
        raise Invalid("A worker holds posts of their own grid only.",
                      code="worker_outside_post_grid")
    put_assignment(post, worker.id)
    commit_or_conflict("This worker was assigned elsewhere at the same moment; try again.",
                       "assignment_conflict")
    return describe_post(post)


def put_assignment(post: Post, worker_id: uuid.UUID) -> PostAssignment:
    """Make this post the worker's (in the caller's transaction, logged for sync; no
    checks: callers check). Nothing changes when it already is."""
    assignment = db.session.scalar(select(PostAssignment).where(
        PostAssignment.worker_id == worker_id))
    if assignment is not None and assignment.post_id == post.id:
        return assignment
    if assignment is None:
        assignment = PostAssignment(id=uuid.uuid4(), worker_id=worker_id, version=0)
        db.session.add(assignment)
    assignment.post_id, assignment.scope_path = post.id, post.scope_path
    assignment.version += 1
    assignment.updated_at = utcnow()
    log_reference_changes("post_assignments", [_assignment_change(assignment)])
    return assignment


def unassign_worker(scope: RegionScope, post_id: uuid.UUID, worker_id: uuid.UUID) -> None:
    """Take a worker off this post: their grid is their fence again."""
    post = get_post(scope, post_id)
    assignment = db.session.scalar(select(PostAssignment).where(
        PostAssignment.worker_id == worker_id, PostAssignment.post_id == post.id))
    if assignment is None:
        raise NotFound("This worker does not hold this post.", code="not_assigned")
    assignment.version += 1  # the tombstone's version, newer than any copy a phone holds
    change = _assignment_change(assignment, deleted=True)
    db.session.delete(assignment)
    log_reference_changes("post_assignments", [change])
    db.session.commit()


# -- shifts ----------------------------------------------------------------------------------


def list_shifts(scope: RegionScope) -> list[Shift]:
    """Shifts of regions and workers the caller may see."""
    shifts = db.session.scalars(select(Shift).order_by(Shift.created_at)).all()
    return [s for s in shifts if _shift_visible(scope, s)]


def _shift_visible(scope: RegionScope, shift: Shift) -> bool:
    try:
        if shift.region_id is not None:
            regions.get_region(scope, shift.region_id)
        else:
            accounts.get_account(scope, shift.worker_id)
    except NotFound:
        return False
    return True


def set_shift(scope: RegionScope, *, starts_at: time, ends_at: time, grace_min: int = 0,
              weekdays: str = "1234567", starts_on: date | None = None,
              region_id: uuid.UUID | None = None, worker_id: uuid.UUID | None = None) -> Shift:
    """Create or replace the shift of a region or of one worker (in the caller's scope)."""
    if (region_id is None) == (worker_id is None):
        raise Invalid("A shift belongs to a region or to a worker, not both.",
                      code="region_or_worker")
    if starts_at == ends_at:
        raise Invalid("A shift must not start and end at the same time.", code="empty_shift")
    if region_id is not None:
        regions.get_region(scope, region_id)
    else:
        accounts.get_account(scope, worker_id)
    shift = put_shift(region_id=region_id, worker_id=worker_id, starts_at=starts_at,
                      ends_at=ends_at, grace_min=grace_min, weekdays=weekdays,
                      starts_on=starts_on)
    commit_or_conflict("Someone else set this shift at the same moment; try again.",
                       "shift_conflict")
    return shift


def put_shift(*, starts_at: time, ends_at: time, grace_min: int = 0, weekdays: str = "1234567",
              starts_on: date | None = None, region_id: uuid.UUID | None = None,
              worker_id: uuid.UUID | None = None) -> Shift:
    """Add or replace a shift in the caller's transaction, which commits it (no checks:
    callers check). It is judged from starts_on, by default today in the city."""
    owner = Shift.region_id == region_id if region_id is not None else Shift.worker_id == worker_id
    shift = db.session.scalar(select(Shift).where(owner))
    if shift is None:
        shift = Shift(region_id=region_id, worker_id=worker_id)
        db.session.add(shift)
    shift.starts_at, shift.ends_at, shift.grace_min = starts_at, ends_at, grace_min
    shift.weekdays = "".join(sorted(set(weekdays)))
    shift.starts_on = starts_on or utcnow().astimezone(city_zone()).date()
    return shift


def delete_shift(scope: RegionScope, shift_id: uuid.UUID) -> None:
    shift = db.session.get(Shift, shift_id)
    if shift is None or not _shift_visible(scope, shift):
        raise NotFound("No such shift.")
    db.session.execute(delete(Shift).where(Shift.id == shift_id))
    db.session.commit()


class ShiftBook:
    """Every shift, read once: which one applies to a worker (their own, else the nearest
    region's up their path)."""

    def __init__(self) -> None:
        shifts = db.session.scalars(select(Shift)).all()
        self._by_worker = {s.worker_id: s for s in shifts if s.worker_id}
        self._by_region = {s.region_id: s for s in shifts if s.region_id}

    def for_worker(self, worker) -> Shift | None:
        if worker.id in self._by_worker:
            return self._by_worker[worker.id]
        ids = worker.region.ancestor_ids() if worker.region else []
        return next((self._by_region[i] for i in reversed(ids) if i in self._by_region), None)


# -- daily results -----------------------------------------------------------------------------

STATUSES = ("on_time", "late", "left_early", "absent", "outside_fence", "missing_punch")


@dataclass
class Day:
    """One worker's working day (考勤日) and its result."""

    date: date
    worker_id: uuid.UUID
    shift: Shift | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    shift_starts_at: datetime | None = None
    shift_ends_at: datetime | None = None
    first_in: datetime | None = None
    last_out: datetime | None = None
    punches: list[dict] = field(default_factory=list)
    # on_time alone, or any of late, left_early, absent, outside_fence, missing_punch;
    # empty on a rest day (or one without a shift) or a day still under way with nothing
    # to say yet.
    statuses: list[str] = field(default_factory=list)
    is_rest_day: bool = False
    is_in_progress: bool = False
    is_accuracy_flagged: bool = False
    # A punch came from a device whose clock was off at sync by more than the tolerance.
    is_clock_skewed: bool = False


def shift_window(shift: Shift, day: date, zone: ZoneInfo) -> tuple[datetime, datetime, datetime, datetime]:
    """(start, end, window start, window end) of a shift on a day, in UTC.

    A punch counts for the day whose window holds it: the shift plus half of the off-duty
    time on either side, so consecutive windows tile time and a night shift's clock-out
    after midnight still belongs to the day it began.
    """
    start = datetime.combine(day, shift.starts_at, tzinfo=zone).astimezone(UTC)
    end_day = day if shift.ends_at > shift.starts_at else day + timedelta(days=1)
    end = datetime.combine(end_day, shift.ends_at, tzinfo=zone).astimezone(UTC)
    half_gap = (timedelta(days=1) - (end - start)) / 2
    return start, end, start - half_gap, end + half_gap


def _judge(day: Day, shift: Shift, now: datetime) -> None:
    grace = timedelta(minutes=shift.grace_min)
    ins = [p["at"] for p in day.punches if p["kind"] == "in"]
    outs = [p["at"] for p in day.punches if p["kind"] == "out"]
    day.first_in, day.last_out = min(ins, default=None), max(outs, default=None)
    over = now >= day.window_end
    statuses = []
    if not day.punches:
        if over:
            statuses.append("absent")
    else:
        if day.first_in is None and (over or now > day.shift_starts_at + grace):
            statuses.append("missing_punch")
        if day.first_in and day.first_in > day.shift_starts_at + grace:
            statuses.append("late")
        if day.last_out is None and over:
            statuses.append("missing_punch")
        if day.last_out and day.last_out < day.shift_ends_at - grace:
            statuses.append("left_early")
        if any(p["inside_fence"] is False for p in day.punches):
            statuses.append("outside_fence")
    statuses = list(dict.fromkeys(statuses))
    if not statuses and over:
        statuses = ["on_time"]
    day.statuses = statuses
    day.is_in_progress = not over


def _punch_rows(worker_ids: list[uuid.UUID], since: datetime, until: datetime) -> list[Punch]:
    """Punches of these workers in [since, until), by device time."""
    rows: list[Punch] = []
    for i in range(0, len(worker_ids), 500):
        rows += db.session.scalars(select(Punch).where(
            Punch.worker_id.in_(worker_ids[i:i + 500]), Punch.deleted.is_(False),
            Punch.punched_at >= since, Punch.punched_at < until))
    return rows


def compute_days(workers: list, first: date, last: date, *, now: datetime | None = None,
                 book: ShiftBook | None = None) -> dict[uuid.UUID, list[Day]]:
    """Each worker's days from first to last (inclusive), judged by their shift, in the
    city's time zone. Days without a shift say nothing (no statuses)."""
    now, zone, book = now or utcnow(), city_zone(), book or ShiftBook()
    days: dict[uuid.UUID, list[Day]] = {}
    windows: dict[uuid.UUID, list[Day]] = {}
    for worker in workers:
        shift = book.for_worker(worker)
        days[worker.id] = []
        for n in range((last - first).days + 1):
            d = first + timedelta(days=n)
            day = Day(date=d, worker_id=worker.id)
            if shift is None or d < shift.starts_on:
                day.is_rest_day = True
                start = datetime.combine(d, time(0), tzinfo=zone)
                day.window_start, day.window_end = start, start + timedelta(days=1)
            else:
                day.shift_starts_at, day.shift_ends_at, day.window_start, day.window_end = \
                    shift_window(shift, d, zone)
                day.is_rest_day = str(d.isoweekday()) not in shift.weekdays
            day.shift = shift
            days[worker.id].append(day)
        windows[worker.id] = days[worker.id]
    if not workers:
        return days
    since = min(ds[0].window_start for ds in windows.values() if ds)
    until = max(ds[-1].window_end for ds in windows.values() if ds)
    for punch in _punch_rows([w.id for w in workers], since, until):
        at = punch.punched_at
        for day in windows[punch.worker_id]:
            if day.window_start <= at < day.window_end:
                day.punches.append({
                    "id": punch.id, "kind": punch.kind, "at": at, "punched_at": punch.punched_at,
                    "inside_fence": punch.inside_fence, "distance_m": punch.distance_m,
                    "accuracy_m": punch.accuracy_m, "accuracy_flagged": punch.accuracy_flagged,
                    "clock_skew_s": punch.clock_skew_s, "reason": punch.reason,
                    "fence_kind": punch.fence_kind})
                break
    tolerance = setting("ATTENDANCE_CLOCK_SKEW_TOLERANCE_S")
    for worker_days in days.values():
        for day in worker_days:
            day.punches.sort(key=lambda p: p["at"])
            day.is_accuracy_flagged = any(p["accuracy_flagged"] for p in day.punches)
            day.is_clock_skewed = any(abs(p["clock_skew_s"] or 0) > tolerance for p in day.punches)
            if day.shift is not None and not day.is_rest_day:
                _judge(day, day.shift, now)
            elif day.punches and day.shift is not None:
                # Worked on a rest day: say what the fence says, nothing about hours.
                day.statuses = ["outside_fence"] if any(
                    p["inside_fence"] is False for p in day.punches) else []
    return days


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-11' → (1 Nov, 30 Nov)."""
    try:
        year, number = (int(part) for part in month.split("-"))
        last = calendar.monthrange(year, number)[1]
    except (ValueError, calendar.IllegalMonthError) as error:
        raise Invalid("A month is written YYYY-MM.", code="invalid_month") from error
    return date(year, number, 1), date(year, number, last)


def _workers_in(scope: RegionScope, region_id: uuid.UUID | None) -> list:
    workers, page = [], 1
    while True:
        batch = accounts.list_accounts(scope, role=WORKER, region_id=region_id, page=page,
                                       per_page=1000, is_active=None)
        workers += batch.items
        if page >= batch.pages:
            return workers
        page += 1


def worker_month(scope: RegionScope, worker_id: uuid.UUID, month: str) -> dict:
    """One worker's days of a month (the console's calendar)."""
    worker = accounts.get_account(scope, worker_id)
    first, last = month_bounds(month)
    return {"worker": worker, "month": month,
            "days": compute_days([worker], first, last)[worker.id]}


def month_calendar(scope: RegionScope, month: str, region_id: uuid.UUID | None = None, *,
                   now: datetime | None = None) -> dict:
    """Every worker's days of a month, for the console's table (worker × day)."""
    first, last = month_bounds(month)
    if region_id:
        regions.get_region(scope, region_id)
    workers = _workers_in(scope, region_id)
    days = compute_days(workers, first, last, now=now)
    return {"month": month, "workers": [{"worker": w, "region": w.region, "days": days[w.id]}
                                        for w in workers]}


def _counts(days: list[Day]) -> dict:
    counter = Counter(status for day in days for status in day.statuses)
    return {"workdays": sum(1 for d in days if d.shift is not None and not d.is_rest_day),
            **{status: counter.get(status, 0) for status in STATUSES},
            "accuracy_flagged": sum(1 for d in days if d.is_accuracy_flagged)}


def month_summary(scope: RegionScope, month: str, region_id: uuid.UUID | None = None, *,
                  now: datetime | None = None) -> dict:
    """Per worker and per child region of `region_id` (default: the caller's region), the
    number of days of each status in a month (月度汇总)."""
    first, last = month_bounds(month)
    root = regions.get_region(scope, region_id) if region_id else None
    workers = _workers_in(scope, region_id)
    days = compute_days(workers, first, last, now=now)
    rows = [{"worker": w, "region": w.region, **_counts(days[w.id])} for w in workers]
    children = regions.list_regions(scope, parent_id=root.id, per_page=10_000).items if root \
        else _top_regions(scope)
    by_region: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for row in rows:
        path = row["region"].path if row["region"] else ""
        child = next((c for c in children if path.startswith(c.path)), None)
        if child is not None:
            by_region[child.id].append(row)
    region_rows = [{"region": c, "workers": len(by_region[c.id]),
                    **{key: sum(r[key] for r in by_region[c.id])
                       for key in ("workdays", *STATUSES, "accuracy_flagged")}}
                   for c in children]
    return {"month": month, "region": root, "workers": rows, "regions": region_rows}


def _top_regions(scope: RegionScope) -> list:
    """The regions a summary without a region groups by: the caller's own region's children
    (a supervisor), or the city's districts (an admin)."""
    if scope.everything:
        cities = regions.list_regions(scope, level="city", per_page=10).items
        return regions.list_regions(scope, parent_id=cities[0].id, per_page=10_000).items \
            if cities else []
    if scope.path_prefix is None:
        return []
    own_id = uuid.UUID(scope.path_prefix.strip("/").split("/")[-1])
    return regions.list_regions(scope, parent_id=own_id, per_page=10_000).items


# -- exports (CSV, Excel) -------------------------------------------------------------------

SUMMARY_COLUMNS = ["month", "username", "display_name", "region_code", "region_name",
                   "workdays", *STATUSES, "accuracy_flagged"]
DAY_COLUMNS = ["date", "username", "display_name", "shift", "first_in", "last_out",
               "statuses", "accuracy_flagged", "clock_skewed"]


def summary_rows(scope: RegionScope, month: str, region_id: uuid.UUID | None = None) -> list[list]:
    """The monthly summary per worker as rows of plain values, the header first."""
    rows = [SUMMARY_COLUMNS]
    for row in month_summary(scope, month, region_id)["workers"]:
        worker, region = row["worker"], row["region"]
        rows.append([month, worker.username, worker.display_name,
                     region.code if region else "", region.name if region else "",
                     row["workdays"], *(row[s] for s in STATUSES), row["accuracy_flagged"]])
    return rows


def day_rows(scope: RegionScope, month: str, region_id: uuid.UUID | None = None) -> list[list]:
    """Every worker's every day of a month, in the city's local time, the header first."""
    zone = city_zone()

    def local(value):
        return value.astimezone(zone).strftime("%H:%M") if value else ""

    rows = [DAY_COLUMNS]
    for row in month_calendar(scope, month, region_id)["workers"]:
        worker = row["worker"]
        for day in row["days"]:
            shift = f"{local(day.shift_starts_at)}-{local(day.shift_ends_at)}" \
                if day.shift_starts_at and not day.is_rest_day else ""
            rows.append([day.date.isoformat(), worker.username, worker.display_name, shift,
                         local(day.first_in), local(day.last_out), " ".join(day.statuses),
                         int(day.is_accuracy_flagged), int(day.is_clock_skewed)])
    return rows


def as_csv(rows: list[list]) -> str:
    """UTF-8 CSV with a byte-order mark, so that Excel reads the Chinese names."""
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows(rows)
    return out.getvalue()


def month_xlsx(scope: RegionScope, month: str, region_id: uuid.UUID | None = None) -> bytes:
    """The month as an Excel workbook: the summary per worker, and every day."""
    from openpyxl import Workbook  # only the export needs it

    book = Workbook(write_only=True)
    for title, rows in (("summary", summary_rows(scope, month, region_id)),
                        ("days", day_rows(scope, month, region_id))):
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def own_or_supervised(user, worker_id: uuid.UUID | None) -> uuid.UUID:
    """Whose days a caller may read: a worker only their own; supervisors anyone in scope
    (checked when the account is read)."""
    if worker_id is None or worker_id == user.id:
        return user.id
    if not user.role_names & {ADMIN, SUPERVISOR}:
        raise Forbidden("A worker sees only their own attendance.", code="not_your_attendance")
    return worker_id
