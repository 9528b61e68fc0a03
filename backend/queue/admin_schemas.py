"""Request and response shapes of the hall's set-up and of appointments."""

from __future__ import annotations

import marshmallow as ma

from backend.queue.admin import CODE_PATTERN

_HOURS = ('By ISO weekday ("1" Monday … "7" Sunday): a list of ["HH:MM", "HH:MM"] periods in '
          'the city\'s time, each starting before it ends ("24:00" ends the day), in order and '
          "not overlapping; a missing or empty day is closed.")


def _name(**kwargs):
    return ma.fields.String(validate=[ma.validate.Length(min=1, max=100),
                                      ma.validate.Regexp(r".*\S", error="Not blank.")], **kwargs)


class HallIn(ma.Schema):
    name = _name(required=True)
    address = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    lat = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(-180, 180))
    fence_radius_m = ma.fields.Float(load_default=150.0, allow_nan=False,
                                     validate=ma.validate.Range(10, 5000),
                                     metadata={"description": "Numbers are taken inside it."})
    opening_hours = ma.fields.Dict(load_default=dict, metadata={"description": _HOURS})
    wait_alert_min = ma.fields.Integer(load_default=30, validate=ma.validate.Range(1, 1440),
                                       metadata={"description": "A longer wait raises an alert."})
    idle_alert_min = ma.fields.Integer(load_default=5, validate=ma.validate.Range(1, 1440),
                                       metadata={"description": "A window idle or paused this "
                                                                "long while people wait raises "
                                                                "an alert."})


class HallPatchIn(ma.Schema):
    name = _name()
    address = ma.fields.String(validate=ma.validate.Length(max=200))
    lat = ma.fields.Float(allow_nan=False, validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(allow_nan=False, validate=ma.validate.Range(-180, 180))
    fence_radius_m = ma.fields.Float(allow_nan=False, validate=ma.validate.Range(10, 5000))
    opening_hours = ma.fields.Dict(metadata={"description": _HOURS})
    wait_alert_min = ma.fields.Integer(validate=ma.validate.Range(1, 1440))
    idle_alert_min = ma.fields.Integer(validate=ma.validate.Range(1, 1440))


_CODE = ma.validate.Regexp(CODE_PATTERN, error="One or two capital letters (A, B … or AB).")


class ServiceIn(ma.Schema):
    code = ma.fields.String(required=True, validate=_CODE,
                            metadata={"description": "The numbers' letters (A007): one or two "
                                                     "capital letters, unique in the hall."})
    name = _name(required=True)
    avg_service_min = ma.fields.Float(load_default=9.0, allow_nan=False,
                                      validate=ma.validate.Range(0.5, 480))
    time_limit_min = ma.fields.Integer(load_default=20, validate=ma.validate.Range(1, 480))
    daily_limit = ma.fields.Integer(load_default=200, validate=ma.validate.Range(0, 100000),
                                    metadata={"description": "Numbers a day; 0: no limit."})
    sort_order = ma.fields.Integer(load_default=0, validate=ma.validate.Range(-10000, 10000))


class ServicePatchIn(ma.Schema):
    code = ma.fields.String(validate=_CODE)
    name = _name()
    avg_service_min = ma.fields.Float(allow_nan=False, validate=ma.validate.Range(0.5, 480))
    time_limit_min = ma.fields.Integer(validate=ma.validate.Range(1, 480))
    daily_limit = ma.fields.Integer(validate=ma.validate.Range(0, 100000))
    sort_order = ma.fields.Integer(validate=ma.validate.Range(-10000, 10000))


class WindowIn(ma.Schema):
    number = ma.fields.Integer(required=True, validate=ma.validate.Range(1, 9999),
                               metadata={"description": "Unique in the hall."})
    label = ma.fields.String(load_default="", validate=ma.validate.Length(max=50))
    service_ids = ma.fields.List(ma.fields.UUID(), required=True,
                                 validate=ma.validate.Length(min=1, max=50),
                                 metadata={"description": "Services of this hall it handles."})
    clerk_id = ma.fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "A window clerk's account, or null; binding moves the clerk from any "
                       "other window."})


class WindowPatchIn(ma.Schema):
    number = ma.fields.Integer(validate=ma.validate.Range(1, 9999))
    label = ma.fields.String(validate=ma.validate.Length(max=50))
    service_ids = ma.fields.List(ma.fields.UUID(), validate=ma.validate.Length(min=1, max=50))
    clerk_id = ma.fields.UUID(allow_none=True)


class PersonOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)


class WindowAdminOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    hall_id = ma.fields.UUID(required=True)
    number = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    service_ids = ma.fields.List(ma.fields.UUID(), required=True)
    status = ma.fields.String(required=True, metadata={"description": "open, paused or closed."})
    staffed = ma.fields.Boolean(required=True)
    clerk = ma.fields.Nested(PersonOut, allow_none=True, required=True)


class ManagersIn(ma.Schema):
    user_ids = ma.fields.List(ma.fields.UUID(), required=True,
                              validate=ma.validate.Length(max=100),
                              metadata={"description": "Accounts with the hall_manager role; "
                                                       "the hall's managers become exactly these."})


class SlotIn(ma.Schema):
    starts_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    ends_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    capacity = ma.fields.Integer(required=True, validate=ma.validate.Range(1, 1000),
                                 metadata={"description": "Citizens who may book it."})


class SlotOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    service_id = ma.fields.UUID(required=True)
    starts_at = ma.fields.DateTime(required=True)
    ends_at = ma.fields.DateTime(required=True)
    capacity = ma.fields.Integer(required=True)
    booked = ma.fields.Integer(required=True)
    free = ma.fields.Integer(required=True)
    my_appointment_id = ma.fields.UUID(allow_none=True, required=True, metadata={
        "description": "The caller's own booking of it, if any."})


class SlotListArgs(ma.Schema):
    day = ma.fields.Date(load_default=None, metadata={
        "description": "A day in the city's time (YYYY-MM-DD); today by default."})


class SlotListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SlotOut), required=True)


class BookIn(ma.Schema):
    """Booking needs nothing but the slot (an empty body `{}`)."""


class _SlotBrief(ma.Schema):
    id = ma.fields.UUID(required=True)
    starts_at = ma.fields.DateTime(required=True)
    ends_at = ma.fields.DateTime(required=True)


class _ServiceBrief(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class _HallBrief(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)


class AppointmentOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True, metadata={
        "description": "booked, used (a number was taken with it) or cancelled."})
    created_at = ma.fields.DateTime(required=True)
    slot = ma.fields.Nested(_SlotBrief, required=True)
    service = ma.fields.Nested(_ServiceBrief, required=True)
    hall = ma.fields.Nested(_HallBrief, required=True)
    can_cancel = ma.fields.Boolean(required=True)


class AppointmentListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AppointmentOut), required=True)
