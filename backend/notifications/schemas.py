"""Notifications over HTTP."""

from __future__ import annotations

import marshmallow as ma

from backend.common.paging import PageArgs


class NotificationListArgs(PageArgs):
    unread = ma.fields.Boolean(metadata={"description": "Only unread (true) or read (false)."})


class NotificationOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "e.g. case_overdue"})
    subject_id = ma.fields.UUID(required=True, metadata={"description": "The case it is about."})
    params = ma.fields.Dict(required=True)
    created_at = ma.fields.DateTime(required=True)
    read_at = ma.fields.DateTime(allow_none=True, required=True)


class NotificationPatchIn(ma.Schema):
    read = ma.fields.Boolean(required=True)


class MarkAllIn(ma.Schema):
    before = ma.fields.AwareDateTime(load_default=None, metadata={
        "description": "Only those that arrived before this time (what the reader has seen)."})


class MarkedOut(ma.Schema):
    marked = ma.fields.Integer(required=True)
