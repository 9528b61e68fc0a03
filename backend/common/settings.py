"""What services need from the running app, without importing Flask into them."""

from __future__ import annotations

from typing import Any

from flask import current_app


def setting(name: str) -> Any:
    """A configuration value (see backend/config.py)."""
    return current_app.config[name]


def process_cache() -> dict:
    """A per-process cache that lives as long as the app (e.g. the point-in-grid index)."""
    return current_app.extensions.setdefault("civicgrid.cache", {})


def instance_path() -> str:
    """The app's instance folder, where local state lives (the SQLite file, blobs)."""
    return current_app.instance_path
