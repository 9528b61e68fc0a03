"""Taking a number (一键取号) and where a ticket stands in the queue.

A take is one transaction: the fence, the opening hours, the one-open-ticket rule, the
day's counter (incremented in place, so a rolled-back take gives its number back: no gaps,
no duplicates on either database) and the ticket itself. A retried take with the same
Idempotency-Key finds the ticket the first one made.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.common.geo import circle_verdict
from backend.common.settings import setting
from backend.common.time import city_zone, utcnow
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.queue import events
from backend.queue.models import (
    CALLED,
    CANCELLED,
    DONE,
    OPEN_STATUSES,
    WAITING,
    WINDOW_OPEN,
    Appointment,
    AppointmentSlot,
    Hall,
    Service,
    Ticket,
    TicketCounter,
    Window,
    window_services,
)

# How long before its slot a booked citizen's ticket already goes first.
APPOINTMENT_EARLY = timedelta(minutes=15)
# How many of a service's latest services the estimate averages, and how far back.
ESTIMATE_SAMPLE = 20
ESTIMATE_LOOKBACK = timedelta(days=7)


# -- the hall ---------------------------------------------------------------------------

def get_hall(hall_id: uuid.UUID) -> Hall:
    hall = db.session.get(Hall, hall_id)
    if hall is None or hall.deleted:
        raise NotFound("No such hall.", code="hall_not_found")
    return hall


def get_service(hall: Hall, service_id: uuid.UUID) -> Service:
    service = db.session.get(Service, service_id)
    if service is None or service.deleted or service.hall_id != hall.id:
        raise NotFound("This hall has no such service.", code="service_not_found")
    return service


def opening_periods(hall: Hall, day) -> list[tuple[datetime, datetime]]:
    """The hall's opening periods on a city day, as aware datetimes in the city's zone."""
    zone = city_zone()
    periods = []
    for start, end in (hall.opening_hours or {}).get(str(day.isoweekday()), []):
        opens = datetime.combine(day, time.fromisoformat(start), tzinfo=zone)
        closes = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
                  if end == "24:00" else datetime.combine(day, time.fromisoformat(end), tzinfo=zone))
        periods.append((opens, closes))
    return sorted(periods)


def is_open(hall: Hall, now: datetime) -> bool:
    local = now.astimezone(city_zone())
    return any(opens <= local < closes for opens, closes in opening_periods(hall, local.date()))


def next_opening(hall: Hall, now: datetime) -> datetime | None:
    """When the hall next opens (within a fortnight), or None."""
    local = now.astimezone(city_zone())
    for offset in range(15):
        for opens, _ in opening_periods(hall, local.date() + timedelta(days=offset)):
            if opens > local:
                return opens
    return None


def city_today(now: datetime):
    return now.astimezone(city_zone()).date()


# -- taking a number --------------------------------------------------------------------

def check_fence(hall: Hall, lat: float, lon: float, accuracy_m: float | None) -> float:
    """Whether a citizen standing at (lat, lon) may take a number here; returns the metres
    to the fence's edge (0 inside). The fix's accuracy is given as benefit of the doubt, up
    to HALL_FENCE_ACCURACY_ALLOWANCE_M; a fix coarser than HALL_FENCE_MAX_ACCURACY_M proves
    nothing and is refused."""
    if accuracy_m is not None and accuracy_m > setting("HALL_FENCE_MAX_ACCURACY_M"):
        raise Invalid(f"The position is only known to within {accuracy_m:.0f} m; move to open "
                      "sky or turn on precise location and try again.",
                      code="position_too_coarse",
                      details={"accuracy_m": accuracy_m,
                               "max_accuracy_m": setting("HALL_FENCE_MAX_ACCURACY_M")})
    inside, beyond = circle_verdict(hall.lat, hall.lon, hall.fence_radius_m, lat, lon)
    allowance = min(accuracy_m or 0.0, setting("HALL_FENCE_ACCURACY_ALLOWANCE_M"))
    if inside or beyond <= allowance:
        return 0.0
    raise Forbidden(f"You are {beyond:.0f} m outside the hall's fence: numbers are taken in "
                    "the hall.", code="out_of_fence",
                    details={"distance_m": round(beyond), "radius_m": hall.fence_radius_m})


def take_ticket(user, hall_id: uuid.UUID, *, service_id: uuid.UUID, lat: float, lon: float,
                accuracy_m: float | None = None, idempotency_key: str | None = None,
                now: datetime | None = None) -> tuple[Ticket, bool]:
    """A new ticket for a citizen in the hall (committed), or the ticket an earlier take with
    the same key made. Returns (ticket, made_now)."""
    now = now or utcnow()
    if idempotency_key:
        earlier = _by_key(user.id, idempotency_key)
        if earlier is not None:
            return earlier, False
    hall = get_hall(hall_id)
    service = get_service(hall, service_id)
    check_fence(hall, lat, lon, accuracy_m)
    if not is_open(hall, now):
        opens = next_opening(hall, now)
        raise Conflict("The hall is closed now." + (f" It opens at {opens:%Y-%m-%d %H:%M}."
                                                   if opens else ""),
                       code="hall_closed",
                       details={"opens_at": opens.isoformat() if opens else None})
    if (same := _refuse_second_open(user.id, service.id, idempotency_key)) is not None:
        return same, False  # the first copy of this take committed meanwhile
    day = city_today(now)
    seq = _next_number(service.id, day)
    if service.daily_limit and seq > service.daily_limit:
        db.session.rollback()  # gives the number back
        raise Conflict(f"Today's {service.daily_limit} numbers for {service.name} are all "
                       "taken.", code="daily_limit_reached",
                       details={"daily_limit": service.daily_limit})
    ticket = Ticket(id=uuid.uuid4(), hall_id=hall.id, service_id=service.id, user_id=user.id,
                    day=day, seq=seq, number=f"{service.code}{seq:03d}", status=WAITING,
                    taken_at=now, queued_at=now, lat=lat, lon=lon, accuracy_m=accuracy_m,
                    idempotency_key=idempotency_key or None, recalls=0, transfers=0,
                    near_pushed=False, note="")
    _use_appointment(ticket, user.id, service.id, now)
    db.session.add(ticket)
    try:
        db.session.flush()
    except IntegrityError:
        # A take racing this one (a retry, or a second tab) won: answer as it did.
        db.session.rollback()
        if idempotency_key and (earlier := _by_key(user.id, idempotency_key)) is not None:
            return earlier, False
        _refuse_second_open(user.id, service.id, None)
        raise
    events.queue_changed(hall.id, "taken", services=[service.id], number=ticket.number, at=now)
    db.session.commit()
    return ticket, True


def _by_key(user_id: uuid.UUID, key: str) -> Ticket | None:
    return db.session.scalar(select(Ticket).where(Ticket.user_id == user_id,
                                                  Ticket.idempotency_key == key))


def _refuse_second_open(user_id: uuid.UUID, service_id: uuid.UUID,
                        idempotency_key: str | None) -> Ticket | None:
    """409 when the citizen holds an open ticket for the service — unless it is this very
    take's (same key), whose first copy committed after this one looked for it."""
    open_one = db.session.scalar(select(Ticket).where(
        Ticket.user_id == user_id, Ticket.service_id == service_id,
        Ticket.status.in_(OPEN_STATUSES)))
    if open_one is not None and idempotency_key and open_one.idempotency_key == idempotency_key:
        return open_one
    if open_one is not None:
        raise Conflict(f"You already hold {open_one.number} for this service.",
                       code="ticket_open", details={"ticket_id": str(open_one.id),
                                                    "number": open_one.number})
    return None


