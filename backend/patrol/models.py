"""Patrols (巡查) and the GPS points of their tracks."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, Index, String, Uuid
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
    # The rule its points' flags and segments were judged by (services.track_rule: the
    # limits and the grid's outline); another rule, or none, has the next push judge them
    # all afresh. Not part of the record.
    track_rule: Mapped[str | None] = mapped_column(String(64))


class TrackPoint(SyncedRecord, db.Model):
    __tablename__ = "track_points"
    # A patrol's points in time: a push reads only the end of its track from where its new
    # points land, and the console a day of it.
    __table_args__ = (Index("ix_track_points_patrol_recorded", "patrol_id", "recorded_at"),)

    patrol_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    worker_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # A poor fix or an impossible jump: kept, but not part of the distance.
    is_jitter: Mapped[bool] = mapped_column(Boolean, default=False)
    # From the trusted point before it: what it adds to the distance, and of that what is
    # inside the grid, in whole micrometres (0 for a flagged point; None: not judged yet).
    # The patrol's figures add them up, so that a push need not measure the whole track
    # again. Not part of the record.
    segment_um: Mapped[int | None] = mapped_column(BigInteger)
    inside_um: Mapped[int | None] = mapped_column(BigInteger)
