"""Setting up service halls (一窗受理) from the console: halls, their services and windows,
the clerk at each window, and the hall's managers. Administrators only (the API checks).

Halls and services are synced reference data: each change bumps the record's version and
is logged for sync in the same transaction, so phones holding the list offline get it too.
Every change is audited in that transaction.
"""

from __future__ import annotations

import re
import uuid
from datetime import time

from sqlalchemy import delete, func, select

from backend.accounts.models import User
from backend.audit import services as audit
from backend.common.auth import CLERK, HALL_MANAGER
from backend.common.time import utcnow
from backend.common.transactions import commit_or_conflict
from backend.errors import Conflict, Invalid, NotFound
from backend.extensions import db
from backend.queue.models import (
    CALLED,
    OPEN_STATUSES,
    Appointment,
    AppointmentSlot,
    Hall,
    Service,
    Ticket,
    Window,
    hall_managers,
    window_services,
)
from backend.queue.tickets import city_today, get_hall
from backend.sync_adapter.services import log_reference_changes
from sync.registry import Audience

HALL_FIELDS = ("name", "address", "lat", "lon", "fence_radius_m", "opening_hours",
               "wait_alert_min", "idle_alert_min")
SERVICE_FIELDS = ("code", "name", "avg_service_min", "time_limit_min", "daily_limit", "sort_order")
CODE_PATTERN = re.compile(r"^[A-Z]{1,2}$")
_CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
WEEKDAYS = tuple(str(day) for day in range(1, 8))


# -- opening hours ------------------------------------------------------------------------

def _minutes(text) -> int | None:
    if text == "24:00":
        return 24 * 60
    if not isinstance(text, str) or not _CLOCK.match(text):
        return None
    clock = time.fromisoformat(text)
    return clock.hour * 60 + clock.minute


def validate_opening_hours(hours) -> dict:
    """Opening hours as the hall keeps them, or 422 naming what is wrong: keys "1" (Monday)
    … "7" (Sunday); each a list of ["HH:MM", "HH:MM"] periods, start before end ("24:00"
    ends a day), sorted and not overlapping. A missing or empty day is closed."""
    def refuse(message: str, day: str | None = None):
        raise Invalid(message, code="invalid_opening_hours",
                      details={"fields": {"opening_hours": [message]}, "weekday": day})

    if not isinstance(hours, dict):
        refuse("Opening hours are an object by ISO weekday, \"1\" (Monday) to \"7\" (Sunday).")
    clean = {}
    for day, periods in hours.items():
        if day not in WEEKDAYS:
            refuse(f"{day!r} is not a weekday: use \"1\" (Monday) to \"7\" (Sunday).")
        if not isinstance(periods, list):
            refuse(f"Weekday {day}: a list of [from, to] periods.", day)
        previous_end = -1
        kept = []
        for period in periods:
            if (not isinstance(period, list | tuple) or len(period) != 2):
                refuse(f"Weekday {day}: each period is [\"HH:MM\", \"HH:MM\"].", day)
            start, end = (_minutes(period[0]), _minutes(period[1]))
            if start is None or end is None or period[0] == "24:00":
                refuse(f"Weekday {day}: {period[0]!r}–{period[1]!r} is not a time of day "
                       "(HH:MM, 00:00 to 24:00).", day)
            if start >= end:
                refuse(f"Weekday {day}: {period[0]}–{period[1]} ends before it starts.", day)
            if start < previous_end:
                refuse(f"Weekday {day}: the periods must be in order and must not overlap "
                       f"({period[0]} starts before the previous period ends).", day)
            previous_end = end
            kept.append([period[0], period[1]])
        if kept:
            clean[day] = kept
    return clean


# -- halls ----------------------------------------------------------------------------------

def _hall_change(hall: Hall) -> tuple:
    return (hall.id, hall.version, bool(hall.deleted), Audience(is_public=True))


def _service_change(service: Service) -> tuple:
    return (service.id, service.version, bool(service.deleted), Audience(is_public=True))


def _diff(record, changes: dict) -> dict:
    """{field: {from, to}} of what `changes` really changes on `record`."""
    return {key: {"from": getattr(record, key), "to": value} for key, value in changes.items()
            if getattr(record, key) != value}


def create_hall(actor, fields: dict) -> Hall:
    fields = dict(fields)
    fields["name"] = fields["name"].strip()
    fields["opening_hours"] = validate_opening_hours(fields.get("opening_hours") or {})
    hall = Hall(id=uuid.uuid4(), version=1, deleted=False, **fields)
    db.session.add(hall)
    db.session.flush()
    log_reference_changes("halls", [_hall_change(hall)])
    audit.record(audit.HALL_CREATED, actor=actor, target=("hall", hall.id),
                 details={"name": hall.name})
    db.session.commit()
    return hall


