"""The sync engine's own tables: clients, applied mutations, the change log, conflicts.

The mixin of the records themselves is in `base.py`, which feature models import.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.ids import new_id
from backend.common.time import UTCDateTime, utcnow
from backend.extensions import db


class SyncClient(db.Model):
    """One app install: who owns it and the last mutation applied from it."""

    __tablename__ = "sync_clients"

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_mid: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncResult(db.Model):
    """The first result of each applied mutation, returned again for a duplicate."""

    __tablename__ = "sync_results"

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sync_clients.client_id", ondelete="CASCADE"), primary_key=True)
    mid: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SyncChange(db.Model):
    """The newest change of each record, numbered in commit order.

    One row per record (a newer change moves the row to a higher seq), so a pull
    reads each record once, at its newest version.
    """

    __tablename__ = "sync_changes"
    __table_args__ = (Index("ix_sync_changes_scope_path", "scope_path",
                            postgresql_ops={"scope_path": "varchar_pattern_ops"}),
                      # With the indexes of scope_path and owner_id, a pull of a small scope
                      # (a grid's) finds its changes without reading the whole log: public
                      # records are the third term of its OR.
                      Index("ix_sync_changes_public", "seq", postgresql_where=text("is_public IS TRUE"),
                            sqlite_where=text("is_public IS TRUE")))

    collection: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    scope_path: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The change as pull serves it (JSON), stored with it so that a page is stored text
    # joined together; None for a tombstone (and for changes logged before it was stored).
    entry: Mapped[str | None] = mapped_column(Text)


class SyncCounter(db.Model):
    """The one row that numbers changes.

    A write transaction bumps it last, just before committing; the row lock it takes
    is held until commit, so numbers are handed out in commit order and a pull can
    never skip a change that commits late (guarantee 5).
    """

    __tablename__ = "sync_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Tombstones up to this seq have been compacted away; older cursors get 410.
    horizon_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # The newest departure's seq: a pull whose cursor is past it need not read departures.
    departed_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class SyncDeparture(db.Model):
    """A record that left an audience: its audience before a change that gave it another
    (a case moved to another grid), numbered from the change log's sequence.

    The change log keeps only a record's newest audience; pull serves a departure as a
    `reason: scope` tombstone to whoever saw the record through the old audience and does
    not through its audience now. Kept as long as tombstones (`flask sync compact`).
    """

    __tablename__ = "sync_departures"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    collection: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer)
    scope_path: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncConflict(db.Model):
    """A value that lost, kept with the value that won, for a supervisor to review."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (Index("ix_sync_conflicts_scope_path", "scope_path",
                            postgresql_ops={"scope_path": "varchar_pattern_ops"}),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    collection: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    kind: Mapped[str] = mapped_column(String(24))  # field, delete_wins, workflow
    field: Mapped[str | None] = mapped_column(String(64))
    losing_value: Mapped[dict | list | str | int | float | bool | None] = mapped_column(JSON)
    winning_value: Mapped[dict | list | str | int | float | bool | None] = mapped_column(JSON)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    mid: Mapped[int] = mapped_column(BigInteger)
    base_version: Mapped[int | None] = mapped_column(Integer)
    server_version: Mapped[int] = mapped_column(Integer)
    scope_path: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    resolution: Mapped[str | None] = mapped_column(String(24))
