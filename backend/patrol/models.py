"""Patrols (巡查) and the GPS points of their tracks."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Float, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.time import UTCDateTime
from backend.extensions import db
from backend.sync_adapter.base import SyncedRecord


class Patrol(SyncedRecord, db.Model):
    __tablename__ = "patrols"

    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    grid_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    # Of the trusted track's length, the share inside the worker's grid (None: no grid).
    inside_share: Mapped[float | None] = mapped_column(Float)


class TrackPoint(SyncedRecord, db.Model):
    __tablename__ = "track_points"

    patrol_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    worker_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # A poor fix or an impossible jump: kept, but not part of the distance.
    is_jitter: Mapped[bool] = mapped_column(Boolean, default=False)