def update_hall(actor, hall_id: uuid.UUID, changes: dict) -> Hall:
    hall = get_hall(hall_id)
    changes = dict(changes)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if "opening_hours" in changes:
        changes["opening_hours"] = validate_opening_hours(changes["opening_hours"])
    diff = _diff(hall, changes)
    if not diff:
        return hall
    for key in diff:
        setattr(hall, key, changes[key])
    hall.version += 1
    hall.updated_at = utcnow()
    log_reference_changes("halls", [_hall_change(hall)])
    audit.record(audit.HALL_UPDATED, actor=actor, target=("hall", hall.id), details=diff)
    db.session.commit()
    return hall


# -- services -------------------------------------------------------------------------------

def get_any_service(service_id: uuid.UUID) -> Service:
    """A service that is not removed, of a hall that is not either."""
    service = db.session.get(Service, service_id)
    if service is None or service.deleted:
        raise NotFound("No such service.", code="service_not_found")
    get_hall(service.hall_id)
    return service


def _check_code(hall: Hall, code: str, service_id: uuid.UUID | None = None) -> None:
    """A service's letters are unique in its hall; a removed service's letters come free
    the day after its last number (today's numbers stay unique in the hall)."""
    others = select(Service).where(Service.hall_id == hall.id, Service.code == code)
    if service_id is not None:
        others = others.where(Service.id != service_id)
    for other in db.session.scalars(others):
        if not other.deleted:
            raise Conflict(f"Another service of this hall uses the letters {code}.",
                           code="service_code_taken", details={"letters": code})
    today = db.session.scalars(select(Ticket.number).where(
        Ticket.hall_id == hall.id, Ticket.day == city_today(utcnow()),
        Ticket.number.startswith(code, autoescape=True),
        *([Ticket.service_id != service_id] if service_id is not None else []))).all()
    if any(number[len(code):].isdigit() for number in today):
        raise Conflict(f"Numbers starting with {code} were given today by another service; "
                       "the letters come free tomorrow.",
                       code="service_code_taken", details={"letters": code})


_CODE_TAKEN = "Another service of this hall uses these letters."


def create_service(actor, hall_id: uuid.UUID, fields: dict) -> Service:
    hall = get_hall(hall_id)
    fields = {**fields, "name": fields["name"].strip()}
    _check_code(hall, fields["code"])
    service = Service(id=uuid.uuid4(), hall_id=hall.id, version=1, deleted=False, **fields)
    db.session.add(service)
    db.session.flush()
    log_reference_changes("services", [_service_change(service)])
    audit.record(audit.HALL_SERVICE_ADDED, actor=actor, target=("service", service.id),
                 details={"hall": hall.name, "code": service.code, "name": service.name})
    commit_or_conflict(_CODE_TAKEN, "service_code_taken")
    return service


def update_service(actor, service_id: uuid.UUID, changes: dict) -> Service:
    service = get_any_service(service_id)
    changes = dict(changes)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    diff = _diff(service, changes)
    if not diff:
        return service
    if "code" in diff:
        _check_code(db.session.get(Hall, service.hall_id), changes["code"], service.id)
    for key in diff:
        setattr(service, key, changes[key])
    service.version += 1
    service.updated_at = utcnow()
    log_reference_changes("services", [_service_change(service)])
    audit.record(audit.HALL_SERVICE_UPDATED, actor=actor, target=("service", service.id),
                 details={"code": service.code, **diff})
    commit_or_conflict(_CODE_TAKEN, "service_code_taken")
    return service


def delete_service(actor, service_id: uuid.UUID) -> None:
    """Remove a service (kept, marked removed: its tickets and ratings still name it), once
    nobody holds an open number of it and nobody is booked for a coming slot of it. Its
    windows stop handling it, and phones drop it on their next pull."""
    service = get_any_service(service_id)
    now = utcnow()
    open_tickets = db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.service_id == service.id, Ticket.status.in_(OPEN_STATUSES))) or 0
    booked = db.session.scalar(
        select(func.count()).select_from(Appointment)
        .join(AppointmentSlot, AppointmentSlot.id == Appointment.slot_id)
        .where(AppointmentSlot.service_id == service.id, Appointment.status == "booked",
               AppointmentSlot.ends_at > now)) or 0
    if open_tickets or booked:
        raise Conflict("Citizens still hold open numbers of this service or are booked for "
                       "it; remove it once they are served.", code="service_in_use",
                       details={"open_tickets": open_tickets, "booked": booked})
    db.session.execute(delete(window_services).where(window_services.c.service_id == service.id))
    service.deleted = True
    service.version += 1
    service.updated_at = now
    log_reference_changes("services", [_service_change(service)])
    audit.record(audit.HALL_SERVICE_REMOVED, actor=actor, target=("service", service.id),
                 details={"code": service.code, "name": service.name})
    db.session.commit()


