"""Attendance (考勤): the fence check of a punch, shifts (班次), daily results, monthly summaries.

The phone shows a distance too, but only the server's verdict counts: it is computed
here, on sync, from the worker's grid boundary (电子围栏) and the point the phone sent.
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
from backend.attendance.models import Punch, Shift
from backend.common.auth import ADMIN, SUPERVISOR, WORKER, RegionScope
from backend.common.settings import setting
from backend.common.time import utcnow
from backend.common.transactions import commit_or_conflict
from backend.errors import Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.regions import services as regions

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


def check_punch(fence: BaseGeometry | None, values: dict, *, now: datetime,
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
    inside, distance = fence_verdict(fence, values["lat"], values["lon"]) if fence else (None, None)
    return {"inside_fence": inside, "distance_m": distance, "clock_skew_s": clock_skew_s(sent_at, now),
            "accuracy_flagged": accuracy is None or accuracy > setting("ATTENDANCE_ACCURACY_MARGIN_M")}


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


def city_zone() -> ZoneInfo:
    return ZoneInfo(setting("CITY_TIMEZONE"))


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
                    "clock_skew_s": punch.clock_skew_s, "reason": punch.reason})
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
