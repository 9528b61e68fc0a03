"""The window clerk's work (窗口叫号): calling the next ticket, recalling it, marking a no-show,
transferring it to another service or window, finishing it, pausing and resuming the window.

Every action is one transaction that locks what it changes first: the window row for a call
(so two tabs of one clerk line up and the second finds the window busy), the ticket row for
the rest. The next ticket is picked with FOR UPDATE SKIP LOCKED on PostgreSQL, so two windows
calling at once take two different tickets; on SQLite every transaction holds the write lock
from its start (BEGIN IMMEDIATE), which serializes them anyway.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func, select

from backend.common.time import utcnow
from backend.errors import Conflict, Forbidden, Invalid, NotFound
from backend.extensions import db
from backend.queue import events
from backend.queue.models import (
    CALLED,
    DONE,
    NO_SHOW,
    OPEN_STATUSES,
    WAITING,
    WINDOW_CLOSED,
    WINDOW_OPEN,
    WINDOW_PAUSED,
    Hall,
    Service,
    Ticket,
    Window,
)
from backend.queue.tickets import city_today, get_service, queue_key

# -- finding the clerk's window and ticket ---------------------------------------------

def my_window(user) -> Window:
    """The window this clerk is bound to (Window.clerk_id); 404 `no_window` when none."""
    window = db.session.scalar(select(Window).where(Window.clerk_id == user.id))
    if window is None:
        raise NotFound("You are not at any window; ask the hall's manager to put you at one.",
                       code="no_window")
    return window


def _own_window(user, window_id: uuid.UUID) -> Window:
    """The window, locked for this transaction; only its own clerk may work it."""
    window = db.session.scalar(select(Window).where(Window.id == window_id)
                               .with_for_update().execution_options(populate_existing=True))
    if window is None:
        raise NotFound("No such window.", code="window_not_found")
    if window.clerk_id != user.id:
        raise Forbidden("This is not your window.", code="not_your_window")
    return window


def _own_ticket(user, ticket_id: uuid.UUID) -> tuple[Ticket, Window]:
    """A ticket this clerk called (locked), and the window it was called to; only the clerk
    who called it works on it."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.id == ticket_id)
                               .with_for_update().execution_options(populate_existing=True))
    if ticket is None:
        raise NotFound("No such ticket.", code="ticket_not_found")
    if ticket.clerk_id != user.id or ticket.window_id is None:
        raise Forbidden("This ticket was not called by you.", code="not_your_ticket")
    window = db.session.get(Window, ticket.window_id)
    if window is None:
        raise Forbidden("This ticket was not called by you.", code="not_your_ticket")
    return ticket, window


def _must_be_called(ticket: Ticket) -> None:
    if ticket.status != CALLED:
        raise Conflict(f"Ticket {ticket.number} is {ticket.status}, not called.",
                       code="invalid_transition",
                       details={"current": {"status": ticket.status}, "number": ticket.number})


def _busy_ticket(window: Window) -> Ticket | None:
    """The ticket called here and not yet finished, no-show or transferred."""
    return db.session.scalar(select(Ticket).where(Ticket.window_id == window.id,
                                                  Ticket.status == CALLED)
                             .order_by(Ticket.called_at.desc()).limit(1))


def callable_here(window: Window):
    """Which waiting tickets this window may call: those of its services not sent to one
    window, and those transferred to this very window."""
    service_ids = [service.id for service in window.services]
    return sa.and_(Ticket.hall_id == window.hall_id, Ticket.status == WAITING,
                   sa.or_(sa.and_(Ticket.service_id.in_(service_ids),
                                  Ticket.for_window_id.is_(None)) if service_ids else sa.false(),
                          Ticket.for_window_id == window.id))


# -- the actions ------------------------------------------------------------------------

def call_next(user, window_id: uuid.UUID, now: datetime | None = None) -> Ticket:
    """叫号: the next ticket across the window's services and those transferred to it, in
    the queue's order (booked ones whose slot has begun first, then by waiting time)."""
    now = now or utcnow()
    window = _own_window(user, window_id)
    if window.status == WINDOW_PAUSED:
        raise Conflict("The window is paused; resume it to call.", code="window_paused")
    if window.status == WINDOW_CLOSED:
        raise Conflict("The window is closed; open it to call.", code="window_closed")
    busy = _busy_ticket(window)
    if busy is not None:
        raise Conflict(f"{busy.number} is still at this window: finish it, mark it a no-show "
                       "or transfer it first.", code="window_busy",
                       details={"ticket_id": str(busy.id), "number": busy.number})
    pick = (select(Ticket).where(callable_here(window)).order_by(*queue_key(now)).limit(1)
            .execution_options(populate_existing=True))
    if db.session.get_bind().dialect.name == "postgresql":
        # Another window may be calling this very moment: take the first ticket nobody has
        # locked, never wait for theirs (and never call the one they are calling).
        pick = pick.with_for_update(skip_locked=True, of=Ticket)
    ticket = db.session.scalar(pick)
    if ticket is None:
        raise NotFound("Nobody is waiting for this window.", code="queue_empty")
    ticket.status, ticket.window_id, ticket.clerk_id = CALLED, window.id, user.id
    ticket.called_at = now
    ticket.first_called_at = ticket.first_called_at or now
    window.idle_since = None
    events.queue_changed(window.hall_id, "called", services=[ticket.service_id],
                         number=ticket.number, window=window.number, at=now)
    events.push_called(ticket, window.number)
    db.session.commit()
    return ticket


