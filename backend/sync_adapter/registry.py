"""The engine, built once per process with every feature's collections."""

from __future__ import annotations

from backend.common.settings import process_cache, setting
from backend.sync_adapter.models import SyncChange, SyncClient, SyncConflict, SyncCounter, SyncResult
from sync.changelog import SyncTables
from sync.cursor import CursorCodec
from sync.engine import Engine
from sync.registry import Registry


def build_registry() -> Registry:
    # Imported here: feature sync modules import their services, which may log changes here.
    from backend.attendance.sync import COLLECTIONS as attendance
    from backend.incidents.sync import COLLECTIONS as incidents
    from backend.patrol.sync import COLLECTIONS as patrol
    from backend.photos.sync import COLLECTIONS as photos
    from backend.queue.sync import COLLECTIONS as queue
    from backend.regions.sync import COLLECTIONS as regions

    registry = Registry()
    for collection in (*regions, *incidents, *queue, *patrol, *attendance, *photos):
        registry.register(collection)
    return registry


def engine() -> Engine:
    cache = process_cache()
    if "sync_engine" not in cache:
        tables = SyncTables(clients=SyncClient.__table__, results=SyncResult.__table__,
                            changes=SyncChange.__table__, counter=SyncCounter.__table__,
                            conflicts=SyncConflict.__table__)
        key = ("cursor:" + setting("SECRET_KEY")).encode()
        cache["sync_engine"] = Engine(registry=build_registry(), tables=tables,
                                      codec=CursorCodec(key),
                                      max_mutations=setting("SYNC_MAX_MUTATIONS"),
                                      max_pull_limit=setting("SYNC_PULL_LIMIT_MAX"))
    return cache["sync_engine"]
