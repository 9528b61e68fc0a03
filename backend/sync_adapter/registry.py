"""The engine, built once per process from the collections the app registered.

Features declare their collections in their own `sync.py`; `create_app` registers them
here, as it registers blueprints. Nothing here imports a feature.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, current_app

from backend.common.settings import process_cache, setting
from backend.sync_adapter.models import (
    SyncChange,
    SyncClient,
    SyncConflict,
    SyncCounter,
    SyncDeparture,
    SyncResult,
)
from sync.changelog import SyncTables
from sync.cursor import CursorCodec
from sync.engine import Engine
from sync.registry import Collection, Registry

_REGISTRY = "civicgrid.sync_registry"


def register_collections(app: Flask, collections: Iterable[Collection]) -> None:
    """Make these collections syncable in this app (names must be unique)."""
    registry = app.extensions.setdefault(_REGISTRY, Registry())
    for collection in collections:
        registry.register(collection)


def engine() -> Engine:
    cache = process_cache()
    if "sync_engine" not in cache:
        tables = SyncTables(clients=SyncClient.__table__, results=SyncResult.__table__,
                            changes=SyncChange.__table__, counter=SyncCounter.__table__,
                            conflicts=SyncConflict.__table__,
                            departures=SyncDeparture.__table__)
        key = ("cursor:" + setting("SECRET_KEY")).encode()
        cache["sync_engine"] = Engine(registry=current_app.extensions.get(_REGISTRY, Registry()),
                                      tables=tables, codec=CursorCodec(key),
                                      max_mutations=setting("SYNC_MAX_MUTATIONS"),
                                      max_pull_limit=setting("SYNC_PULL_LIMIT_MAX"))
    return cache["sync_engine"]
