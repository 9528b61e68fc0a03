"""Request and response shapes of ratings (好差评), their follow-up (差评整改), electronic
supervision (电子监察) and the hall manager's console."""

from __future__ import annotations

import marshmallow as ma

from backend.queue.models import ALERT_KINDS, RATING_REASONS


class RatingIn(ma.Schema):
    score = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, 5),
                              metadata={"description": "1 (very bad) … 5 (very good); 1–2 "
                                                       "opens a follow-up for the hall."})
    reasons = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(RATING_REASONS)), load_default=list,
        validate=ma.validate.Length(max=len(RATING_REASONS)),
        metadata={"description": "What the citizen ticks: " + ", ".join(RATING_REASONS) + "."})
    comment = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class RatingOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    ticket_id = ma.fields.UUID(required=True)
    score = ma.fields.Integer(required=True)
    reasons = ma.fields.List(ma.fields.String(), required=True)
    comment = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    followup_status = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "null for a good rating; open until the hall records what it did, "
                       "then done."})
    followup_action = ma.fields.String(required=True)
    followup_at = ma.fields.DateTime(allow_none=True, required=True)


class FollowupQuery(ma.Schema):
    status = ma.fields.String(load_default="open", validate=ma.validate.OneOf(("open", "done")))


class FollowupServiceOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class FollowupOut(ma.Schema):
    id = ma.fields.UUID(required=True, metadata={"description": "The rating's id."})
    ticket_id = ma.fields.UUID(required=True)
    number = ma.fields.String(required=True)
    service = ma.fields.Nested(FollowupServiceOut, required=True)
    window_number = ma.fields.Integer(allow_none=True, required=True)
    clerk_name = ma.fields.String(allow_none=True, required=True)
    score = ma.fields.Integer(required=True)
    reasons = ma.fields.List(ma.fields.String(), required=True)
    comment = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    followup_status = ma.fields.String(required=True)
    followup_action = ma.fields.String(required=True)
    followup_by = ma.fields.UUID(allow_none=True, required=True)
    followup_by_name = ma.fields.String(allow_none=True, required=True)
    followup_at = ma.fields.DateTime(allow_none=True, required=True)


class FollowupListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FollowupOut), required=True)


class FollowupIn(ma.Schema):
    action = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000),
                              metadata={"description": "What was done about it (整改措施)."})

    @ma.validates("action")
    def not_blank(self, value: str, **_kwargs) -> None:
        if not value.strip():
            raise ma.ValidationError("Say what was done.")


class AlertQuery(ma.Schema):
    open = ma.fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "true: not yet acknowledged; false: acknowledged; absent: all."})


class AlertOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    hall_id = ma.fields.UUID(required=True)
    kind = ma.fields.String(required=True, metadata={"description": ", ".join(ALERT_KINDS)})
    subject_id = ma.fields.String(required=True, metadata={
        "description": "The ticket (overtime_service), window (idle_window, paused_window) "
                       "or service (long_wait) it is about."})
    subject_label = ma.fields.String(required=True, metadata={
        "description": "The ticket's number, the window's number, or the service's code "
                       "and name."})
    detail = ma.fields.Dict(required=True, metadata={
        "description": "since (when the condition began), limit_min, and the window, number, "
                       "service_code or waiting count it concerns."})
    raised_at = ma.fields.DateTime(required=True)
    cleared_at = ma.fields.DateTime(allow_none=True, required=True, metadata={
        "description": "When the condition ended by itself."})
    acknowledged_at = ma.fields.DateTime(allow_none=True, required=True)
    acknowledged_by = ma.fields.UUID(allow_none=True, required=True)
    acknowledged_by_name = ma.fields.String(allow_none=True, required=True)
    note = ma.fields.String(required=True)


class AlertListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AlertOut), required=True)


class AcknowledgeIn(ma.Schema):
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class ManagedHallOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)


class ManagedHallListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ManagedHallOut), required=True)


class OverviewServiceOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    waiting = ma.fields.Integer(required=True)
    oldest_since = ma.fields.DateTime(allow_none=True, required=True,
                                      metadata={"description": "When the longest wait began."})


class OverviewWindowOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    number = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    staffed = ma.fields.Boolean(required=True)
    serving = ma.fields.String(allow_none=True, required=True,
                               metadata={"description": "The number called there now."})


class OverviewTodayOut(ma.Schema):
    taken = ma.fields.Integer(required=True)
    done = ma.fields.Integer(required=True)
    no_show = ma.fields.Integer(required=True)
    waiting = ma.fields.Integer(required=True)
    called = ma.fields.Integer(required=True)
    rated = ma.fields.Integer(required=True)
    rating_mean = ma.fields.Float(allow_none=True, required=True)


class OverviewHallOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    wait_alert_min = ma.fields.Integer(required=True)
    idle_alert_min = ma.fields.Integer(required=True)


class OverviewOut(ma.Schema):
    hall = ma.fields.Nested(OverviewHallOut, required=True)
    day = ma.fields.Date(required=True, metadata={"description": "The city's day counted."})
    services = ma.fields.List(ma.fields.Nested(OverviewServiceOut), required=True)
    windows = ma.fields.List(ma.fields.Nested(OverviewWindowOut), required=True)
    today = ma.fields.Nested(OverviewTodayOut, required=True)
    open_alerts = ma.fields.Integer(required=True)
    open_followups = ma.fields.Integer(required=True)
