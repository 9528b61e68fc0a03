"""What a feature's models need to be synced: the columns every synced record has.

Feature models import this module and nothing else of the sync adapter, so that no
feature is imported here and the adapter can be built without them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, Uuid
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from backend.common.ids import new_id
from backend.common.time import UTCDateTime, utcnow


class SyncedRecord:
    """Columns every synced record has (SYNC_PROTOCOL.md "Records")."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Per field: [version it last changed at, client_time, client_id] — what the
    # field-level merge compares (SYNC_PROTOCOL.md "Conflict rules").
    field_clock: Mapped[dict] = mapped_column(JSON, default=dict)

    @declared_attr
    def scope_path(cls) -> Mapped[str | None]:
        # The region path the record belongs to (its grid's), copied for scope filters.
        return mapped_column(String(200))