# -- windows --------------------------------------------------------------------------------

def get_window(window_id: uuid.UUID) -> Window:
    window = db.session.get(Window, window_id)
    if window is None:
        raise NotFound("No such window.", code="window_not_found")
    get_hall(window.hall_id)
    return window


def window_view(window: Window) -> dict:
    clerk = db.session.get(User, window.clerk_id) if window.clerk_id else None
    return {"id": window.id, "hall_id": window.hall_id, "number": window.number,
            "label": window.label or "", "service_ids": [s.id for s in window.services
                                                         if not s.deleted],
            "status": window.status, "staffed": clerk is not None,
            "clerk": None if clerk is None else {"id": clerk.id, "username": clerk.username,
                                                 "display_name": clerk.display_name or ""}}


def list_windows(hall_id: uuid.UUID) -> list[dict]:
    hall = get_hall(hall_id)
    windows = db.session.scalars(select(Window).where(Window.hall_id == hall.id)
                                 .order_by(Window.number)).all()
    return [window_view(w) for w in windows]


def _services_of(hall: Hall, service_ids: list[uuid.UUID]) -> list[Service]:
    ids = list(dict.fromkeys(service_ids))
    rows = db.session.scalars(select(Service).where(
        Service.id.in_(ids), Service.hall_id == hall.id, Service.deleted.is_(False))).all()
    if len(rows) != len(ids) or not ids:
        message = "A window handles one or more services of its own hall."
        raise Invalid(message, code="invalid_services",
                      details={"fields": {"service_ids": [message]}})
    return sorted(rows, key=lambda s: (s.sort_order, s.code))


def _clerk(clerk_id: uuid.UUID) -> User:
    user = db.session.get(User, clerk_id)
    if user is None or not user.is_active or CLERK not in user.role_names:
        message = "Only an active window clerk's account can be bound to a window."
        raise Invalid(message, code="not_a_clerk", details={"fields": {"clerk_id": [message]}})
    return user


def _check_number(hall: Hall, number: int, window_id: uuid.UUID | None = None) -> None:
    query = select(Window.id).where(Window.hall_id == hall.id, Window.number == number)
    if window_id is not None:
        query = query.where(Window.id != window_id)
    if db.session.scalar(query) is not None:
        raise Conflict(f"The hall has a window {number} already.", code="window_number_taken",
                       details={"number": number})


def _serving(window: Window) -> str | None:
    """The number being served at a window now, if any."""
    return db.session.scalar(select(Ticket.number).where(Ticket.window_id == window.id,
                                                         Ticket.status == CALLED).limit(1))


def _bind(window: Window, clerk_id: uuid.UUID | None) -> dict | None:
    """Put a clerk at this window and at no other (a clerk sits at one window); returns
    the window they left, if any. Nobody leaves a window while a number is served there."""
    if window.clerk_id is not None and window.clerk_id != clerk_id and (number := _serving(window)):
        raise Conflict(f"{number} is being served at window {window.number}; its clerk stays "
                       "until it is finished.", code="window_in_use",
                       details={"number": number, "window": window.number})
    left = None
    if clerk_id is not None:
        _clerk(clerk_id)
        for other in db.session.scalars(select(Window).where(Window.clerk_id == clerk_id,
                                                             Window.id != window.id)):
            if number := _serving(other):
                raise Conflict(f"The clerk is serving {number} at window {other.number}; move "
                               "them once it is finished.", code="clerk_busy",
                               details={"number": number, "window": other.number})
            left = {"window_id": str(other.id), "number": other.number}
            other.clerk_id = None
        db.session.flush()
    window.clerk_id = clerk_id
    return left


_NUMBER_TAKEN = "The hall has a window with this number already."


