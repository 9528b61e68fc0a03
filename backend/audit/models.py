"""One row per audited event. No foreign keys: the trail outlives what it speaks of."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.time import UTCDateTime, utcnow
from backend.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_action_at", "action", "at"),)

    # SQLite numbers only an INTEGER PRIMARY KEY by itself.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # "<area>.<what happened>", e.g. auth.sign_in_failed, account.roles_changed.
    action: Mapped[str] = mapped_column(String(48))
    # Who did it; for a failed sign-in, the account named (if it exists) and the name typed.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64), index=True)
    address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
