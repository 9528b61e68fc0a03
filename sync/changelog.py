"""The change log: one row per record at its newest change, numbered in commit order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sync.registry import Audience


@dataclass(frozen=True)
class SyncTables:
    """The engine's own tables, defined by whoever binds the engine to a database."""

    clients: sa.Table
    results: sa.Table
    changes: sa.Table
    counter: sa.Table
    conflicts: sa.Table


@dataclass(frozen=True)
class Change:
    collection: str
    record_id: uuid.UUID
    version: int
    deleted: bool
    audience: Audience


def allocate_seqs(conn: sa.Connection, tables: SyncTables, count: int) -> int:
    """Reserve `count` sequence numbers; returns the first.

    The UPDATE locks the counter row until this transaction ends, so whoever takes
    numbers next does so after this transaction has committed: numbers follow commit
    order. Call it last, just before committing, to keep that lock short.
    """
    counter = tables.counter
    end = conn.execute(sa.update(counter).where(counter.c.id == 1)
                       .values(seq=counter.c.seq + count).returning(counter.c.seq)).scalar()
    if end is None:
        # First change ever (or after a wipe): create the row, racing safely.
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(counter).values(id=1, seq=0, horizon_seq=0))
        except sa.exc.IntegrityError:
            pass
        return allocate_seqs(conn, tables, count)
    return end - count + 1


def log_changes(conn: sa.Connection, tables: SyncTables, changes: list[Change],
                now: datetime) -> None:
    """Give each changed record its next seq; a record changed twice keeps its last change."""
    latest: dict[tuple[str, uuid.UUID], Change] = {}
    for change in changes:
        latest.pop((change.collection, change.record_id), None)
        latest[(change.collection, change.record_id)] = change
    if not latest:
        return
    first = allocate_seqs(conn, tables, len(latest))
    rows = [{
        "collection": c.collection, "record_id": c.record_id, "seq": first + i,
        "version": c.version, "deleted": c.deleted, "scope_path": c.audience.scope_path,
        "owner_id": c.audience.owner_id, "is_public": c.audience.is_public, "changed_at": now,
    } for i, c in enumerate(latest.values())]
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[conn.dialect.name]
    statement = dialect.insert(tables.changes)
    statement = statement.on_conflict_do_update(
        index_elements=["collection", "record_id"],
        set_={name: statement.excluded[name] for name in (
            "seq", "version", "deleted", "scope_path", "owner_id", "is_public", "changed_at")})
    # Fresh seqs are above every existing one, so the unique seq column cannot collide.
    conn.execute(statement, rows)


def last_seq(conn: sa.Connection, tables: SyncTables) -> tuple[int, int]:
    """(highest seq handed out, compaction horizon)."""
    row = conn.execute(sa.select(tables.counter.c.seq, tables.counter.c.horizon_seq)
                       .where(tables.counter.c.id == 1)).first()
    return (row.seq, row.horizon_seq) if row else (0, 0)
