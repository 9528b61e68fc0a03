"""Rating a finished ticket (好差评) and following up a bad one (差评整改).

A citizen rates a done ticket once (the unique ticket_id decides a race). A score of
BAD_RATING_MAX or less opens a follow-up: the hall's managers are told, and the console
lists it until one of them records what was done; the citizen is then pushed that reply
and reads it on their ticket.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.accounts.models import User
from backend.audit import services as audit
from backend.common.time import isoformat, utcnow
from backend.errors import Conflict, NotFound
from backend.extensions import db
from backend.notifications.services import notify
from backend.push.services import push_to_users
from backend.queue import events
from backend.queue.managers import display_names, managed_hall, manager_ids, manages
from backend.queue.models import (
    BAD_RATING_MAX,
    DONE,
    FOLLOWUP_DONE,
    FOLLOWUP_OPEN,
    Service,
    Ticket,
    TicketRating,
    Window,
)
from backend.queue.tickets import get_own_ticket

# What a bad rating's notification is called (notifications.kind).
BAD_RATING = "bad_rating"
# How many follow-ups one list shows: the newest.
LIST_LIMIT = 200


def rate_ticket(user, ticket_id: uuid.UUID, *, score: int, reasons=(), comment: str = "",
                now: datetime | None = None) -> TicketRating:
    """The holder rates their done ticket, once (committed)."""
    now = now or utcnow()
    ticket = get_own_ticket(user, ticket_id)
    if ticket.status != DONE:
        raise Conflict("A ticket is rated once its service is done.", code="not_done",
                       details={"ticket_status": ticket.status})
    if db.session.scalar(select(TicketRating.id).where(TicketRating.ticket_id == ticket.id)):
        raise _already_rated()
    bad = score <= BAD_RATING_MAX
    rating = TicketRating(id=uuid.uuid4(), ticket_id=ticket.id, hall_id=ticket.hall_id,
                          user_id=user.id, score=score, reasons=list(dict.fromkeys(reasons)),
                          comment=comment.strip(), created_at=now,
                          followup_status=FOLLOWUP_OPEN if bad else None, followup_action="")
    db.session.add(rating)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # a second tab's rating won the race
        raise _already_rated() from None
    if bad:
        service = db.session.get(Service, ticket.service_id)
        notify(manager_ids(ticket.hall_id), BAD_RATING, rating.id, {
            "number": ticket.number, "score": score,
            "service": service.name if service else ""})
        events.queue_changed(ticket.hall_id, "followup", at=now, near=False)
    db.session.commit()
    return rating


def _already_rated() -> Conflict:
    return Conflict("This ticket is already rated.", code="already_rated")


def rating_view(rating: TicketRating) -> dict:
    """A rating as its citizen reads it (RatingOut)."""
    return {"id": rating.id, "ticket_id": rating.ticket_id, "score": rating.score,
            "reasons": list(rating.reasons or []), "comment": rating.comment or "",
            "created_at": rating.created_at, "followup_status": rating.followup_status,
            "followup_action": rating.followup_action or "", "followup_at": rating.followup_at}


# -- the manager's side -------------------------------------------------------------------

def list_followups(user, hall_id: uuid.UUID, status: str = FOLLOWUP_OPEN) -> list[dict]:
    """The hall's bad ratings whose follow-up is open (or done), newest first."""
    hall = managed_hall(user, hall_id)
    return _followups(TicketRating.hall_id == hall.id, TicketRating.followup_status == status)


def _followups(*where) -> list[dict]:
    """Bad ratings as the manager reads them (FollowupOut): with the ticket, its service,
    window and clerk; never the citizen."""
    clerk = User.__table__.alias("clerk")
    rows = db.session.execute(
        select(TicketRating, Ticket.number, Service.id.label("service_id"), Service.code,
               Service.name, Window.number.label("window_number"), clerk.c.display_name,
               clerk.c.username)
        .join(Ticket, Ticket.id == TicketRating.ticket_id)
        .join(Service, Service.id == Ticket.service_id)
        .outerjoin(Window, Window.id == Ticket.window_id)
        .outerjoin(clerk, clerk.c.id == Ticket.clerk_id)
        .where(*where)
        .order_by(TicketRating.created_at.desc(), TicketRating.id).limit(LIST_LIMIT)).all()
    names = display_names(row.TicketRating.followup_by for row in rows)
    out = []
    for row in rows:
        rating = row.TicketRating
        out.append({
            "id": rating.id, "ticket_id": rating.ticket_id, "number": row.number,
            "service": {"id": row.service_id, "code": row.code, "name": row.name},
            "window_number": row.window_number,
            "clerk_name": (row.display_name or row.username) if row.username else None,
            "score": rating.score, "reasons": list(rating.reasons or []),
            "comment": rating.comment or "", "created_at": rating.created_at,
            "followup_status": rating.followup_status,
            "followup_action": rating.followup_action or "", "followup_by": rating.followup_by,
            "followup_by_name": names.get(rating.followup_by), "followup_at": rating.followup_at})
    return out


def record_followup(user, rating_id: uuid.UUID, *, action: str,
                    now: datetime | None = None) -> dict:
    """A manager records what was done about a bad rating (整改), once (committed)."""
    now = now or utcnow()
    rating = db.session.scalar(select(TicketRating).where(TicketRating.id == rating_id)
                               .with_for_update())
    if rating is None or rating.followup_status is None or not manages(user, rating.hall_id):
        raise NotFound("No such follow-up.", code="followup_not_found")
    if rating.followup_status == FOLLOWUP_DONE:
        raise Conflict("This follow-up is already recorded.", code="followup_done",
                       details={"followup_at": isoformat(rating.followup_at)})
    rating.followup_status, rating.followup_action = FOLLOWUP_DONE, action.strip()
    rating.followup_by, rating.followup_at = user.id, now
    ticket = db.session.get(Ticket, rating.ticket_id)
    audit.record(audit.HALL_FOLLOWUP_RECORDED, actor=user, target=("ticket_rating", rating.id),
                 details={"number": ticket.number if ticket else "", "score": rating.score})
    events.queue_changed(rating.hall_id, "followup", at=now, near=False)
    # The citizen hears the hall's answer where they rated: on their phone.
    number = ticket.number if ticket else ""
    push_to_users([rating.user_id], {
        "title": "大厅已回复您的评价", "body": f"{number}：{rating.followup_action[:100]}",
        "url": f"/#/tickets/{rating.ticket_id}", "tag": f"rating:{rating.id}",
        "kind": "rating_followup", "ticket_id": str(rating.ticket_id), "number": number})
    db.session.commit()
    return _followups(TicketRating.id == rating_id)[0]
