"""The change log: one row per record at its newest change, numbered in commit order.

Beside it, departures: a record whose audience changed (a note filed under another area, a
case moved to another grid) leaves whoever saw it only through its old audience. The log
keeps only the newest audience, so each such move also writes a departure with the old one,
numbered from the same sequence, which pull serves as a `reason: scope` tombstone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
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
    departures: sa.Table


@dataclass(frozen=True)
class Change:
    collection: str
    record_id: uuid.UUID
    version: int
    deleted: bool
    audience: Audience
    # The record's first change (a create): nothing was logged of it before, so it cannot
    # have left an audience, and the log need not be read to know it.
    is_new: bool = False
    # The record at this version as pull serves it (JSON), when the writer has it at hand;
    # stored only if the record is still at this version when the change is logged.
    entry: str | None = None


@dataclass(frozen=True)
class LogState:
    top: int = 0        # the highest seq handed out
    horizon: int = 0    # changes up to this seq may have been compacted away
    departed: int = 0   # the highest seq of a departure (0: none ever)


def allocate_seqs(conn: sa.Connection, tables: SyncTables, count: int, departures: int = 0) -> int:
    """Reserve `count` sequence numbers; returns the first. The first `departures` of them
    number departures, which the counter remembers (LogState.departed).

    The UPDATE locks the counter row until this transaction ends, so whoever takes
    numbers next does so after this transaction has committed: numbers follow commit
    order. Call it last, just before committing, to keep that lock short.
    """
    counter = tables.counter
    values = {"seq": counter.c.seq + count}
    if departures:
        values["departed_seq"] = counter.c.seq + departures
    end = conn.execute(sa.update(counter).where(counter.c.id == 1)
                       .values(**values).returning(counter.c.seq)).scalar()
    if end is None:
        # First change ever (or after a wipe): create the row, racing safely.
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(counter).values(id=1, seq=0, horizon_seq=0,
                                                       departed_seq=0))
        except sa.exc.IntegrityError:
            pass
        return allocate_seqs(conn, tables, count, departures)
    return end - count + 1


# The changes to log by (collection, record id) → (version, entry) of each record that
# exists, where entry is the change as pull serves it (JSON text), None for a deleted record.
EntryReader = Callable[[sa.Connection, dict[tuple[str, uuid.UUID], Change]],
                       dict[tuple[str, uuid.UUID], tuple[int, str | None]]]


def log_changes(conn: sa.Connection, tables: SyncTables, changes: list[Change],
                now: datetime, read_entries: EntryReader | None = None) -> None:
    """Give each changed record its next seq; a record changed twice keeps its last change.
    A record whose audience is not the one last logged for it departs from the old one.

    With read_entries, each live record's JSON is stored with its change, read back from
    the record as it is now (whatever wrote to it in this transaction), so that a pull
    joins stored text instead of reading and converting rows.
    """
    latest: dict[tuple[str, uuid.UUID], Change] = {}
    for change in changes:
        latest.pop((change.collection, change.record_id), None)
        latest[(change.collection, change.record_id)] = change
    if not latest:
        return
    departures = _departures(conn, tables, latest, now)
    first = allocate_seqs(conn, tables, len(departures) + len(latest), len(departures))
    if departures:
        # Numbered before the changes that caused them: a page that serves a record's new
        # state has served its departure already.
        for i, departure in enumerate(departures):
            departure["seq"] = first + i
        conn.execute(sa.insert(tables.departures), departures)
        first += len(departures)
    stored = read_entries(conn, latest) if read_entries else {}
    rows = []
    for i, (key, c) in enumerate(latest.items()):
        # The record's own version when it exists: pull has always served that one.
        version, entry = stored.get(key, (c.version, None))
        rows.append({
            "collection": c.collection, "record_id": c.record_id, "seq": first + i,
            "version": version, "deleted": c.deleted, "scope_path": c.audience.scope_path,
            "owner_id": c.audience.owner_id, "is_public": c.audience.is_public,
            "changed_at": now, "entry": None if c.deleted else entry})
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[conn.dialect.name]
    statement = dialect.insert(tables.changes)
    statement = statement.on_conflict_do_update(
        index_elements=["collection", "record_id"],
        set_={name: statement.excluded[name] for name in (
            "seq", "version", "deleted", "scope_path", "owner_id", "is_public", "changed_at",
            "entry")})
    # Fresh seqs are above every existing one, so the unique seq column cannot collide.
    conn.execute(statement, rows)


def _departures(conn: sa.Connection, tables: SyncTables,
                latest: dict[tuple[str, uuid.UUID], Change], now: datetime) -> list[dict]:
    """A departure (without its seq) for each of these changes whose record was last logged
    with another audience; the log is read only for records logged before."""
    wanted: dict[str, list[uuid.UUID]] = {}
    for change in latest.values():
        if not change.is_new:
            wanted.setdefault(change.collection, []).append(change.record_id)
    log = tables.changes
    before: dict[tuple[str, uuid.UUID], Audience] = {}
    for collection, ids in wanted.items():
        for start in range(0, len(ids), 500):
            for row in conn.execute(sa.select(
                    log.c.record_id, log.c.scope_path, log.c.owner_id, log.c.is_public)
                    .where(log.c.collection == collection, log.c.deleted.is_(False),
                           log.c.record_id.in_(ids[start:start + 500]))):
                before[(collection, row.record_id)] = Audience(
                    scope_path=row.scope_path, owner_id=row.owner_id, is_public=bool(row.is_public))
    departures = []
    for key, change in latest.items():  # in the order of the changes
        old = before.get(key)
        if old is not None and old != change.audience:
            departures.append({
                "collection": change.collection, "record_id": change.record_id,
                "version": change.version, "scope_path": old.scope_path,
                "owner_id": old.owner_id, "is_public": old.is_public, "changed_at": now})
    return departures


def log_state(conn: sa.Connection, tables: SyncTables) -> LogState:
    counter = tables.counter
    row = conn.execute(sa.select(counter.c.seq, counter.c.horizon_seq, counter.c.departed_seq)
                       .where(counter.c.id == 1)).first()
    return LogState(row.seq, row.horizon_seq, row.departed_seq) if row else LogState()
