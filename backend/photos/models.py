"""Photo metadata; the bytes travel separately as blobs addressed by SHA-256."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Float, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.time import UTCDateTime
from backend.extensions import db
from backend.sync_adapter.base import SyncedRecord


class Photo(SyncedRecord, db.Model):
    __tablename__ = "photos"

    sha256: Mapped[str] = mapped_column(String(64), index=True)
    record_collection: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    uploader_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    has_blob: Mapped[bool] = mapped_column(Boolean, default=False)


class Blob(db.Model):
    """A stored blob: its hash, size and real type; the bytes are in blob storage."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploader_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
