"""Attendance punches, as an append-only sync collection; the server checks the fence."""

from __future__ import annotations

from backend.attendance import services
from backend.attendance.models import Punch
from backend.attendance.schemas import PunchFields
from backend.common.auth import WORKER
from backend.errors import AppError
from sync.errors import Rejection
from sync.registry import APPEND_ONLY, Collection, WriteContext, owned_audience


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
