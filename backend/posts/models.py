"""Posts (岗位): a point and radius that replaces a worker's grid as their fence, and who
holds which post."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.ids import new_id
from backend.common.time import UTCDateTime, utcnow
from backend.extensions import db

# A post's circle: a few metres would be inside GPS error, kilometres would fence nothing.
POST_RADIUS_MIN_M, POST_RADIUS_MAX_M = 10.0, 2000.0


class Post(db.Model):
    """A post (岗位): a point and radius inside one grid, the fence of the workers assigned.

    Reference data for phones (the `posts` collection): `version` counts accepted changes,
    `scope_path` is the grid's path, so everyone whose scope covers the grid pulls it.
    """

    __tablename__ = "posts"
    __table_args__ = (
        CheckConstraint(f"radius_m >= {POST_RADIUS_MIN_M} AND radius_m <= {POST_RADIUS_MAX_M}",
                        name="radius_range"),
        UniqueConstraint("region_id", "name", name="uq_posts_region_id_name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    region_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"),
                                                 index=True)
    scope_path: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostAssignment(db.Model):
    """A worker's post: at most one per worker (unique worker_id); a post has any number.

    Synced (`post_assignments`) to the worker and to everyone who sees the post, so that a
    phone knows its own fence offline.
    """

    __tablename__ = "post_assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    worker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                 unique=True)
    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("posts.id", ondelete="RESTRICT"),
                                               index=True)
    # The post's grid path, for the scope of the sync log.
    scope_path: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
