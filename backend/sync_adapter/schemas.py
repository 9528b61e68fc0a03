"""Wire schemas of the sync endpoints, for validation of the envelope and for OpenAPI.

The engine checks each mutation in depth (sync/protocol.py); these only document.
"""

from __future__ import annotations

import marshmallow as ma

from backend.common.paging import PageArgs


class MutationIn(ma.Schema):
    mid = ma.fields.Integer(required=True, metadata={"minimum": 1,
                                                     "description": "1, 2, 3… per client_id"})
    collection = ma.fields.String(required=True)
    id = ma.fields.UUID(required=True)
    op = ma.fields.String(required=True, validate=ma.validate.OneOf(["create", "update", "delete"]))
    base_version = ma.fields.Integer(allow_none=True)
    fields = ma.fields.Dict()
    client_time = ma.fields.DateTime(required=True)


class PushIn(ma.Schema):
    """Documents the push body; the engine checks it (400 `malformed_push`, 413)."""

    client_id = ma.fields.UUID(required=True)
    mutations = ma.fields.List(ma.fields.Nested(MutationIn), required=True)
    sent_at = ma.fields.DateTime(allow_none=True, metadata={
        "description": "The device's clock when sending, to measure its skew."})


class PushResult(ma.Schema):
    mid = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={
        "enum": ["applied", "merged", "rejected", "duplicate"]})
    collection = ma.fields.String(required=True)
    id = ma.fields.String(required=True)
    version = ma.fields.Integer()
    record = ma.fields.Dict()
    conflict = ma.fields.List(ma.fields.Dict())
    refused_fields = ma.fields.Dict()
    error = ma.fields.Dict()
    original = ma.fields.Dict(allow_none=True)


class PushOut(ma.Schema):
    last_mid = ma.fields.Integer(required=True)
    results = ma.fields.List(ma.fields.Nested(PushResult), required=True)


class PullArgs(ma.Schema):
    client_id = ma.fields.String(required=True)
    cursor = ma.fields.String(validate=ma.validate.Length(max=2000))
    limit = ma.fields.Integer(load_default=500)


class ChangeOut(ma.Schema):
    collection = ma.fields.String(required=True)
    id = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    record = ma.fields.Dict()
    deleted = ma.fields.Boolean()
    reason = ma.fields.String()


class PullOut(ma.Schema):
    changes = ma.fields.List(ma.fields.Nested(ChangeOut), required=True)
    cursor = ma.fields.String(required=True)
    has_more = ma.fields.Boolean(required=True)
    last_mid = ma.fields.Integer(required=True)


class ConflictOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    collection = ma.fields.String(required=True)
    record_id = ma.fields.UUID(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["field", "workflow", "delete_wins"]})
    field = ma.fields.String(allow_none=True)
    losing_value = ma.fields.Raw(allow_none=True)
    winning_value = ma.fields.Raw(allow_none=True)
    reason = ma.fields.String()
    user_id = ma.fields.UUID()
    client_id = ma.fields.UUID()
    mid = ma.fields.Integer()
    base_version = ma.fields.Integer(allow_none=True)
    server_version = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    resolved_at = ma.fields.DateTime(allow_none=True)
    resolved_by = ma.fields.UUID(allow_none=True)
    resolution = ma.fields.String(allow_none=True)


class ConflictListArgs(PageArgs):
    resolved = ma.fields.Boolean(load_default=False)
    collection = ma.fields.String(validate=ma.validate.Length(max=32))
    record_id = ma.fields.UUID()


class ResolveIn(ma.Schema):
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(["accept", "restore"]),
                                metadata={"description": "accept what won, or restore what lost"})
