"""Binding the sync engine to the app: sessions, the registry, server-side changes."""

from __future__ import annotations

import uuid


def touch_records(collection: str, record_ids: list[uuid.UUID]) -> None:
    """Log a server-side change of these records (new version, new seq) in the caller's
    transaction, so that every client that may see them pulls them again."""
    raise NotImplementedError  # lands with the engine
