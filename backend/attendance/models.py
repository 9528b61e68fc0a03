"""Attendance punches (考勤打卡) inside the electronic fence (电子围栏)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Float, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.time import UTCDateTime
from backend.extensions import db
from backend.sync_adapter.models import SyncedRecord


class Punch(SyncedRecord, db.Model):
    __tablename__ = "attendance"

    kind: Mapped[str] = mapped_column(String(8))  # in, out
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    punched_at: Mapped[datetime] = mapped_column(UTCDateTime)  # device time
    worker_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    inside_fence: Mapped[bool | None] = mapped_column(Boolean)
    distance_m: Mapped[float | None] = mapped_column(Float)
    clock_skew_s: Mapped[float | None] = mapped_column(Float)
