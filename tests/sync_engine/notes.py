"""A toy app on the sync engine alone: notes filed under areas, on SQLAlchemy Core.

No Flask and no `backend`: everything the engine needs from whoever binds it is here.

- The engine's own tables (SyncTables). backend/sync_adapter/models.py declares the same
  columns as Flask-SQLAlchemy models; these are plain Core tables.
- A collection: `notes` (field-level merge). A note is filed under an area ("/east/lane/"),
  which is its scope path; its author is its owner. Each note gets a number in its area,
  and an area holds at most AREA_LIMIT notes (a hook that writes, then may reject). Only
  the author may change a note (can_write).
- A reference collection, `areas`, that every user pulls (public records).
- Hooks with a bug on purpose, to show that one failing mutation is rejected alone: a note
  titled CRASH_TITLE fails after its hook has written, and `readings` (grouped creates)
  divides by the value a device sends, so a reading of 0 fails.
- `Server`: the engine over one database, each push or pull in its own transaction, with
  a clock that moves a second per request. `Device`: a client with an outbox and a cursor.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from sync.changelog import Change, SyncTables
from sync.cursor import CursorCodec
from sync.engine import Engine
from sync.errors import Rejection
from sync.registry import APPEND_ONLY, MERGE, REFERENCE, Actor, Audience, Collection, Registry, WriteContext
from sync.scope import Scope

AREA_LIMIT = 3
CRASH_TITLE = "crash"
BASE_TIME = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


class UTCDateTime(sa.TypeDecorator):
    """Aware datetimes in and out. SQLite keeps no zone and hands back naive values, and
    the engine writes times it reads back into records (updated_at) as ISO 8601 with Z."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, _dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = sa.MetaData()

# -- the engine's own tables ------------------------------------------------------------------

clients = sa.Table(
    "sync_clients", metadata,
    sa.Column("client_id", sa.Uuid, primary_key=True),
    sa.Column("user_id", sa.Uuid, nullable=False),
    sa.Column("last_mid", sa.BigInteger, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime),
    sa.Column("last_seen_at", UTCDateTime))
results = sa.Table(
    "sync_results", metadata,
    sa.Column("client_id", sa.Uuid, sa.ForeignKey("sync_clients.client_id"), primary_key=True),
    sa.Column("mid", sa.BigInteger, primary_key=True),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime))
changes = sa.Table(
    "sync_changes", metadata,
    sa.Column("collection", sa.String(32), primary_key=True),
    sa.Column("record_id", sa.Uuid, primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("scope_path", sa.String(200)),
    sa.Column("owner_id", sa.Uuid),
    sa.Column("is_public", sa.Boolean, nullable=False, default=False),
    sa.Column("changed_at", UTCDateTime),
    sa.Column("entry", sa.Text))
counter = sa.Table(
    "sync_counter", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, default=0),
    sa.Column("horizon_seq", sa.BigInteger, nullable=False, default=0),
    sa.Column("departed_seq", sa.BigInteger, nullable=False, default=0))