def _next_number(service_id: uuid.UUID, day) -> int:
    """Increment the day's counter in place and return the new number. The row stays locked
    until the transaction ends (PostgreSQL; SQLite's transactions hold the write lock), so
    concurrent takes line up on it."""
    table = TicketCounter.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(service_id=service_id, day=day, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.service_id, table.c.day],
        set_={"last": table.c.last + 1}).returning(table.c.last)
    return db.session.execute(statement).scalar_one()


def _use_appointment(ticket: Ticket, user_id: uuid.UUID, service_id: uuid.UUID,
                     now: datetime) -> None:
    """A citizen who booked this service for now goes first from their slot's start."""
    booked = db.session.execute(
        select(Appointment, AppointmentSlot).join(AppointmentSlot,
                                                  AppointmentSlot.id == Appointment.slot_id)
        .where(Appointment.user_id == user_id, Appointment.status == "booked",
               AppointmentSlot.service_id == service_id,
               AppointmentSlot.ends_at > now)
        .order_by(AppointmentSlot.starts_at).limit(1)).first()
    if booked is None:
        return
    appointment, slot = booked
    if slot.starts_at - APPOINTMENT_EARLY > now:
        return  # booked for later today: a plain ticket now
    appointment.status = "used"
    ticket.appointment_id = appointment.id
    ticket.priority_from = slot.starts_at


