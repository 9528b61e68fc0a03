"""Appointments (预约): a service's slots, kept by administrators and the hall's managers,
booked by citizens. A booked citizen who takes a number during their slot (from a quarter
of an hour before) goes first (tickets._use_appointment).

Capacity holds under concurrency: a booking takes its place with one conditional UPDATE
(booked = booked + 1 WHERE booked < capacity), which the database serialises per row; a
citizen books a slot once (a unique constraint), and a cancelled booking gives its place
back.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from backend.audit import services as audit
from backend.common.auth import CITIZEN
from backend.common.time import city_zone, utcnow
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.queue.admin import get_any_service
from backend.queue.managers import manages
from backend.queue.models import Appointment, AppointmentSlot, Hall, Service

BOOKED, USED, CANCELLED = "booked", "used", "cancelled"
# A slot is at most this long, and is set up at most this far ahead.
MAX_SLOT = timedelta(hours=12)
MAX_AHEAD = timedelta(days=120)
# How far back "my appointments" go.
RECENT = timedelta(days=30)


def _may_keep_slots(user, hall_id: uuid.UUID) -> None:
    if manages(user, hall_id):  # administrators too
        return
    raise Forbidden("Only administrators and this hall's managers keep its slots.",
                    code="not_hall_manager")


def slot_view(slot: AppointmentSlot, mine: Appointment | None = None) -> dict:
    return {"id": slot.id, "service_id": slot.service_id, "starts_at": slot.starts_at,
            "ends_at": slot.ends_at, "capacity": slot.capacity, "booked": slot.booked,
            "free": max(0, slot.capacity - slot.booked),
            "my_appointment_id": mine.id if mine is not None else None}


def create_slot(user, service_id: uuid.UUID, *, starts_at: datetime, ends_at: datetime,
                capacity: int) -> AppointmentSlot:
    service = get_any_service(service_id)
    _may_keep_slots(user, service.hall_id)
    now = utcnow()
    problems = {}
    if ends_at <= starts_at:
        problems["ends_at"] = ["A slot ends after it starts."]
    elif ends_at - starts_at > MAX_SLOT:
        problems["ends_at"] = ["A slot is at most 12 hours long."]
    if starts_at <= now:
        problems["starts_at"] = ["A slot is set up for a time still to come."]
    elif starts_at - now > MAX_AHEAD:
        problems["starts_at"] = ["Slots are set up at most 120 days ahead."]
    if problems:
        raise Invalid("The slot's times are not right.", details={"fields": problems})
    _refuse_duplicate(service.id, starts_at)
    slot = AppointmentSlot(id=uuid.uuid4(), service_id=service.id, starts_at=starts_at,
                           ends_at=ends_at, capacity=capacity, booked=0)
    db.session.add(slot)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        _refuse_duplicate(service.id, starts_at)
        raise
    audit.record(audit.HALL_SLOT_ADDED, actor=user, target=("slot", slot.id),
                 details={"service": service.code, "starts_at": starts_at.isoformat(),
                          "ends_at": ends_at.isoformat(), "capacity": capacity})
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent request made the same slot
        db.session.rollback()
        _refuse_duplicate(service.id, starts_at)
        raise
    return slot


def _refuse_duplicate(service_id: uuid.UUID, starts_at: datetime) -> None:
    existing = db.session.scalar(select(AppointmentSlot.id).where(
        AppointmentSlot.service_id == service_id, AppointmentSlot.starts_at == starts_at))
    if existing is not None:
        raise Conflict("The service has a slot starting then already.", code="slot_exists",
                       details={"slot_id": str(existing)})


def _get_slot(slot_id: uuid.UUID) -> tuple[AppointmentSlot, Service]:
    slot = db.session.get(AppointmentSlot, slot_id)
    if slot is None:
        raise NotFound("No such slot.", code="slot_not_found")
    try:
        service = get_any_service(slot.service_id)
    except NotFound:
        raise NotFound("No such slot.", code="slot_not_found") from None
    return slot, service


def delete_slot(user, slot_id: uuid.UUID) -> None:
    slot, service = _get_slot(slot_id)
    _may_keep_slots(user, service.hall_id)
    locked = db.session.scalar(select(AppointmentSlot).where(AppointmentSlot.id == slot.id)
                               .with_for_update()
                               .execution_options(populate_existing=True))
    if locked.booked:
        raise Conflict(f"{locked.booked} citizens have booked this slot; it stays.",
                       code="slot_booked", details={"booked": locked.booked})
    audit.record(audit.HALL_SLOT_REMOVED, actor=user, target=("slot", slot.id),
                 details={"service": service.code, "starts_at": locked.starts_at.isoformat()})
    db.session.delete(locked)
    db.session.commit()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = city_zone()
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def list_slots(user, service_id: uuid.UUID, day: date | None) -> list[dict]:
    """A service's slots on a city day (today by default) with their free places; citizens
    see the ones still to come, each with their own booking if they hold one."""
    service = get_any_service(service_id)
    now = utcnow()
    day = day or now.astimezone(city_zone()).date()
    start, end = day_bounds(day)
    query = (select(AppointmentSlot).where(AppointmentSlot.service_id == service.id,
                                           AppointmentSlot.starts_at >= start,
                                           AppointmentSlot.starts_at < end)
             .order_by(AppointmentSlot.starts_at))
    staff = bool(user.role_names - {CITIZEN})
    if not staff:
        query = query.where(AppointmentSlot.starts_at > now)
    slots = db.session.scalars(query).all()
    mine = {}
    if slots:
        mine = {a.slot_id: a for a in db.session.scalars(select(Appointment).where(
            Appointment.user_id == user.id, Appointment.status.in_((BOOKED, USED)),
            Appointment.slot_id.in_([s.id for s in slots])))}
    return [slot_view(s, mine.get(s.id)) for s in slots]


# -- a citizen's bookings ---------------------------------------------------------------

def book(user, slot_id: uuid.UUID) -> Appointment:
    """Book a place in a slot still to come: one per citizen per slot, never past capacity."""
    slot, _service = _get_slot(slot_id)
    if slot.starts_at <= utcnow():
        raise Conflict("This slot has begun or is over; pick one still to come.",
                       code="slot_past")
    earlier = db.session.scalar(select(Appointment).where(Appointment.slot_id == slot.id,
                                                          Appointment.user_id == user.id))
    if earlier is not None and earlier.status != CANCELLED:
        raise Conflict("You have booked this slot already.", code="already_booked",
                       details={"appointment_id": str(earlier.id)})
    taken = db.session.execute(
        update(AppointmentSlot).where(AppointmentSlot.id == slot.id,
                                      AppointmentSlot.booked < AppointmentSlot.capacity)
        .values(booked=AppointmentSlot.booked + 1)
        .execution_options(synchronize_session=False))
    if taken.rowcount == 0:
        db.session.rollback()
        raise Conflict("Every place in this slot is booked.", code="slot_full")
    now = utcnow()
    if earlier is not None:  # booked again after cancelling: the one row per slot and citizen
        appointment = db.session.scalar(select(Appointment).where(Appointment.id == earlier.id)
                                        .with_for_update()
                                        .execution_options(populate_existing=True))
        if appointment.status != CANCELLED:
            db.session.rollback()
            raise Conflict("You have booked this slot already.", code="already_booked",
                           details={"appointment_id": str(appointment.id)})
        appointment.status, appointment.created_at = BOOKED, now
    else:
        appointment = Appointment(id=uuid.uuid4(), slot_id=slot.id, user_id=user.id,
                                  status=BOOKED, created_at=now)
        db.session.add(appointment)
    try:
        db.session.commit()
    except IntegrityError:  # the same citizen booking it twice at once: the place goes back
        db.session.rollback()
        raise Conflict("You have booked this slot already.", code="already_booked") from None
    return appointment


def appointment_view(appointment: Appointment, now: datetime | None = None) -> dict:
    now = now or utcnow()
    slot = db.session.get(AppointmentSlot, appointment.slot_id)
    service = db.session.get(Service, slot.service_id)
    hall = db.session.get(Hall, service.hall_id)
    return {"id": appointment.id, "status": appointment.status,
            "created_at": appointment.created_at,
            "slot": {"id": slot.id, "starts_at": slot.starts_at, "ends_at": slot.ends_at},
            "service": {"id": service.id, "code": service.code, "name": service.name},
            "hall": {"id": hall.id, "name": hall.name},
            "can_cancel": appointment.status == BOOKED and slot.ends_at > now}


def list_own(user) -> list[dict]:
    """The citizen's bookings: those still to come (booked, soonest first), then the recent
    rest (newest first)."""
    now = utcnow()
    rows = db.session.execute(
        select(Appointment, AppointmentSlot)
        .join(AppointmentSlot, AppointmentSlot.id == Appointment.slot_id)
        .where(Appointment.user_id == user.id, AppointmentSlot.ends_at > now - RECENT)
        .order_by(AppointmentSlot.starts_at.desc()).limit(100)).all()
    coming = [a for a, s in rows if a.status == BOOKED and s.ends_at > now]
    rest = [a for a, s in rows if not (a.status == BOOKED and s.ends_at > now)]
    return [appointment_view(a, now) for a in reversed(coming)] + \
        [appointment_view(a, now) for a in rest]


def cancel(user, appointment_id: uuid.UUID) -> None:
    """The citizen gives up a booking still to be used; its place goes back to the slot."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.user_id != user.id:
        raise NotFound("No such appointment.", code="appointment_not_found")
    locked = db.session.scalar(select(Appointment).where(Appointment.id == appointment.id)
                               .with_for_update()
                               .execution_options(populate_existing=True))
    slot = db.session.get(AppointmentSlot, locked.slot_id)
    if locked.status != BOOKED:
        raise Conflict(f"An appointment that is {locked.status} cannot be cancelled.",
                       code="invalid_transition", details={"appointment_status": locked.status})
    if slot.ends_at <= utcnow():
        raise Conflict("This slot is over.", code="slot_past")
    locked.status = CANCELLED
    db.session.execute(update(AppointmentSlot).where(AppointmentSlot.id == slot.id,
                                                     AppointmentSlot.booked > 0)
                       .values(booked=AppointmentSlot.booked - 1)
                       .execution_options(synchronize_session=False))
    db.session.commit()
