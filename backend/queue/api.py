"""The service hall over HTTP, the citizen's side: halls, taking a number, one's tickets."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.common.auth import CITIZEN, auth_required, current_user
from backend.extensions import Blueprint
from backend.queue import schemas, tickets

halls_blp = Blueprint("halls", __name__, url_prefix="/api/v1/halls",
                      description="Service halls (一窗受理): their services, windows and queues.")
tickets_blp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets",
                        description="Queue tickets: a citizen's numbers, and the clerk's work on them.")


@halls_blp.route("")
class Halls(MethodView):
    @halls_blp.doc(security=[])
    @halls_blp.response(200, schemas.HallOut(many=True))
    def get(self):
        """Every hall with its services and windows; public (the hall's screen and a
        citizen's phone read it before signing in)."""
        return tickets.list_halls()


@halls_blp.route("/<uuid:hall_id>/tickets")
class HallTickets(MethodView):
    @auth_required(CITIZEN)
    @halls_blp.arguments(schemas.TicketHeaders, location="headers", as_kwargs=True)
    @halls_blp.arguments(schemas.TicketIn)
    @halls_blp.response(201, schemas.TicketOut)
    @halls_blp.alt_response(200, schema=schemas.TicketOut,
                            description="A retry: the ticket the first take with this "
                                        "Idempotency-Key made.")
    @halls_blp.alt_response(403, description="`out_of_fence`: outside the hall's fence "
                                             "(details: distance_m, radius_m).")
    @halls_blp.alt_response(409, description="`hall_closed` (details: opens_at), "
                                             "`daily_limit_reached`, or `ticket_open`: one "
                                             "open ticket per service (details: ticket_id).")
    def post(self, args, hall_id: uuid.UUID, idempotency_key=None):
        """Take a number (一键取号) for a service, standing in the hall; citizens only."""
        ticket, made = tickets.take_ticket(current_user(), hall_id,
                                           idempotency_key=idempotency_key, **args)
        return tickets.ticket_view(ticket), 201 if made else 200


@tickets_blp.route("")
class OwnTickets(MethodView):
    @auth_required(CITIZEN)
    @tickets_blp.response(200, schemas.TicketListOut)
    def get(self):
        """The citizen's tickets of the last 30 days (我的排号), open ones first."""
        return {"items": [tickets.ticket_view(t) for t in tickets.list_own_tickets(current_user())]}


@tickets_blp.route("/<uuid:ticket_id>")
class OwnTicket(MethodView):
    @auth_required(CITIZEN)
    @tickets_blp.response(200, schemas.TicketOut)
    def get(self, ticket_id: uuid.UUID):
        """The holder's ticket: its place and estimated wait, and the window once called;
        anyone else's is 404."""
        return tickets.ticket_view(tickets.get_own_ticket(current_user(), ticket_id))


@tickets_blp.route("/<uuid:ticket_id>/cancel")
class CancelTicket(MethodView):
    @auth_required(CITIZEN)
    @tickets_blp.arguments(schemas.NoteIn)
    @tickets_blp.response(200, schemas.TicketOut)
    @tickets_blp.alt_response(409, description="`invalid_transition`: no longer waiting.")
    def post(self, args, ticket_id: uuid.UUID):
        """Give up a waiting ticket."""
        return tickets.ticket_view(tickets.cancel_ticket(current_user(), ticket_id))
