"""Web Push over HTTP."""

from __future__ import annotations

import marshmallow as ma


class PushKeyOut(ma.Schema):
    public_key = ma.fields.String(required=True, metadata={
        "description": "The server's VAPID public key, base64url (a browser's "
                       "applicationServerKey)."})


class PushKeysIn(ma.Schema):
    p256dh = ma.fields.String(required=True, validate=ma.validate.Length(max=128), metadata={
        "description": "The browser's P-256 public key, base64url (uncompressed point)."})
    auth = ma.fields.String(required=True, validate=ma.validate.Length(max=64), metadata={
        "description": "The browser's authentication secret, base64url (16 bytes)."})


class PushSubscriptionIn(ma.Schema):
    """A browser's PushSubscription, as its toJSON() gives it."""

    class Meta:
        unknown = ma.EXCLUDE  # e.g. expirationTime

    endpoint = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000),
                                metadata={"description": "The push service's URL for it."})
    keys = ma.fields.Nested(PushKeysIn, required=True)


class PushSubscriptionOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    endpoint = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    last_success_at = ma.fields.DateTime(allow_none=True, required=True)
