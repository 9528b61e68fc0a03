"""The one-window service hall (一窗受理): halls, their services and windows, the queue's
tickets, appointments, ratings (好差评) and electronic supervision's alerts (电子监察).

Halls and services are synced reference data (a citizen picks a service offline); the rest
lives on the server only.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.common.ids import new_id
from backend.common.time import UTCDateTime, utcnow
from backend.extensions import db
from backend.sync_adapter.base import SyncedRecord

# A ticket's life: waiting → called (→ recalled, still called) → done | no_show; waiting →
# cancelled by its holder. A transfer puts a called ticket back to waiting elsewhere.
WAITING, CALLED, DONE, NO_SHOW, CANCELLED = "waiting", "called", "done", "no_show", "cancelled"
TICKET_STATUSES = (WAITING, CALLED, DONE, NO_SHOW, CANCELLED)
OPEN_STATUSES = (WAITING, CALLED)
# A window's state: open (calling), paused (the clerk stepped away), closed (nobody there).
WINDOW_OPEN, WINDOW_PAUSED, WINDOW_CLOSED = "open", "paused", "closed"
WINDOW_STATUSES = (WINDOW_OPEN, WINDOW_PAUSED, WINDOW_CLOSED)
# What electronic supervision watches.
ALERT_OVERTIME, ALERT_IDLE, ALERT_PAUSED, ALERT_LONG_WAIT = (
    "overtime_service", "idle_window", "paused_window", "long_wait")
ALERT_KINDS = (ALERT_OVERTIME, ALERT_IDLE, ALERT_PAUSED, ALERT_LONG_WAIT)
# What a rating may name (the citizen ticks them; the PWA words them): praise, then complaints.
RATING_REASONS = ("efficient", "courteous", "clear", "long_wait", "attitude", "unclear",
                  "repeat_visit", "other")
# A rating of this or lower opens a follow-up (差评整改) for the hall's manager.
BAD_RATING_MAX = 2
# A bad rating's follow-up (差评整改).
FOLLOWUP_OPEN, FOLLOWUP_DONE = "open", "done"


class Hall(SyncedRecord, db.Model):
    __tablename__ = "halls"

    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    fence_radius_m: Mapped[float] = mapped_column(Float, default=150.0)
    # Opening hours by ISO weekday ("1" Monday … "7" Sunday): [["08:30", "12:00"], …] in
    # the city's time; a weekday missing or empty is closed.
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    # Electronic supervision's thresholds: a wait longer than this, a window idle or paused
    # this long while people wait.
    wait_alert_min: Mapped[int] = mapped_column(Integer, default=30)
    idle_alert_min: Mapped[int] = mapped_column(Integer, default=5)


class Service(SyncedRecord, db.Model):
    __tablename__ = "services"

    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"), index=True)
    # The letter in front of its numbers (A007): one per service in a hall.
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(100))
    # What the estimate starts from before there is history, and what supervision allows.
    avg_service_min: Mapped[float] = mapped_column(Float, default=9.0)
    time_limit_min: Mapped[int] = mapped_column(Integer, default=20)
    # Numbers a day; 0 means no limit.
    daily_limit: Mapped[int] = mapped_column(Integer, default=200)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


# Who manages which hall (大厅负责人): their alerts, follow-ups and statistics.
hall_managers = Table(
    "hall_managers", db.metadata,
    Column("hall_id", Uuid, ForeignKey("halls.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

window_services = Table(
    "window_services", db.metadata,
    Column("window_id", Uuid, ForeignKey("windows.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", Uuid, ForeignKey("services.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Window(db.Model):
    """A counter in the hall: one number, the services it handles (one window, many services:
    the integrated window), and the clerk at it."""

    __tablename__ = "windows"
    __table_args__ = (UniqueConstraint("hall_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(50), default="")
    clerk_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=WINDOW_OPEN)
    # Since when it is in that state, and since when it has had nobody at it: what idle
    # and paused alerts measure.
    status_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    idle_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    services: Mapped[list[Service]] = relationship(secondary=window_services, lazy="selectin",
                                                   order_by="Service.sort_order")


class TicketCounter(db.Model):
    """The last number given per service per day: incremented in the taking transaction, so
    numbers have no gaps (a rolled-back take gives its number back) and no duplicates."""

    __tablename__ = "ticket_counters"

    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"),
                                                  primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class AppointmentSlot(db.Model):
    """A time a service keeps for booked citizens (预约): their tickets go first then."""

    __tablename__ = "appointment_slots"
    __table_args__ = (UniqueConstraint("service_id", "starts_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"),
                                                  index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer, default=4)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (UniqueConstraint("slot_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    slot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointment_slots.id",
                                                          ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    # booked → used (a ticket was taken with it) | cancelled
    status: Mapped[str] = mapped_column(String(16), default="booked")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        # Numbers are unique in a hall per day (service letters are unique in a hall).
        UniqueConstraint("hall_id", "day", "number"),
        # A retried take finds the ticket the first one made.
        UniqueConstraint("user_id", "idempotency_key"),
        # One open ticket per citizen per service, even when two takes race.
        Index("uq_tickets_open_per_service", "user_id", "service_id", unique=True,
              postgresql_where=text("status IN ('waiting', 'called')"),
              sqlite_where=text("status IN ('waiting', 'called')")),
        Index("ix_tickets_queue", "service_id", "status", "queued_at"),
        Index("ix_tickets_hall_day", "hall_id", "day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    day: Mapped[date] = mapped_column(Date)  # the city's day it was taken
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(12))  # service code + seq: "A007"
    status: Mapped[str] = mapped_column(String(16), default=WAITING)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Its place in the queue: the time it was taken, kept through a transfer.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A booked ticket goes first from its slot's start.
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"))
    priority_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Transferred to one window: only that window calls it.
    for_window_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("windows.id", ondelete="SET NULL"))
    window_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("windows.id", ondelete="SET NULL"))
    clerk_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recalls: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the citizen stood when taking it (the fence check's input).
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # The "two places away" push went out (once per ticket).
    near_pushed: Mapped[bool] = mapped_column(Boolean, default=False)
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")


class TicketRating(db.Model):
    """好差评: once per finished ticket; 1–2 opens a follow-up (差评整改) for the manager."""

    __tablename__ = "ticket_ratings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                                 unique=True)
    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    followup_status: Mapped[str | None] = mapped_column(String(16))
    followup_action: Mapped[str] = mapped_column(Text, default="")
    followup_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    followup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HallAlert(db.Model):
    """One electronic-supervision alert: raised by the watcher, acknowledged by a person."""

    __tablename__ = "hall_alerts"
    __table_args__ = (Index("ix_hall_alerts_open", "hall_id", "acknowledged_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    hall_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("halls.id"))
    kind: Mapped[str] = mapped_column(String(32))
    # What it is about: a ticket, a window or a service, by id and by what people read.
    subject_id: Mapped[str] = mapped_column(String(36))
    subject_label: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The condition ended by itself (the service finished, someone called).
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), default="")
