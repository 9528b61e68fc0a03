"""The one-window service hall (一窗受理): halls and their services."""

from __future__ import annotations

import uuid

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.sync_adapter.base import SyncedRecord


class Hall(SyncedRecord, db.Model):
    __tablename__ = "halls"

    name: Mapped[str] = mapped_column(String(100))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    fence_radius_m: Mapped[float] = mapped_column(Float, default=150.0)


class Service(SyncedRecord, db.Model):
    __tablename__ = "services"

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"), index=True)
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(100))
