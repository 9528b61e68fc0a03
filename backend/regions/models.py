"""The grid hierarchy: city → district → street → community → grid."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.common import geo
from backend.common.ids import new_id
from backend.common.time import UTCDateTime, utcnow
from backend.extensions import db

LEVELS = ("city", "district", "street", "community", "grid")
LEVEL_DEPTH = {level: depth for depth, level in enumerate(LEVELS)}


def child_level(level: str) -> str | None:
    depth = LEVEL_DEPTH[level] + 1
    return LEVELS[depth] if depth < len(LEVELS) else None


def parent_level(level: str) -> str | None:
    depth = LEVEL_DEPTH[level] - 1
    return LEVELS[depth] if depth >= 0 else None


class Region(db.Model):
    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint(f"level IN {LEVELS}", name="level_known"),
        Index("ix_regions_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    level: Mapped[str] = mapped_column(String(16), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # "/<city id>/<district id>/…/<own id>/": a subtree is a prefix, so scope is one LIKE.
    path: Mapped[str] = mapped_column(String(200))
    # GeoJSON geometry text (Polygon or MultiPolygon, WGS 84): parsed in bulk by Shapely.
    boundary_geojson: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Counts accepted changes, for sync (phones pull regions as reference data).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    parent: Mapped[Region | None] = relationship(remote_side=[id])

    @property
    def boundary(self) -> dict:
        return json.loads(self.boundary_geojson)

    @property
    def depth(self) -> int:
        return LEVEL_DEPTH[self.level]

    def ancestor_ids(self) -> list[uuid.UUID]:
        """Ids from the city down to (and including) this region, read off the path."""
        return geo.region_ids_of_path(self.path)


class RegionsRevision(db.Model):
    """One row counting changes to the hierarchy.

    Every gunicorn worker keeps its own point-in-grid index in memory; comparing this
    counter tells it when to rebuild, without any cross-process signalling.
    """

    __tablename__ = "regions_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
