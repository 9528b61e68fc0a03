"""The assessment's daily roll-up (日汇总): the clock-free figures of the cases reported on one
city day in one street, so that a city's or a district's year is added up from about 150 × 365
rows instead of read case by case (backend/stats/rollup.py keeps it and reads it).

`case_rollup_marks` is where a change of a case leaves word of its street and day: database
triggers on `reports` (migration 0019) add the old and the new place of every row written —
by sync, the API, a job, a bulk load or plain SQL alike — and the transaction turns them into
fresh roll-up rows before it commits. A future SQLite migration that rebuilds `reports`
(batch mode) drops its triggers: it must create them again (tests check they fire).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, Date, Float, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.time import UTCDateTime
from backend.extensions import db

# A region path is "/<id>/<id>/…/": each level adds one uuid and a slash.
SEGMENT = len(str(uuid.UUID(int=0))) + 1

# The clock-free figures of the assessment's region rows (stats/services.py defines each),
# stored per street and day; `overdue` moves with the clock and is read live.
ROLLUP_COUNTS = ("total", "registered", "dispatched", "handled", "closed", "closed_on_spot",
                 "open", "closed_on_time", "closed_late", "sent_back", "satisfied",
                 "unsatisfied", "cancelled", "merged")
ROLLUP_SUMS = ("closed_hours",)
# A case's statuses (incidents/workflow.py STATUSES, which models may not import; a test
# checks they agree): the map's counts and positions per status.
STATUSES = ("reported", "registered", "dispatched", "handled", "verified", "closed", "cancelled",
            "merged")


# One street's cases reported on one city day: the assessment's clock-free counts, and for
# the one map each status's count and the sums of their latitudes and longitudes.
case_rollup = Table(
    "case_rollup", db.metadata,
    # The street's region path ("/city/district/street/"; a case placed above street level
    # keeps its own path) and the city day (CITY_TIMEZONE) its cases were reported on.
    Column("street_path", String(200), primary_key=True),
    Column("day", Date, primary_key=True),
    *(Column(name, Integer, nullable=False, default=0) for name in ROLLUP_COUNTS),
    *(Column(name, Float, nullable=False, default=0.0) for name in ROLLUP_SUMS),
    *(Column(f"{part}_{status}", Integer if part == "n" else Float, nullable=False, default=0)
      for status in STATUSES for part in ("n", "lat", "lon")),
)


class CaseRollupMark(db.Model):
    """Where a case was before or after a change (written by the triggers on `reports`):
    its street and day need counting again before the transaction commits."""

    __tablename__ = "case_rollup_marks"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    scope_path: Mapped[str | None] = mapped_column(String(200))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseRollupState(db.Model):
    """When the roll-up was last built whole (`flask cases rebuild-rollup`). A row without a
    time (left by the migration on a database that had cases already) says it needs building:
    until then the figures are read live."""

    __tablename__ = "case_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
