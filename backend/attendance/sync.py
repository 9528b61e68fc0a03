"""Attendance punches, as an append-only sync collection; the server checks the fence."""

from __future__ import annotations

import marshmallow as ma

from backend.attendance import services
from backend.attendance.models import Punch
from backend.common.auth import WORKER
from backend.common.schemas import Latitude, Longitude
from backend.errors import AppError
from sync.errors import Rejection
from sync.registry import APPEND_ONLY, Collection, WriteContext, owned_audience


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


def prepare_punch(ctx: WriteContext, values: dict) -> dict:
    # Read once per push: every punch of a push is the same worker's.
    fence = ctx.remember(("attendance_fence", ctx.actor.user_id),
                         lambda: services.fence_of_worker(ctx.actor.user_id, ctx.actor.home_path))
    try:
        checked = services.check_punch(fence, values, now=ctx.now, sent_at=ctx.sent_at)
    except AppError as error:
        raise Rejection(error.code, error.message) from error
    return {"worker_id": ctx.actor.user_id, "scope_path": ctx.actor.home_path, **checked}


def may_punch(ctx: WriteContext, _record: dict | None, _op: str) -> bool:
    return WORKER in ctx.actor.roles


COLLECTIONS = [
    Collection(name="attendance", table=Punch.__table__, rule=APPEND_ONLY, schema=PunchFields,
               server_fields=("worker_id", "inside_fence", "distance_m", "clock_skew_s",
                              "accuracy_flagged", "fence_kind"),
               audience=owned_audience("worker_id"), prepare_create=prepare_punch,
               can_write=may_punch),
]
