"""The audit trail over HTTP."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma

from backend.audit.services import ACTIONS, AREAS
from backend.common.paging import PageArgs


class AuditListArgs(PageArgs):
    action = ma.fields.String(validate=ma.validate.OneOf(ACTIONS + AREAS), metadata={
        "description": "One action (auth.sign_in_failed) or a whole area (auth, account, sync)."})
    actor = ma.fields.String(validate=ma.validate.Length(min=1, max=64),
                             metadata={"description": "The username that acted (or was typed)."})
    target_id = ma.fields.String(validate=ma.validate.Length(min=1, max=64),
                                 metadata={"description": "What was acted on, e.g. an account id."})
    since = ma.fields.AwareDateTime(default_timezone=UTC,
                                    metadata={"description": "From this time on (inclusive)."})
    until = ma.fields.AwareDateTime(default_timezone=UTC,
                                    metadata={"description": "Before this time."})

    @ma.validates_schema
    def _since_before_until(self, data, **_kwargs):
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ma.ValidationError("`since` must come before `until`.", "until")


class AuditEventOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = ma.fields.DateTime(required=True)
    action = ma.fields.String(required=True)
    actor_id = ma.fields.UUID(allow_none=True, required=True)
    actor_name = ma.fields.String(required=True)
    target_type = ma.fields.String(allow_none=True, required=True)
    target_id = ma.fields.String(allow_none=True, required=True)
    address = ma.fields.String(allow_none=True, required=True)
    request_id = ma.fields.String(allow_none=True, required=True)
    details = ma.fields.Dict(required=True)
