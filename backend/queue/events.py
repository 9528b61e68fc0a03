"""What the hall tells others when its queue moves: a live event for the display, the
ticket pages and the consoles (backend/live, delivered once the transaction commits), and
Web Push to the citizens concerned (queued in the same transaction, sent by a job): when
their number is called, and when only two are ahead of them (无声叫号)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select

from backend.common.time import isoformat, utcnow
from backend.extensions import db
from backend.live import services as live
from backend.push.services import push_to_users
from backend.queue.models import WAITING, Ticket

# A ticket this near the front is told to come back (two ahead of it).
NEAR_POSITION = 3


def queue_changed(hall_id: uuid.UUID, kind: str, *, services=(), number: str | None = None,
                  window: int | None = None, at: datetime | None = None, near: bool = True,
                  **extra) -> None:
    """Publish a hall event (kind: taken, called, recalled, finished, no_show, cancelled,
    transferred, window, alert…) and tell whoever came near the front of these services'
    queues. Call it in the writing transaction, after the write."""
    at = at or utcnow()
    service_ids = [uuid.UUID(str(s)) for s in services]
    event = {"type": "hall", "id": str(hall_id), "kind": kind, "at": isoformat(at),
             "waiting": waiting_counts(hall_id)}
    if number is not None:
        event["number"] = number
    if window is not None:
        event["window"] = window
    if len(service_ids) == 1:
        event["service_id"] = str(service_ids[0])
    event.update(extra)
    live.publish(event)
    if near:
        for service_id in service_ids:
            push_near(service_id, at, skip_number=number if kind == "taken" else None)


def waiting_counts(hall_id: uuid.UUID) -> dict[str, int]:
    """Tickets waiting per service id, as the transaction sees them now."""
    rows = db.session.execute(
        select(Ticket.service_id, func.count()).where(Ticket.hall_id == hall_id,
                                                      Ticket.status == WAITING)
        .group_by(Ticket.service_id)).all()
    return {str(service_id): count for service_id, count in rows}


def push_near(service_id: uuid.UUID, now: datetime, *, skip_number: str | None = None) -> None:
    """Tell the citizens who are now among the first NEAR_POSITION of a service's queue
    that their turn is coming (once per ticket). One just taken that near is not told:
    its holder has just seen its place."""
    from backend.queue.tickets import queue_key  # tickets publishes through this module

    front = db.session.execute(
        select(Ticket.id, Ticket.near_pushed).where(Ticket.service_id == service_id,
                                                    Ticket.status == WAITING)
        .order_by(*queue_key(now)).limit(NEAR_POSITION)).all()
    places = {ticket_id: place for place, (ticket_id, pushed) in enumerate(front, start=1)
              if not pushed}
    if not places:
        return
    # Locked rows are skipped, not waited for: another transaction (a call at another
    # window) is moving them, and waiting here for each other's rows would deadlock two
    # calls. A later change of the queue tells whoever was skipped.
    for ticket in db.session.scalars(select(Ticket).where(
            Ticket.id.in_(places), Ticket.near_pushed.is_(False))
            .with_for_update(skip_locked=True)):
        place = places[ticket.id]
        ticket.near_pushed = True
        if ticket.number == skip_number:
            continue
        ahead = place - 1
        push_to_users([ticket.user_id], {
            "title": f"{ticket.number} 即将叫号",
            "body": f"您前面还有 {ahead} 位，请回到大厅等候。" if ahead else "下一位就是您，请到大厅等候。",
            "url": f"/#/tickets/{ticket.id}", "tag": f"ticket:{ticket.id}",
            "kind": "ticket_near", "number": ticket.number, "ticket_id": str(ticket.id),
            "ahead": ahead})


def push_called(ticket: Ticket, window_number: int, *, recall: bool = False) -> None:
    """Tell the holder their number is called, and where to go."""
    push_to_users([ticket.user_id], {
        "title": f"请 {ticket.number} 到 {window_number} 号窗口",
        "body": ("再次叫号：" if recall else "") + f"{ticket.number} 请到 {window_number} 号窗口办理。",
        "url": f"/#/tickets/{ticket.id}", "tag": f"ticket:{ticket.id}",
        "kind": "ticket_recalled" if recall else "ticket_called", "number": ticket.number,
        "window": window_number, "ticket_id": str(ticket.id)})
