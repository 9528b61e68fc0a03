"""The service hall's request and response shapes."""

from __future__ import annotations

import marshmallow as ma


class ServiceOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True, metadata={"description": "The numbers' letter."})
    name = ma.fields.String(required=True)
    avg_service_min = ma.fields.Float(required=True)
    time_limit_min = ma.fields.Integer(required=True)
    daily_limit = ma.fields.Integer(required=True, metadata={"description": "0: no limit."})
    sort_order = ma.fields.Integer(required=True)


class WindowOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    number = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    service_ids = ma.fields.List(ma.fields.UUID(), required=True)
    status = ma.fields.String(required=True, metadata={"description": "open, paused or closed."})
    staffed = ma.fields.Boolean(required=True, metadata={"description": "A clerk is bound to it."})


class HallOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    fence_radius_m = ma.fields.Float(required=True)
    opening_hours = ma.fields.Dict(required=True, metadata={
        "description": 'By ISO weekday ("1" Monday … "7" Sunday): [["08:30", "12:00"], …] in '
                       "the city's time; a missing or empty day is closed."})
    open_now = ma.fields.Boolean(required=True)
    wait_alert_min = ma.fields.Integer(required=True)
    idle_alert_min = ma.fields.Integer(required=True)
    services = ma.fields.List(ma.fields.Nested(ServiceOut), required=True)
    windows = ma.fields.List(ma.fields.Nested(WindowOut), required=True)


class TicketIn(ma.Schema):
    service_id = ma.fields.UUID(required=True)
    lat = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-90, 90),
                          metadata={"description": "Where the citizen stands now."})
    lon = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-180, 180))
    accuracy_m = ma.fields.Float(load_default=None, allow_none=True, allow_nan=False,
                                 validate=ma.validate.Range(0, 100000),
                                 metadata={"description": "The fix's accuracy in metres."})


class TicketHeaders(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = ma.fields.String(
        data_key="Idempotency-Key", load_default=None,
        validate=ma.validate.Length(min=8, max=64),
        metadata={"description": "A fresh random value per take; a retry with the same value "
                                 "answers with the ticket the first take made (200)."})


class TicketWindowOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    number = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)


class TicketServiceOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class TicketOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    number = ma.fields.String(required=True, metadata={"example": "A007"})
    status = ma.fields.String(required=True, metadata={
        "description": "waiting, called, done, no_show or cancelled."})
    hall_id = ma.fields.UUID(required=True)
    hall_name = ma.fields.String(required=True)
    service = ma.fields.Nested(TicketServiceOut, required=True)
    day = ma.fields.Date(required=True)
    position = ma.fields.Integer(allow_none=True, required=True,
                                 metadata={"description": "1 = next; null unless waiting."})
    ahead = ma.fields.Integer(required=True)
    estimated_wait_s = ma.fields.Integer(allow_none=True, required=True)
    window = ma.fields.Nested(TicketWindowOut, allow_none=True, required=True,
                              metadata={"description": "Where to go, once called."})
    taken_at = ma.fields.DateTime(required=True)
    called_at = ma.fields.DateTime(allow_none=True, required=True)
    finished_at = ma.fields.DateTime(allow_none=True, required=True)
    recalls = ma.fields.Integer(required=True)
    appointment = ma.fields.Boolean(required=True,
                                    metadata={"description": "Taken with a booking (预约)."})
    rating = ma.fields.Dict(allow_none=True, load_default=None, metadata={
        "description": "The holder's rating once given: score, reasons, comment, and the "
                       "hall's follow-up of a bad one (followup_status, followup_action)."})
    can_rate = ma.fields.Boolean(required=True)


class TicketListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TicketOut), required=True)


class NoteIn(ma.Schema):
    """A state change's optional note (an empty body `{}` is fine)."""

    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
