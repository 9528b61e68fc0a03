"""Attendance days (考勤日): what a worker's punches come to on each day of their shift.

A punch belongs to the day whose shift window holds it, in the city's time zone; a day is
on time, or late, left early, absent, outside the fence or missing a punch.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.attendance.models import Punch, Shift
from backend.common.settings import setting
from backend.common.time import city_zone, utcnow
from backend.errors import Invalid
from backend.extensions import db


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