def recall(user, ticket_id: uuid.UUID, now: datetime | None = None) -> Ticket:
    """重呼: call the ticket at this window again (its first call's time is kept)."""
    now = now or utcnow()
    ticket, window = _own_ticket(user, ticket_id)
    _must_be_called(ticket)
    ticket.recalls = (ticket.recalls or 0) + 1
    ticket.called_at = now
    ticket.first_called_at = ticket.first_called_at or now
    events.queue_changed(window.hall_id, "recalled", services=[ticket.service_id],
                         number=ticket.number, window=window.number, at=now, near=False)
    events.push_called(ticket, window.number, recall=True)
    db.session.commit()
    return ticket


def no_show(user, ticket_id: uuid.UUID, now: datetime | None = None) -> Ticket:
    """过号: the citizen did not come, even after a recall; the window is free again."""
    now = now or utcnow()
    ticket, window = _own_ticket(user, ticket_id)
    _must_be_called(ticket)
    if not ticket.recalls:
        raise Conflict("Recall the number at least once before marking it a no-show.",
                       code="recall_first", details={"number": ticket.number})
    ticket.status, ticket.finished_at = NO_SHOW, now
    _free(window, now)
    events.queue_changed(window.hall_id, "no_show", services=[ticket.service_id],
                         number=ticket.number, window=window.number, at=now, near=False)
    db.session.commit()
    return ticket


def finish(user, ticket_id: uuid.UUID, now: datetime | None = None) -> Ticket:
    """办结: the service is done; the window is free again."""
    now = now or utcnow()
    ticket, window = _own_ticket(user, ticket_id)
    _must_be_called(ticket)
    ticket.status, ticket.finished_at = DONE, now
    _free(window, now)
    events.queue_changed(window.hall_id, "finished", services=[ticket.service_id],
                         number=ticket.number, window=window.number, at=now, near=False)
    db.session.commit()
    return ticket


def transfer(user, ticket_id: uuid.UUID, *, service_id: uuid.UUID | None = None,
             window_id: uuid.UUID | None = None, now: datetime | None = None) -> Ticket:
    """转移: back to waiting in its old place (queued_at kept), for another service of the
    hall, or for one window of it (only that window calls it then)."""
    now = now or utcnow()
    if (service_id is None) == (window_id is None):
        raise Invalid("Transfer to a service or to a window: exactly one of them.",
                      code="transfer_target", details={"fields": {
                          "service_id": ["Give service_id or window_id, not both."]}})
    ticket, window = _own_ticket(user, ticket_id)
    _must_be_called(ticket)
    hall = db.session.get(Hall, window.hall_id)
    services = {ticket.service_id}
    if service_id is not None:
        service = get_service(hall, service_id)
        if service.id == ticket.service_id:
            raise Invalid("The ticket is already for this service.", code="same_service")
        _refuse_second_open(ticket, service)
        ticket.service_id, ticket.for_window_id = service.id, None
        services.add(service.id)
        to = {"to_service": service.code}
    else:
        target = db.session.get(Window, window_id)
        if target is None or target.hall_id != hall.id:
            raise NotFound("This hall has no such window.", code="window_not_found")
        if target.id == window.id:
            raise Invalid("The ticket is already at this window.", code="same_window")
        ticket.for_window_id = target.id
        to = {"to_window": target.number}
    # Waiting again where it stood; window_id stays as where it came from until it is called.
    ticket.status, ticket.called_at, ticket.recalls = WAITING, None, 0
    ticket.transfers = (ticket.transfers or 0) + 1
    ticket.near_pushed = False
    _free(window, now)
    events.queue_changed(window.hall_id, "transferred", services=sorted(services, key=str),
                         number=ticket.number, window=window.number, at=now, **to)
    db.session.commit()
    return ticket


def _refuse_second_open(ticket: Ticket, service: Service) -> None:
    """One open ticket per citizen per service: a transfer may not make a second one."""
    other = db.session.scalar(select(Ticket).where(
        Ticket.user_id == ticket.user_id, Ticket.service_id == service.id,
        Ticket.status.in_(OPEN_STATUSES), Ticket.id != ticket.id))
    if other is not None:
        raise Conflict(f"The citizen already holds {other.number} for {service.name}.",
                       code="ticket_open", details={"ticket_id": str(other.id),
                                                    "number": other.number})


