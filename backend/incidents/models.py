"""Incidents (事项): the category catalogue and reports from the street."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.common.time import UTCDateTime
from backend.extensions import db
from backend.sync_adapter.base import SyncedRecord


class Category(SyncedRecord, db.Model):
    """What kind of incident, and how long it may take to close (时限)."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    parent_code: Mapped[str | None] = mapped_column(String(64))
    time_limit_h: Mapped[int] = mapped_column(Integer, default=72)
    # Whoever handles a case of this kind shows the result: "after" photos are required.
    after_photo_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Each step's own limit in working hours ({"register": 2, "handle": 24, …}); a step left
    # out takes the city's (STEP_LIMITS_H), and handling takes time_limit_h.
    step_limits_h: Mapped[dict | None] = mapped_column(JSON)


# What the one map reads of a case besides where it is (backend/map): the sight rule's and
# the filters' columns, its status and deadline.
MAP_CARRIED = ["reported_at", "status", "deadline_at", "deleted", "scope_path", "reporter_id",
               "assignee_id", "category"]


class Report(SyncedRecord, db.Model):
    """An incident reported from the street (事项上报)."""

    __tablename__ = "reports"
    # The case list's order (newest first), and its open-and-overdue filter; chosen from the
    # plans bench/case_bench.py prints at a year's volume.
    __table_args__ = (Index("ix_reports_reported_at_id", "reported_at", "id"),
                      Index("ix_reports_status_deadline", "status", "deadline_at"),
                      # The one map: the cases in a view's box, with what its filters and
                      # clusters read, so that a view is counted from the index (0017).
                      Index("ix_reports_map", "lat", "lon", postgresql_include=MAP_CARRIED),
                      # The assessment: a region's cases for a period read from the index
                      # alone (migration 0018).
                      Index("ix_reports_stats", "scope_path", "reported_at",
                            postgresql_include=["status", "deleted", "deadline_at", "closed_at",
                                                "dispatched_at", "handled_at", "send_backs",
                                                "satisfaction", "department_id", "assignee_id",
                                                "reporter_id"],
                            postgresql_ops={"scope_path": "text_pattern_ops"}))

    category: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # How good the place is: the GPS fix's accuracy radius in metres (None: the phone had no
    # fix), and whether the worker moved the pin off the fix by hand.
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    location_adjusted: Mapped[bool] = mapped_column(Boolean, default=False)
    photos: Mapped[list] = mapped_column(JSON, default=list)
    # "After" photos: the result of handling, or of closing on the spot (sha256 list).
    after_photos: Mapped[list] = mapped_column(JSON, default=list)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Server-owned
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    grid_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("regions.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="reported")
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reporter_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # Server-owned: what happened to the case and when, oldest first
    # ([{"at", "event", "status"?, "by"?}]); it syncs back so the phone can show it offline.
    timeline: Mapped[list] = mapped_column(JSON, default=list)
    # Server-owned, moved by the case's actions (see workflow.py): who handles it now — the
    # street, or the district once escalated; the department or grid worker it is
    # dispatched to; when it was closed (a supervisor may reopen it for a while).
    tier: Mapped[str] = mapped_column(String(16), default="street")
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"),
                                                            index=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the overdue job first found it past its deadline (and told who acts next).
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 结果反馈: the reporter's word on the result once the case is finished ("satisfied" or
    # "unsatisfied"; None until given), given once per closing (a reopened case asks again).
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    satisfaction_note: Mapped[str] = mapped_column(Text, default="")
    # A duplicate merged into another case: it points there, and its reporter follows that case.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("reports.id", name="fk_reports_merged_into_id_reports"), index=True)
    # The current step's own time limit (立案, 派遣, 处置, 核查, 结案), beside the whole case's.
    step_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Server-owned, what the assessment (专项考核) counts of the loop without reading timelines:
    # when the case was last dispatched and last handled, and how often it was sent back
    # (workflow.milestones, written with the action's own change).
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_backs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the overdue job found the current step past its limit (cleared by the next step).
    step_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseCounter(db.Model):
    """The last case number of a prefix (district code + day), taken under a row lock."""

    __tablename__ = "case_counters"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
