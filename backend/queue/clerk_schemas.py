"""The window clerk's request and response shapes (窗口叫号)."""

from __future__ import annotations

import marshmallow as ma

from backend.queue.schemas import NoteIn, TicketServiceOut, TicketWindowOut


class CallIn(ma.Schema):
    """Calling the next ticket takes nothing (an empty body `{}` is fine)."""


class WindowStateIn(NoteIn):
    """Pausing or resuming: an optional note (an empty body `{}` is fine)."""


class TransferIn(ma.Schema):
    """Exactly one of the two."""

    service_id = ma.fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "Another service of the hall: the ticket joins its queue in its old place."})
    window_id = ma.fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "Another window of the hall: only that window calls it."})
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))

    @ma.validates_schema
    def exactly_one(self, data, **_kwargs):
        if (data.get("service_id") is None) == (data.get("window_id") is None):
            raise ma.ValidationError("Give service_id or window_id, exactly one.", "service_id")


class ClerkTicketOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    number = ma.fields.String(required=True, metadata={"example": "A007"})
    status = ma.fields.String(required=True, metadata={
        "description": "waiting, called, done, no_show or cancelled."})
    hall_id = ma.fields.UUID(required=True)
    service = ma.fields.Nested(TicketServiceOut, required=True)
    window = ma.fields.Nested(TicketWindowOut, allow_none=True, required=True, metadata={
        "description": "The window that called it last."})
    for_window_id = ma.fields.UUID(allow_none=True, required=True, metadata={
        "description": "Transferred to this window: only it calls the ticket."})
    taken_at = ma.fields.DateTime(required=True)
    queued_at = ma.fields.DateTime(required=True, metadata={
        "description": "Its place in the queue (kept through a transfer)."})
    called_at = ma.fields.DateTime(allow_none=True, required=True,
                                   metadata={"description": "The latest call (or recall)."})
    first_called_at = ma.fields.DateTime(allow_none=True, required=True)
    finished_at = ma.fields.DateTime(allow_none=True, required=True)
    recalls = ma.fields.Integer(required=True)
    transfers = ma.fields.Integer(required=True)
    waited_s = ma.fields.Integer(required=True, metadata={
        "description": "From its place in the queue to its first call (or now)."})
    appointment = ma.fields.Boolean(required=True,
                                    metadata={"description": "Booked (预约): goes first."})
    can_no_show = ma.fields.Boolean(required=True, metadata={
        "description": "A no-show may be marked (called, and recalled at least once)."})


class WindowServiceOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    waiting = ma.fields.Integer(required=True, metadata={"description": "Waiting in its queue."})


class ServiceRefOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class TodayOut(ma.Schema):
    called = ma.fields.Integer(required=True)
    done = ma.fields.Integer(required=True)
    no_show = ma.fields.Integer(required=True)
    transferred = ma.fields.Integer(required=True, metadata={
        "description": "Sent on from here and not yet called elsewhere."})
    mean_service_s = ma.fields.Integer(allow_none=True, required=True)


class WindowMineOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    number = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    hall_id = ma.fields.UUID(required=True)
    hall_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "open, paused or closed."})
    status_since = ma.fields.DateTime(required=True)
    idle_since = ma.fields.DateTime(allow_none=True, required=True, metadata={
        "description": "Free since then; null while a ticket is called here."})
    services = ma.fields.List(ma.fields.Nested(WindowServiceOut), required=True)
    waiting_here = ma.fields.Integer(required=True, metadata={
        "description": "Tickets this window may call now."})
    transferred_here = ma.fields.Integer(required=True, metadata={
        "description": "Of those, transferred to this window."})
    current = ma.fields.Nested(ClerkTicketOut, allow_none=True, required=True, metadata={
        "description": "The ticket called here and not finished."})
    today = ma.fields.Nested(TodayOut, required=True)
    other_services = ma.fields.List(ma.fields.Nested(ServiceRefOut), required=True, metadata={
        "description": "The hall's services (transfer targets)."})
    other_windows = ma.fields.List(ma.fields.Nested(TicketWindowOut), required=True, metadata={
        "description": "The hall's other windows (transfer targets)."})
