"""The engine, built once per process from the collections the app registered.

Features declare their collections in their own `sync.py`; `create_app` registers them
here, as it registers blueprints. Nothing here imports a feature.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

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


_PUSH_LISTENERS = "civicgrid.sync_push_listeners"


def on_push(app: Flask, collection: str, listener: Callable[[list[uuid.UUID]], None]) -> None:
    """listener(ids) at the end of every push that applied records of this collection, with
    their ids, in the push's transaction before it commits (e.g. to publish them live)."""
    app.extensions.setdefault(_PUSH_LISTENERS, {}).setdefault(collection, []).append(listener)


def push_listeners() -> dict[str, list[Callable[[list[uuid.UUID]], None]]]:
    return current_app.extensions.get(_PUSH_LISTENERS, {})


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
