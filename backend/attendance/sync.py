"""Attendance punches, as an append-only sync collection (fence rules: issue 5)."""

from __future__ import annotations

import marshmallow as ma

from backend.attendance.models import Punch
from backend.common.auth import WORKER
from backend.patrol.sync import owned_audience
from sync.registry import APPEND_ONLY, Collection, WriteContext


class PunchFields(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["in", "out"]))
    lat = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-180, 180))
    accuracy_m = ma.fields.Float(allow_none=True, load_default=None, allow_nan=False,
                                 validate=ma.validate.Range(min=0))
    punched_at = ma.fields.AwareDateTime(required=True, default_timezone=None)


def prepare_punch(ctx: WriteContext, _values: dict) -> dict:
    # The device's clock against ours, as of this push (a punch keeps device time).
    skew = (ctx.sent_at - ctx.now).total_seconds() if ctx.sent_at else None
    return {"worker_id": ctx.actor.user_id, "scope_path": ctx.actor.home_path,
            "clock_skew_s": skew}


def may_punch(ctx: WriteContext, _record: dict | None, _op: str) -> bool:
    return WORKER in ctx.actor.roles


COLLECTIONS = [
    Collection(name="attendance", table=Punch.__table__, rule=APPEND_ONLY, schema=PunchFields,
               server_fields=("worker_id", "inside_fence", "distance_m", "clock_skew_s"),
               audience=owned_audience("worker_id"), prepare_create=prepare_punch,
               can_write=may_punch),
]