# -- where a ticket stands --------------------------------------------------------------

def queue_key(now: datetime):
    """The order tickets are called in: booked ones whose slot has begun first, then by
    when they were taken (kept through a transfer)."""
    due = sa.case((sa.and_(Ticket.priority_from.is_not(None), Ticket.priority_from <= now), 0),
                  else_=1)
    return (due, Ticket.queued_at, Ticket.seq)


@dataclass
class Standing:
    position: int | None  # 1 = next; None once called or over
    ahead: int
    estimated_wait_s: int | None


def standing(ticket: Ticket, now: datetime | None = None) -> Standing:
    """Where a waiting ticket stands in its service's queue and how long it should wait,
    from the live queue and the service's recent service times."""
    if ticket.status != WAITING:
        return Standing(None, 0, None if ticket.status != CALLED else 0)
    now = now or utcnow()
    mine_due = ticket.priority_from is not None and ticket.priority_from <= now
    others_due = sa.and_(Ticket.priority_from.is_not(None), Ticket.priority_from <= now)
    earlier = (sa.tuple_(Ticket.queued_at, Ticket.seq)
               < sa.tuple_(sa.literal(ticket.queued_at, Ticket.queued_at.type),
                           sa.literal(ticket.seq)))
    # A due booking is behind only earlier due bookings; anyone else behind all of them too.
    before = sa.and_(others_due, earlier) if mine_due else sa.or_(others_due, earlier)
    ahead = db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.service_id == ticket.service_id, Ticket.status == WAITING,
        Ticket.id != ticket.id, before)) or 0
    return Standing(ahead + 1, ahead, estimate_wait_s(ticket.service_id, ahead, now))


def estimate_wait_s(service_id: uuid.UUID, ahead: int, now: datetime) -> int:
    """Those ahead, served by the open windows handling the service at its recent pace;
    while every such window is busy, half a service more."""
    mean_s = mean_service_s(service_id, now)
    windows = db.session.execute(
        select(Window.id).join(window_services, window_services.c.window_id == Window.id)
        .where(window_services.c.service_id == service_id, Window.status == WINDOW_OPEN,
               Window.clerk_id.is_not(None))).scalars().all()
    serving = max(1, len(windows))
    busy = db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.window_id.in_(windows), Ticket.status == CALLED)) if windows else 0
    extra = mean_s / 2 if busy >= serving else 0.0
    return int(round(ahead * mean_s / serving + extra))


def mean_service_s(service_id: uuid.UUID, now: datetime) -> float:
    """The mean of the service's latest services (called to done) this week, else its
    configured average."""
    recent = db.session.execute(
        select(Ticket.called_at, Ticket.finished_at)
        .where(Ticket.service_id == service_id, Ticket.status == DONE,
               Ticket.finished_at >= now - ESTIMATE_LOOKBACK, Ticket.called_at.is_not(None))
        .order_by(Ticket.finished_at.desc()).limit(ESTIMATE_SAMPLE)).all()
    durations = [(done - called).total_seconds() for called, done in recent if done > called]
    if durations:
        return sum(durations) / len(durations)
    service = db.session.get(Service, service_id)
    return float(service.avg_service_min if service else 9.0) * 60.0


# -- the holder's view ------------------------------------------------------------------

