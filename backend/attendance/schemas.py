from __future__ import annotations

import marshmallow as ma

from backend.accounts.schemas import WorkerBrief
from backend.attendance.days import STATUSES
from backend.common.schemas import Day, Latitude, Longitude, Month
from backend.regions.schemas import RegionBrief

_month = Month(required=True, metadata={
    "description": "YYYY-MM (1970-01 to 2999-12), in the city's time zone.", "example": "2026-11"})


class ShiftIn(ma.Schema):
    region_id = ma.fields.UUID(metadata={"description": "A region's shift (any level; the "
                                                        "nearest up a worker's path applies)."})
    worker_id = ma.fields.UUID(metadata={"description": "One worker's own shift (wins)."})
    starts_at = ma.fields.Time(required=True, metadata={"description": "Local time, HH:MM."})
    ends_at = ma.fields.Time(required=True, metadata={
        "description": "Local time; before starts_at means the shift runs past midnight."})
    grace_min = ma.fields.Integer(load_default=0, validate=ma.validate.Range(0, 240))
    weekdays = ma.fields.String(load_default="1234567",
                                validate=ma.validate.Regexp(r"^[1-7]{1,7}$"),
                                metadata={"description": "ISO weekdays worked, 1 = Monday."})
    starts_on = Day(metadata={"description": "First day judged; default today."})


class ShiftOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    region_id = ma.fields.UUID(allow_none=True, required=True)
    worker_id = ma.fields.UUID(allow_none=True, required=True)
    starts_at = ma.fields.Time(required=True)
    ends_at = ma.fields.Time(required=True)
    grace_min = ma.fields.Integer(required=True)
    weekdays = ma.fields.String(required=True)
    starts_on = ma.fields.Date(required=True)


class ShiftListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ShiftOut), required=True)


class MonthArgs(ma.Schema):
    month = _month
    region_id = ma.fields.UUID(metadata={"description": "Default: the caller's own region."})


class WorkerMonthArgs(ma.Schema):
    month = _month
    worker_id = ma.fields.UUID(metadata={"description": "Default: the caller (a worker)."})


class PunchBrief(ma.Schema):
    id = ma.fields.UUID(required=True)
    kind = ma.fields.String(required=True)
    punched_at = ma.fields.DateTime(required=True, metadata={"description": "Device time."})
    inside_fence = ma.fields.Boolean(allow_none=True, required=True)
    distance_m = ma.fields.Float(allow_none=True, required=True)
    accuracy_m = ma.fields.Float(allow_none=True, required=True)
    accuracy_flagged = ma.fields.Boolean(allow_none=True, required=True)
    clock_skew_s = ma.fields.Float(allow_none=True, required=True)
    reason = ma.fields.String(allow_none=True, required=True)
    fence_kind = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "The fence that judged it: `grid` or `post` (null: no fence)."})


class DayBriefOut(ma.Schema):
    date = ma.fields.Date(required=True)
    shift_starts_at = ma.fields.DateTime(allow_none=True, required=True)
    shift_ends_at = ma.fields.DateTime(allow_none=True, required=True)
    first_in = ma.fields.DateTime(allow_none=True, required=True)
    last_out = ma.fields.DateTime(allow_none=True, required=True)
    statuses = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(STATUSES)),
                              required=True)
    is_rest_day = ma.fields.Boolean(required=True, metadata={
        "description": "No shift applies: a day off, or before the shift began."})
    is_in_progress = ma.fields.Boolean(required=True)
    is_accuracy_flagged = ma.fields.Boolean(required=True)
    is_clock_skewed = ma.fields.Boolean(required=True)


class DayOut(DayBriefOut):
    punches = ma.fields.List(ma.fields.Nested(PunchBrief), required=True)


class WorkerMonthOut(ma.Schema):
    month = ma.fields.String(required=True)
    worker = ma.fields.Nested(WorkerBrief, required=True)
    days = ma.fields.List(ma.fields.Nested(DayOut), required=True)


def _count_fields() -> dict:
    return {name: ma.fields.Integer(required=True)
            for name in ("workdays", *STATUSES, "accuracy_flagged")}


WorkerCountsOut = type("WorkerCountsOut", (ma.Schema,), {
    "worker": ma.fields.Nested(WorkerBrief, required=True),
    "region": ma.fields.Nested(RegionBrief, allow_none=True, required=True),
    **_count_fields()})
RegionCountsOut = type("RegionCountsOut", (ma.Schema,), {
    "region": ma.fields.Nested(RegionBrief, required=True),
    "workers": ma.fields.Integer(required=True),
    **_count_fields()})


class SummaryOut(ma.Schema):
    month = ma.fields.String(required=True)
    region = ma.fields.Nested(RegionBrief, allow_none=True, required=True)
    workers = ma.fields.List(ma.fields.Nested(WorkerCountsOut), required=True)
    regions = ma.fields.List(ma.fields.Nested(RegionCountsOut), required=True,
                             metadata={"description": "The region's children (or the caller's)."})


class WorkerCalendarOut(ma.Schema):
    worker = ma.fields.Nested(WorkerBrief, required=True)
    region = ma.fields.Nested(RegionBrief, allow_none=True, required=True)
    days = ma.fields.List(ma.fields.Nested(DayBriefOut), required=True)


class CalendarOut(ma.Schema):
    month = ma.fields.String(required=True)
    workers = ma.fields.List(ma.fields.Nested(WorkerCalendarOut), required=True)


# -- what a phone writes through sync ----------------------------------------------------

class PunchFields(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["in", "out"]))
    lat = Latitude(required=True)
    lon = Longitude(required=True)
    accuracy_m = ma.fields.Float(allow_none=True, load_default=None, allow_nan=False,
                                 validate=ma.validate.Range(min=0))
    punched_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    # Why the worker punched outside the fence.
    reason = ma.fields.String(allow_none=True, load_default=None,
                              validate=ma.validate.Length(max=500))
