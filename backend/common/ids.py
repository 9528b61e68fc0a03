"""Identifiers: UUIDs made by whoever creates a record (often a phone, offline)."""

from __future__ import annotations

import uuid


def new_id() -> uuid.UUID:
    return uuid.uuid4()
