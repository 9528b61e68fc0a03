"""A browser's push subscription, for the person signed in there."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.ids import new_id
from backend.common.time import UTCDateTime, utcnow
from backend.extensions import db


class PushSubscription(db.Model):
    __tablename__ = "push_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    # The push service's URL for this browser: one browser, one subscription.
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))  # the browser's ECDH key (RFC 8291)
    auth: Mapped[str] = mapped_column(String(64))  # its authentication secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sends that failed since the last that worked (a 404/410 removes the subscription).
    failures: Mapped[int] = mapped_column(Integer, default=0)
