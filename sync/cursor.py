"""Pull cursors: opaque to clients, signed so that they cannot be forged or widened."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Cursor:
    seq: int = 0          # the last change served
    snapshot: int = 0     # a snapshot began at this seq: older tombstones are not news
    scope: str = ""       # the scope signature the cursor was served under
    leaving: str | None = None  # while a scope change is handled: the old scope's signature
    # Whose it is: a cursor carries what its user may see, so no other user or app install
    # may replay it. Empty in cursors made before cursors named their owner.
    user: str = ""
    client: str = ""


class CursorCodec:
    def __init__(self, key: bytes):
        self._key = key

    def encode(self, cursor: Cursor) -> str:
        body = base64.urlsafe_b64encode(json.dumps(asdict(cursor), separators=(",", ":")).encode())
        mac = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        return f"{body.decode()}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def decode(self, token: str) -> Cursor | None:
        """The cursor, or None when the token was not made by us."""
        try:
            body, mac = token.encode().rsplit(b".", 1)
            expected = base64.urlsafe_b64encode(
                hmac.new(self._key, body, hashlib.sha256).digest()[:16]).rstrip(b"=")
            if not hmac.compare_digest(mac, expected):
                return None
            return Cursor(**json.loads(base64.urlsafe_b64decode(body)))
        except (ValueError, TypeError, json.JSONDecodeError):
            return None