def create_window(actor, hall_id: uuid.UUID, fields: dict) -> Window:
    hall = get_hall(hall_id)
    _check_number(hall, fields["number"])
    services = _services_of(hall, fields["service_ids"])
    window = Window(id=uuid.uuid4(), hall_id=hall.id, number=fields["number"],
                    label=(fields.get("label") or "").strip(), status="open")
    window.services = services
    db.session.add(window)
    db.session.flush()
    left = _bind(window, fields.get("clerk_id"))
    audit.record(audit.HALL_WINDOW_ADDED, actor=actor, target=("window", window.id),
                 details={"hall": hall.name, "number": window.number,
                          "services": [s.code for s in services],
                          "clerk_id": str(window.clerk_id) if window.clerk_id else None,
                          **({"clerk_left": left} if left else {})})
    commit_or_conflict(_NUMBER_TAKEN, "window_number_taken")
    return window


def update_window(actor, window_id: uuid.UUID, changes: dict) -> Window:
    window = get_window(window_id)
    hall = db.session.get(Hall, window.hall_id)
    diff = {}
    if "number" in changes and changes["number"] != window.number:
        _check_number(hall, changes["number"], window.id)
        diff["number"] = {"from": window.number, "to": changes["number"]}
        window.number = changes["number"]
    if "label" in changes and (changes["label"] or "").strip() != window.label:
        diff["label"] = {"from": window.label, "to": changes["label"].strip()}
        window.label = changes["label"].strip()
    if "service_ids" in changes:
        services = _services_of(hall, changes["service_ids"])
        before = sorted(s.code for s in window.services if not s.deleted)
        after = sorted(s.code for s in services)
        if before != after:
            diff["services"] = {"from": before, "to": after}
        window.services = services
    if "clerk_id" in changes and changes["clerk_id"] != window.clerk_id:
        before = str(window.clerk_id) if window.clerk_id else None
        left = _bind(window, changes["clerk_id"])
        diff["clerk_id"] = {"from": before, "to": str(window.clerk_id) if window.clerk_id else None}
        if left:
            diff["clerk_left"] = left
    if diff:
        audit.record(audit.HALL_WINDOW_UPDATED, actor=actor, target=("window", window.id),
                     details={"number": window.number, **diff})
    commit_or_conflict(_NUMBER_TAKEN, "window_number_taken")
    return window


def delete_window(actor, window_id: uuid.UUID) -> None:
    """Remove a window nobody is being served at and no clerk sits at (move or unbind the
    clerk first); tickets it served keep their history without it."""
    window = get_window(window_id)
    if window.clerk_id is not None:
        raise Conflict("A clerk is bound to this window; move them or unbind them first.",
                       code="window_staffed", details={"clerk_id": str(window.clerk_id)})
    called = _serving(window)
    if called is not None:
        raise Conflict(f"{called} is being served at this window; finish it first.",
                       code="window_in_use", details={"number": called})
    audit.record(audit.HALL_WINDOW_REMOVED, actor=actor, target=("window", window.id),
                 details={"number": window.number})
    db.session.delete(window)
    db.session.commit()


# -- managers -------------------------------------------------------------------------------

def _person(user: User) -> dict:
    return {"id": user.id, "username": user.username, "display_name": user.display_name or ""}


def list_managers(hall_id: uuid.UUID) -> list[dict]:
    hall = get_hall(hall_id)
    users = db.session.scalars(select(User).join(hall_managers, hall_managers.c.user_id == User.id)
                               .where(hall_managers.c.hall_id == hall.id)
                               .order_by(User.username)).all()
    return [_person(u) for u in users]


def set_managers(actor, hall_id: uuid.UUID, user_ids: list[uuid.UUID]) -> list[dict]:
    """The hall's managers are exactly these accounts (each holding the hall manager's role)."""
    hall = get_hall(hall_id)
    ids = list(dict.fromkeys(user_ids))
    users = db.session.scalars(select(User).where(User.id.in_(ids))).all() if ids else []
    wrong = [str(u) for u in set(ids) - {u.id for u in users if HALL_MANAGER in u.role_names}]
    if wrong:
        message = "Only accounts with the hall manager's role can manage a hall."
        raise Invalid(message, code="not_a_manager",
                      details={"fields": {"user_ids": [message]}, "user_ids": sorted(wrong)})
    before = set(db.session.scalars(select(hall_managers.c.user_id)
                                    .where(hall_managers.c.hall_id == hall.id)))
    after = set(ids)
    if before != after:
        db.session.execute(delete(hall_managers).where(hall_managers.c.hall_id == hall.id))
        if after:
            db.session.execute(hall_managers.insert(),
                               [{"hall_id": hall.id, "user_id": uid} for uid in after])
        audit.record(audit.HALL_MANAGERS_SET, actor=actor, target=("hall", hall.id),
                     details={"added": sorted(str(u) for u in after - before),
                              "removed": sorted(str(u) for u in before - after)})
    db.session.commit()
    return list_managers(hall.id)

