"""Identifiers: UUIDs made by whoever creates a record (often a phone, offline), and the
SHA-256 that names a photo's bytes."""

from __future__ import annotations

import re
import uuid

# A blob's name: the SHA-256 of its bytes, lowercase hex.
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def new_id() -> uuid.UUID:
    return uuid.uuid4()
