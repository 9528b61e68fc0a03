"""Attendance punches (考勤打卡) inside the electronic fence (电子围栏), and shifts (班次)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Time,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.ids import new_id
from backend.common.time import UTCDateTime, utcnow
from backend.extensions import db
from backend.sync_adapter.base import SyncedRecord


class Punch(SyncedRecord, db.Model):
    __tablename__ = "attendance"

    kind: Mapped[str] = mapped_column(String(8))  # in, out
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    punched_at: Mapped[datetime] = mapped_column(UTCDateTime)  # device time
    # Why the worker punched outside the fence (their words, optional).
    reason: Mapped[str | None] = mapped_column(String(500))
    worker_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    # The server's own verdict; the phone's is never trusted. None: the worker has no fence.
    inside_fence: Mapped[bool | None] = mapped_column(Boolean)
    distance_m: Mapped[float | None] = mapped_column(Float)
    clock_skew_s: Mapped[float | None] = mapped_column(Float)
    # The GPS fix was too coarse (or unknown) to trust the verdict.
    accuracy_flagged: Mapped[bool | None] = mapped_column(Boolean)
    # Which fence judged it: "grid" (the worker's grid polygon) or "post" (their post's
    # circle); None with no fence.
    fence_kind: Mapped[str | None] = mapped_column(String(8))


class Shift(db.Model):
    """Working hours (班次) of a region's workers (any level, the nearest wins) or of one worker.

    Times are the city's local time; an end before the start runs past midnight.
    """

    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("(region_id IS NULL) <> (worker_id IS NULL)", name="region_or_worker"),
        CheckConstraint("grace_min >= 0 AND grace_min <= 240", name="grace_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), unique=True)
    worker_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    grace_min: Mapped[int] = mapped_column(Integer, default=0)
    # ISO weekdays the shift is worked, "1234567" = every day.
    weekdays: Mapped[str] = mapped_column(String(7), default="1234567")
    # The first day (city date) the shift is judged: days before it had no rules to break.
    starts_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
