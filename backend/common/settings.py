"""What services need from the running app, without importing Flask into them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app


def setting(name: str) -> Any:
    """A configuration value (see backend/config.py)."""
    return current_app.config[name]


def process_cache() -> dict:
    """A per-process cache that lives as long as the app (e.g. the point-in-grid index)."""
    return current_app.extensions.setdefault("civicgrid.cache", {})


def app_state(key: str, make: Callable[[], Any]) -> Any:
    """Something this process keeps for the app's whole life, made on first use: unlike
    process_cache (which tests empty between tests), e.g. threads and who listens to them."""
    state = current_app.extensions.get(key)
    if state is None:
        state = current_app.extensions.setdefault(key, make())
    return state


def instance_path() -> str:
    """The app's instance folder, where local state lives (the SQLite file, blobs)."""
    return current_app.instance_path
