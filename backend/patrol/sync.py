"""Patrols and their track points, as sync collections (distance and coverage: issue 5)."""

from __future__ import annotations

import uuid

import marshmallow as ma
import sqlalchemy as sa

from backend.common.auth import ADMIN, WORKER
from backend.patrol.models import Patrol, TrackPoint
from sync.errors import Rejection
from sync.registry import APPEND_ONLY, MERGE, Audience, Collection, WriteContext


class PatrolFields(ma.Schema):
    started_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    ended_at = ma.fields.AwareDateTime(allow_none=True, load_default=None, default_timezone=None)


class TrackPointFields(ma.Schema):
    patrol_id = ma.fields.UUID(required=True)
    lat = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-180, 180))
    accuracy_m = ma.fields.Float(allow_none=True, load_default=None, allow_nan=False,
                                 validate=ma.validate.Range(min=0))
    recorded_at = ma.fields.AwareDateTime(required=True, default_timezone=None)


def owned_audience(owner_field: str):
    def audience(row: dict) -> Audience:
        return Audience(scope_path=row.get("scope_path"), owner_id=row.get(owner_field))
    return audience


def _grid_id(path: str | None) -> uuid.UUID | None:
    return uuid.UUID(path.strip("/").split("/")[-1]) if path else None


def _duration_s(started, ended) -> float:
    return max(0.0, (ended - started).total_seconds()) if started and ended else 0.0


def prepare_patrol(ctx: WriteContext, values: dict) -> dict:
    return {"worker_id": ctx.actor.user_id, "grid_id": _grid_id(ctx.actor.home_path),
            "scope_path": ctx.actor.home_path,
            "duration_s": _duration_s(values["started_at"], values.get("ended_at"))}


def update_patrol(_ctx: WriteContext, current: dict, changes: dict) -> dict:
    merged = {**current, **changes}
    return {"duration_s": _duration_s(merged["started_at"], merged["ended_at"])}


def may_write_patrol(ctx: WriteContext, record: dict | None, op: str) -> bool:
    if record is None:
        return WORKER in ctx.actor.roles
    return record["worker_id"] == ctx.actor.user_id or ADMIN in ctx.actor.roles


def prepare_track_point(ctx: WriteContext, values: dict) -> dict:
    table = Patrol.__table__
    patrol = ctx.conn.execute(sa.select(table.c.worker_id, table.c.scope_path).where(
        table.c.id == values["patrol_id"], table.c.deleted.is_(False))).first()
    if patrol is None or patrol.worker_id != ctx.actor.user_id:
        raise Rejection("unknown_patrol", "The point belongs to no patrol of yours.")
    return {"worker_id": ctx.actor.user_id, "scope_path": patrol.scope_path}


COLLECTIONS = [
    Collection(name="patrols", table=Patrol.__table__, rule=MERGE, schema=PatrolFields,
               server_fields=("worker_id", "grid_id", "distance_m", "duration_s"),
               audience=owned_audience("worker_id"), prepare_create=prepare_patrol,
               prepare_update=update_patrol, can_write=may_write_patrol),
    Collection(name="track_points", table=TrackPoint.__table__, rule=APPEND_ONLY,
               schema=TrackPointFields, server_fields=("worker_id",),
               audience=owned_audience("worker_id"), prepare_create=prepare_track_point,
               can_write=may_write_patrol),
]