def pause(user, window_id: uuid.UUID, now: datetime | None = None) -> Window:
    """暂停: the clerk steps away; nothing is called here until resumed. A ticket already
    called stays called."""
    return _set_status(user, window_id, WINDOW_PAUSED, now or utcnow())


def resume(user, window_id: uuid.UUID, now: datetime | None = None) -> Window:
    """恢复: the window calls again."""
    return _set_status(user, window_id, WINDOW_OPEN, now or utcnow())


def _set_status(user, window_id: uuid.UUID, status: str, now: datetime) -> Window:
    window = _own_window(user, window_id)
    if window.status != status:
        window.status, window.status_since = status, now
        if status == WINDOW_OPEN and _busy_ticket(window) is None:
            window.idle_since = window.idle_since or now
        events.queue_changed(window.hall_id, "window", window=window.number, at=now,
                             near=False, status=status)
    db.session.commit()
    return window


def _free(window: Window, now: datetime) -> None:
    """Nobody is at the window's counter now (what the idle alert measures)."""
    window.idle_since = now


# -- what the console shows -------------------------------------------------------------

def window_view(window: Window, now: datetime | None = None) -> dict:
    """The clerk's window (WindowMineOut): its state, the ticket at it, the queues it calls
    from and today's figures."""
    now = now or utcnow()
    hall = db.session.get(Hall, window.hall_id)
    waiting = events.waiting_counts(window.hall_id)
    current = _busy_ticket(window)
    return {
        "id": window.id, "number": window.number, "label": window.label or "",
        "hall_id": window.hall_id, "hall_name": hall.name if hall else "",
        "status": window.status, "status_since": window.status_since,
        "idle_since": window.idle_since,
        "services": [{"id": s.id, "code": s.code, "name": s.name,
                      "waiting": waiting.get(str(s.id), 0)} for s in window.services],
        "waiting_here": db.session.scalar(select(func.count()).select_from(Ticket)
                                          .where(callable_here(window))) or 0,
        "transferred_here": db.session.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.for_window_id == window.id, Ticket.status == WAITING)) or 0,
        "current": clerk_ticket_view(current, now) if current is not None else None,
        "today": today_figures(window, now),
        "other_services": [{"id": s.id, "code": s.code, "name": s.name}
                           for s in _hall_services(window.hall_id)],
        "other_windows": [{"id": w.id, "number": w.number, "label": w.label or ""}
                          for w in db.session.scalars(select(Window).where(
                              Window.hall_id == window.hall_id, Window.id != window.id)
                              .order_by(Window.number))],
    }


def _hall_services(hall_id: uuid.UUID) -> list[Service]:
    return db.session.scalars(select(Service).where(Service.hall_id == hall_id,
                                                    Service.deleted.is_(False))
                              .order_by(Service.sort_order, Service.code)).all()


def today_figures(window: Window, now: datetime) -> dict:
    """Today's (the city's day) tickets of this window: called here, done, no-shows, sent on
    to another service or window (and not yet called there), and the mean service time."""
    rows = db.session.execute(
        select(Ticket.status, Ticket.called_at, Ticket.finished_at, Ticket.transfers)
        .where(Ticket.window_id == window.id, Ticket.day == city_today(now))).all()
    durations = [(finished - called).total_seconds() for status, called, finished, _ in rows
                 if status == DONE and called and finished and finished > called]
    return {
        "called": len(rows),
        "done": sum(1 for row in rows if row.status == DONE),
        "no_show": sum(1 for row in rows if row.status == NO_SHOW),
        "transferred": sum(1 for row in rows if row.status == WAITING and row.transfers),
        "mean_service_s": round(sum(durations) / len(durations)) if durations else None,
    }


def clerk_ticket_view(ticket: Ticket, now: datetime | None = None) -> dict:
    """A ticket as the clerk sees it (ClerkTicketOut)."""
    now = now or utcnow()
    service = db.session.get(Service, ticket.service_id)
    window = db.session.get(Window, ticket.window_id) if ticket.window_id else None
    called = ticket.first_called_at or ticket.called_at
    waited_s = int(((called or now) - ticket.queued_at).total_seconds())
    return {
        "id": ticket.id, "number": ticket.number, "status": ticket.status,
        "hall_id": ticket.hall_id,
        "service": {"id": service.id, "code": service.code, "name": service.name},
        "window": ({"id": window.id, "number": window.number, "label": window.label or ""}
                   if window is not None else None),
        "for_window_id": ticket.for_window_id,
        "taken_at": ticket.taken_at, "queued_at": ticket.queued_at,
        "called_at": ticket.called_at, "first_called_at": ticket.first_called_at,
        "finished_at": ticket.finished_at, "recalls": ticket.recalls or 0,
        "transfers": ticket.transfers or 0, "waited_s": max(0, waited_s),
        "appointment": ticket.appointment_id is not None or ticket.priority_from is not None,
        "can_no_show": ticket.status == CALLED and bool(ticket.recalls),
    }