departures = sa.Table(
    "sync_departures", metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("collection", sa.String(32), nullable=False),
    sa.Column("record_id", sa.Uuid, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("scope_path", sa.String(200)),
    sa.Column("owner_id", sa.Uuid),
    sa.Column("is_public", sa.Boolean, nullable=False, default=False),
    sa.Column("changed_at", UTCDateTime))
conflicts = sa.Table(
    "sync_conflicts", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("collection", sa.String(32), nullable=False),
    sa.Column("record_id", sa.Uuid, nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("field", sa.String(64)),
    sa.Column("losing_value", sa.JSON),
    sa.Column("winning_value", sa.JSON),
    sa.Column("client_id", sa.Uuid, nullable=False),
    sa.Column("user_id", sa.Uuid, nullable=False),
    sa.Column("mid", sa.BigInteger, nullable=False),
    sa.Column("base_version", sa.Integer),
    sa.Column("server_version", sa.Integer, nullable=False),
    sa.Column("scope_path", sa.String(200)),
    sa.Column("owner_id", sa.Uuid),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("created_at", UTCDateTime),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("resolved_by", sa.Uuid),
    sa.Column("resolution", sa.String(24)))

SYNC_TABLES = SyncTables(clients=clients, results=results, changes=changes, counter=counter,
                         conflicts=conflicts, departures=departures)


def synced_columns() -> list[sa.Column]:
    """The columns the engine reads and writes on every synced record."""
    return [sa.Column("id", sa.Uuid, primary_key=True),
            sa.Column("version", sa.Integer, nullable=False, default=1),
            sa.Column("created_at", UTCDateTime),
            sa.Column("updated_at", UTCDateTime),
            sa.Column("deleted", sa.Boolean, nullable=False, default=False),
            sa.Column("field_clock", sa.JSON, nullable=False, default=dict),
            sa.Column("scope_path", sa.String(200))]


# -- the app's own tables -------------------------------------------------------------------

notes = sa.Table(
    "notes", metadata, *synced_columns(),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False, default=""),
    sa.Column("area", sa.String(200), nullable=False),
    sa.Column("author_id", sa.Uuid, nullable=False),
    sa.Column("number", sa.Integer, nullable=False))
area_counters = sa.Table(
    "area_counters", metadata,
    sa.Column("area", sa.String(200), primary_key=True),
    sa.Column("last_number", sa.Integer, nullable=False))
readings = sa.Table(
    "readings", metadata, *synced_columns(),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("inverse", sa.Float, nullable=False),
    sa.Column("author_id", sa.Uuid, nullable=False))
areas = sa.Table(
    "areas", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("updated_at", UTCDateTime),
    sa.Column("path", sa.String(200), nullable=False),
    sa.Column("name", sa.String(100), nullable=False))


# -- the collections ----------------------------------------------------------------------------

class NoteFields(ma.Schema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    body = ma.fields.String(validate=ma.validate.Length(max=2000))
    area = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^(/[a-z0-9]+)+/$"))


def _number_in_area(conn: sa.Connection, area: str) -> int:
    bumped = conn.execute(sa.update(area_counters).where(area_counters.c.area == area)
                          .values(last_number=area_counters.c.last_number + 1)
                          .returning(area_counters.c.last_number)).scalar()
    if bumped is None:
        conn.execute(sa.insert(area_counters).values(area=area, last_number=1))
        bumped = 1
    return bumped


def prepare_note(ctx: WriteContext, values: dict) -> dict:
    if not ctx.actor.scope.covers(values["area"], None, False):
        raise Rejection("outside_area", "Notes are filed in your own area.")
    # Numbered first and refused after: the engine must undo the counter's bump.
    number = _number_in_area(ctx.conn, values["area"])
    if number > AREA_LIMIT:
        raise Rejection("area_full", f"An area holds at most {AREA_LIMIT} notes.")
    if values["title"] == CRASH_TITLE:
        raise RuntimeError("a bug in the hook, after it wrote the area's counter")
    return {"author_id": ctx.actor.user_id, "number": number}


class ReadingFields(ma.Schema):
    value = ma.fields.Float(required=True, allow_nan=False)


def prepare_reading(ctx: WriteContext, values: dict) -> dict:
    return {"author_id": ctx.actor.user_id, "inverse": 1 / values["value"]}  # a bug at 0


def only_the_author_changes_a_note(ctx: WriteContext, record: dict | None, op: str) -> bool:
    return op == "create" or record["author_id"] == ctx.actor.user_id


def note_audience(row: dict) -> Audience:
    return Audience(scope_path=row["area"], owner_id=row["author_id"])


def build_registry() -> Registry:
    registry = Registry()
    registry.register(Collection(
        name="notes", table=notes, rule=MERGE, schema=NoteFields,
        server_fields=("author_id", "number"), audience=note_audience,
        prepare_create=prepare_note, can_write=only_the_author_changes_a_note))
    registry.register(Collection(
        name="readings", table=readings, rule=APPEND_ONLY, schema=ReadingFields,
        server_fields=("author_id", "inverse"), prepare_create=prepare_reading,
        audience=lambda row: Audience(owner_id=row["author_id"]), batch_creates=True))
    registry.register(Collection(
        name="areas", table=areas, rule=REFERENCE, server_fields=("path", "name"),
        audience=lambda _row: Audience(is_public=True)))
    return registry


# -- a server and its devices ---------------------------------------------------------------

def actor(name: str, *, area: str | None = None, everything: bool = False) -> Actor:
    """A user whose scope is this area (a path prefix), or everything."""
    user_id = uuid.uuid5(uuid.NAMESPACE_URL, f"notes:{name}")
    return Actor(user_id=user_id, roles=frozenset(),
                 scope=Scope(user_id=user_id, everything=everything, path_prefix=area))


@dataclass
class Server:
    """The engine over one database; each request in a transaction of its own."""

    database: sa.Engine
    engine: Engine = field(default_factory=lambda: Engine(
        registry=build_registry(), tables=SYNC_TABLES, codec=CursorCodec(b"notes-cursor-key"),
        max_mutations=50, max_pull_limit=100))
    now: datetime = BASE_TIME

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def push(self, who: Actor, body: dict) -> dict:
        with self.database.begin() as conn:
            return self.engine.push(conn, who, body, self.tick())

    def pull(self, who: Actor, client_id: str, cursor: str | None, limit: int = 100) -> dict:
        with self.database.begin() as conn:
            return self.engine.pull(conn, who, client_id, cursor, limit, self.tick())

    def add_area(self, path: str, name: str) -> uuid.UUID:
        """Reference data the server writes itself, logged for every device to pull."""
        area_id = uuid.uuid4()
        with self.database.begin() as conn:
            conn.execute(sa.insert(areas).values(id=area_id, version=1, updated_at=self.tick(),
                                                 path=path, name=name))
            self.engine.log_external(conn, [Change("areas", area_id, 1, False,
                                                   Audience(is_public=True))], self.now)
        return area_id

    def rows(self, table: sa.Table, *where: Any) -> list[dict]:
        with self.database.connect() as conn:
            return [dict(row) for row in conn.execute(sa.select(table).where(*where)).mappings()]


class Device:
    """One app install of one user: mutations numbered 1, 2, 3…, a cursor, what it holds."""

    def __init__(self, server: Server, who: Actor, *, client_id: str | None = None):
        self.server, self.actor = server, who
        self.client_id = client_id or str(uuid.uuid4())
        self.next_mid = 1
        self.outbox: list[dict] = []
        self.cursor: str | None = None
        self.records: dict[tuple[str, str], dict] = {}
        self.clock = BASE_TIME

    def _mutation(self, collection: str, record_id: str, op: str, fields: dict,
                  base_version: int | None, client_time: datetime | None) -> dict:
        self.clock += timedelta(seconds=1)
        mutation = {"mid": self.next_mid, "collection": collection, "id": record_id, "op": op,
                    "base_version": base_version, "fields": fields,
                    "client_time": iso(client_time or self.clock)}
        self.next_mid += 1
        self.outbox.append(mutation)
        return mutation

    def create(self, fields: dict, *, collection: str = "notes", record_id: str | None = None,
               client_time: datetime | None = None) -> str:
        record_id = record_id or str(uuid.uuid4())
        self._mutation(collection, record_id, "create", fields, None, client_time)
        return record_id

    def base_version(self, record_id: str) -> int:
        held = self.records.get(("notes", record_id))
        return held["version"] if held else 1

    def update(self, record_id: str, fields: dict, *, base_version: int | None = None,
               client_time: datetime | None = None) -> dict:
        return self._mutation("notes", record_id, "update", fields,
                              base_version or self.base_version(record_id), client_time)

    def delete(self, record_id: str, *, client_time: datetime | None = None) -> dict:
        return self._mutation("notes", record_id, "delete", {}, self.base_version(record_id),
                              client_time)

    def push(self, *, mutations: list[dict] | None = None) -> dict:
        body = self.server.push(self.actor, {"client_id": self.client_id,
                                             "mutations": self.outbox if mutations is None else mutations})
        self.outbox = [m for m in self.outbox if m["mid"] > body["last_mid"]]
        return body

    def pull_page(self, limit: int = 100) -> dict:
        page = self.server.pull(self.actor, self.client_id, self.cursor, limit)
        for change in page["changes"]:
            key = (change["collection"], change["id"])
            if change.get("deleted"):
                self.records.pop(key, None)
            else:
                self.records[key] = change["record"]
        self.cursor = page["cursor"]
        self.outbox = [m for m in self.outbox if m["mid"] > page["last_mid"]]
        return page

    def pull(self, limit: int = 100) -> list[dict]:
        """Pages until there is no more; every change received."""
        received = []
        while True:
            page = self.pull_page(limit)
            received += page["changes"]
            if not page["has_more"]:
                return received

    def held(self, collection: str = "notes") -> dict[str, dict]:
        return {rid: record for (name, rid), record in self.records.items() if name == collection}


def note(title: str = "Broken bench", area: str = "/east/lane/", **extra) -> dict:
    """A valid note create."""
    return {"title": title, "area": area, **extra}
