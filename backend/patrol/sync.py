"""Patrols and their track points, as sync collections; the server measures each track."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from backend.common import geo
from backend.common.auth import ADMIN, WORKER
from backend.patrol import services
from backend.patrol.models import Patrol, TrackPoint
from backend.patrol.schemas import PatrolFields, TrackPointFields
from sync.errors import Rejection
from sync.registry import APPEND_ONLY, MERGE, Collection, WriteContext, owned_audience


def _track(ctx: WriteContext, patrol_id: uuid.UUID, scope_path: str | None,
           first_at: datetime | None = None) -> services.Track:
    """The patrol's track, read once per push (from where its first new point lands) and
    kept up to date by its new points; what they changed is written once, when the push
    has applied all its mutations."""
    def load() -> services.Track:
        track = services.load_track(ctx.conn, patrol_id, scope_path, first_at)
        ctx.after_push(("patrol_track", patrol_id),
                       lambda: services.save_track(ctx.conn, track, ctx.now))
        return track
    return ctx.remember(("patrol_track", patrol_id), load)


def _locked_patrol(ctx: WriteContext, patrol_id: uuid.UUID):
    """The patrol of a new point, its row locked before its track is read: two pushes adding
    points to one patrol (two phones of one worker) measure one after the other, each with
    the other's points. Read and locked once per push (the lock lasts until commit)."""
    key = ("patrol_locked", patrol_id)
    if key not in ctx.cache:
        table = Patrol.__table__
        patrol = ctx.conn.execute(sa.select(table.c.worker_id, table.c.scope_path).where(
            table.c.id == patrol_id, table.c.deleted.is_(False)).with_for_update()).first()
        if patrol is None or patrol.worker_id != ctx.actor.user_id:
            return None  # not kept: the rejection rolls back the lock with the mutation
        ctx.cache[key] = patrol
    return ctx.cache[key]


def prepare_patrol(ctx: WriteContext, values: dict) -> dict:
    return {"worker_id": ctx.actor.user_id, "grid_id": geo.region_id_of_path(ctx.actor.home_path),
            "scope_path": ctx.actor.home_path,
            "duration_s": services.duration_s(values["started_at"], values.get("ended_at"))}


def update_patrol(ctx: WriteContext, current: dict, changes: dict) -> dict:
    # All figures, not only the duration: in a push where points came first, `current` was
    # read before them, and the record this answers with must not carry the old distance.
    merged = {**current, **changes}
    track = _track(ctx, current["id"], current["scope_path"])
    return track.measures(merged["started_at"], merged["ended_at"])


def may_write_patrol(ctx: WriteContext, record: dict | None, op: str) -> bool:
    if record is None:
        return WORKER in ctx.actor.roles
    if op == "delete":  # a point after this in the push finds no patrol
        ctx.cache.pop(("patrol_locked", record["id"]), None)
    return record["worker_id"] == ctx.actor.user_id or ADMIN in ctx.actor.roles


def prepare_track_point(ctx: WriteContext, values: dict) -> dict:
    patrol = _locked_patrol(ctx, values["patrol_id"])
    if patrol is None:
        raise Rejection("unknown_patrol", "The point belongs to no patrol of yours.")
    track = _track(ctx, values["patrol_id"], patrol.scope_path, values["recorded_at"])
    point = services.add_track_point(ctx.conn, track, ctx.record_id, values)
    return {"worker_id": ctx.actor.user_id, "scope_path": patrol.scope_path,
            "is_jitter": point.is_jitter, "segment_um": point.segment_um,
            "inside_um": point.inside_um}


COLLECTIONS = [
    Collection(name="patrols", table=Patrol.__table__, rule=MERGE, schema=PatrolFields,
               server_fields=("worker_id", "grid_id", "distance_m", "duration_s", "inside_share"),
               audience=owned_audience("worker_id"), prepare_create=prepare_patrol,
               prepare_update=update_patrol, can_write=may_write_patrol),
    Collection(name="track_points", table=TrackPoint.__table__, rule=APPEND_ONLY,
               schema=TrackPointFields, server_fields=("worker_id", "is_jitter"),
               audience=owned_audience("worker_id"), prepare_create=prepare_track_point,
               # A point's hooks read its patrol's points once per push, before its first
               # new point (_track), so they never look for points still to be inserted.
               can_write=may_write_patrol, batch_creates=True),
]