def get_own_ticket(user, ticket_id: uuid.UUID) -> Ticket:
    """The holder's ticket; anyone else's is not there (404)."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.user_id != user.id:
        raise NotFound("No such ticket.", code="ticket_not_found")
    return ticket


def list_own_tickets(user, *, days: int = 30) -> list[Ticket]:
    """The holder's tickets of the last `days` days, open ones first, then newest."""
    since = city_today(utcnow()) - timedelta(days=days)
    rows = db.session.scalars(select(Ticket).where(Ticket.user_id == user.id, Ticket.day >= since)
                              .order_by(Ticket.taken_at.desc()).limit(100)).all()
    return sorted(rows, key=lambda t: t.status not in OPEN_STATUSES)


def cancel_ticket(user, ticket_id: uuid.UUID) -> Ticket:
    """The holder gives up a waiting ticket."""
    ticket = get_own_ticket(user, ticket_id)
    locked = db.session.scalar(select(Ticket).where(Ticket.id == ticket.id).with_for_update())
    if locked.status != WAITING:
        raise Conflict(f"A ticket that is {locked.status} cannot be cancelled.",
                       code="invalid_transition", details={"ticket_status": locked.status})
    now = utcnow()
    locked.status, locked.finished_at = CANCELLED, now
    events.queue_changed(locked.hall_id, "cancelled", services=[locked.service_id],
                         number=locked.number, at=now)
    db.session.commit()
    return locked


def ticket_view(ticket: Ticket, now: datetime | None = None) -> dict:
    """A ticket as its holder sees it (TicketOut)."""
    from backend.queue.models import TicketRating  # the holder's rating, once given

    hall = db.session.get(Hall, ticket.hall_id)
    service = db.session.get(Service, ticket.service_id)
    window = db.session.get(Window, ticket.window_id) if ticket.window_id else None
    where = standing(ticket, now)
    rating = db.session.scalar(select(TicketRating).where(TicketRating.ticket_id == ticket.id))
    return {
        "id": ticket.id, "number": ticket.number, "status": ticket.status,
        "hall_id": ticket.hall_id, "hall_name": hall.name if hall else "",
        "service": {"id": service.id, "code": service.code, "name": service.name},
        "day": ticket.day, "position": where.position, "ahead": where.ahead,
        "estimated_wait_s": where.estimated_wait_s,
        "window": ({"id": window.id, "number": window.number, "label": window.label}
                   if window is not None and ticket.status in (CALLED, DONE) else None),
        "taken_at": ticket.taken_at, "called_at": ticket.called_at,
        "finished_at": ticket.finished_at, "recalls": ticket.recalls,
        "appointment": ticket.appointment_id is not None,
        "rating": None if rating is None else {
            "score": rating.score, "reasons": list(rating.reasons or []),
            "comment": rating.comment, "created_at": rating.created_at.isoformat(),
            "followup_status": rating.followup_status,
            "followup_action": rating.followup_action or "",
            "followup_at": rating.followup_at.isoformat() if rating.followup_at else None},
        "can_rate": ticket.status == DONE and rating is None,
    }


def hall_view(hall: Hall, now: datetime | None = None) -> dict:
    """A hall with its services and windows (HallOut)."""
    services = db.session.scalars(select(Service).where(
        Service.hall_id == hall.id, Service.deleted.is_(False))
        .order_by(Service.sort_order, Service.code)).all()
    windows = db.session.scalars(select(Window).where(Window.hall_id == hall.id)
                                 .order_by(Window.number)).all()
    return {
        "id": hall.id, "name": hall.name, "address": hall.address or "", "lat": hall.lat,
        "lon": hall.lon, "fence_radius_m": hall.fence_radius_m,
        "opening_hours": hall.opening_hours or {}, "open_now": is_open(hall, now or utcnow()),
        "wait_alert_min": hall.wait_alert_min, "idle_alert_min": hall.idle_alert_min,
        "services": services,
        "windows": [{"id": w.id, "number": w.number, "label": w.label,
                     "service_ids": [s.id for s in w.services], "status": w.status,
                     "staffed": w.clerk_id is not None} for w in windows],
    }


def list_halls() -> list[dict]:
    halls = db.session.scalars(select(Hall).where(Hall.deleted.is_(False))
                               .order_by(Hall.name)).all()
    now = utcnow()
    return [hall_view(hall, now) for hall in halls]
