"""Attendance (考勤): the fence check of a punch, and shifts (班次).

The phone shows a distance too, but only the server's verdict counts: it is computed
here, on sync, from the worker's fence (电子围栏) — their post's circle if they have a
post, else their grid's boundary — and the point the phone sent. What a day's punches
come to is in days.py; monthly summaries and exports in reports.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, select

from backend.accounts import services as accounts
from backend.attendance.models import Shift
from backend.common import geo
from backend.common.auth import ADMIN, SUPERVISOR, RegionScope
from backend.common.settings import setting
from backend.common.time import city_zone, utcnow
from backend.common.transactions import commit_or_conflict
from backend.errors import Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.posts import services as posts
from backend.regions import services as regions

# -- the fence check (on sync) -------------------------------------------------------------


def clock_skew_s(sent_at: datetime | None, now: datetime) -> float | None:
    """How far the device's clock runs ahead of ours (negative: behind), as of this push."""
    return round((sent_at - now).total_seconds(), 3) if sent_at else None


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
            return geo.circle_verdict(self.lat, self.lon, self.radius_m, lat, lon)
        return geo.fence_verdict(self.area, lat, lon)


def fence_of_worker(worker_id: uuid.UUID, home_path: str | None) -> Fence | None:
    """The fence of a worker bound at this grid path: their post's circle, if they hold a
    post in that grid, else the grid's boundary; None without either."""
    post = posts.post_held_by(worker_id, home_path)
    if post is not None:
        return Fence(kind="post", lat=post.lat, lon=post.lon, radius_m=post.radius_m)
    area = regions.boundary_of_path(home_path)
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


def own_or_supervised(user, worker_id: uuid.UUID | None) -> uuid.UUID:
    """Whose days a caller may read: a worker only their own; supervisors anyone in scope
    (checked when the account is read)."""
    if worker_id is None or worker_id == user.id:
        return user.id
    if not user.role_names & {ADMIN, SUPERVISOR}:
        raise Forbidden("A worker sees only their own attendance.", code="not_your_attendance")
    return worker_id
