"""The change log stores each live record's JSON as pull serves it (its entry). This checks
that every stored entry is what the record serialises to now, the slow way (to_record on
the whole row): a write that changed a record without logging it, or logged it before its
last write, leaves an entry behind that a pull would serve.

tests/conftest.py runs it after each test of the folders that write synced records.
"""

from __future__ import annotations

import json
from itertools import islice

import sqlalchemy as sa

from backend.sync_adapter.models import SyncChange
from backend.sync_adapter.registry import engine


def _batches(items: list, size: int = 500):
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def stale_entries(conn: sa.Connection) -> list[str]:
    """What is wrong with the log's entries, as sentences (empty: all are right)."""
    sync = engine()
    log = SyncChange.__table__
    by_collection: dict[str, list] = {}
    for row in conn.execute(sa.select(log.c.collection, log.c.record_id, log.c.version,
                                      log.c.deleted, log.c.entry)):
        by_collection.setdefault(row.collection, []).append(row)
    problems = []
    for name, logged in by_collection.items():
        collection = sync.registry.get(name)
        if collection is None:
            continue
        table = collection.table
        current = {}
        for ids in _batches([row.record_id for row in logged]):
            current.update((row["id"], dict(row)) for row in conn.execute(
                sa.select(table).where(table.c.id.in_(ids))).mappings())
        for row in logged:
            record = current.get(row.record_id)
            what = f"{name} {row.record_id}"
            live = record is not None and not record.get("deleted") and not row.deleted
            if record is not None and row.version != record["version"]:
                problems.append(f"{what}: logged at version {row.version}, "
                                f"the record is at {record['version']}")
            if not live:
                if row.entry is not None:
                    problems.append(f"{what}: an entry stored for a deleted or missing record")
                continue
            if row.entry is None:
                problems.append(f"{what}: no entry stored")
                continue
            fresh = json.loads(json.dumps({
                "collection": name, "id": str(row.record_id), "version": record["version"],
                "record": sync.to_record(collection, record)}))
            stored = json.loads(row.entry)
            if stored != fresh:
                differ = sorted(k for k in {*stored["record"], *fresh["record"]}
                                if stored["record"].get(k) != fresh["record"].get(k))
                problems.append(f"{what}: stored entry differs from the record in {differ} "
                                f"(stored version {stored['version']}, now {fresh['version']})")
    return problems


def assert_entries_fresh(conn: sa.Connection) -> None:
    problems = stale_entries(conn)
    assert not problems, "stale sync entries:\n" + "\n".join(problems[:20])


def stored_as_if_so(db, collection: str, record_id) -> None:
    """Commit a row a test set directly (to stand for time gone by) and store its entry
    again, as if it had been written so."""
    db.session.flush()
    engine().store_entries(db.session.connection(), [(collection, record_id)])
    db.session.commit()
