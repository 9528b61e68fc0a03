"""The collections a client may sync, each with its schema, conflict rule, scope and hooks.

Feature packages declare their collections (backend/<feature>/sync.py) and register
them; the engine knows nothing else about them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, TypeVar

import marshmallow as ma
import sqlalchemy as sa

from sync.scope import Scope

APPEND_ONLY = "append_only"   # immutable after create (track points, punches, photos)
MERGE = "merge"               # field-level merge, last writer wins per field
REFERENCE = "reference"       # pull only (regions, categories, halls, services)
RULES = (APPEND_ONLY, MERGE, REFERENCE)

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """The signed-in user a request acts for."""

    user_id: uuid.UUID
    roles: frozenset[str]
    scope: Scope
    # Where new records of this user belong when nothing better is known (a worker's grid).
    home_path: str | None = None


@dataclass(frozen=True)
class Audience:
    """Who may pull a record: those whose scope covers its path, its owner, or everyone."""

    scope_path: str | None = None
    owner_id: uuid.UUID | None = None
    is_public: bool = False


def owned_audience(owner_field: str) -> Callable[[dict], Audience]:
    """The audience of records that belong to a place and to a person (a worker's patrol,
    punch): those whose scope covers the record's path, and the owner named by this field."""
    def audience(row: dict) -> Audience:
        return Audience(scope_path=row.get("scope_path"), owner_id=row.get(owner_field))
    return audience


@dataclass
class WriteContext:
    """What hooks get: the connection (same transaction), the actor and the mutation's clocks."""

    conn: sa.Connection
    actor: Actor
    now: datetime
    client_time: datetime
    client_id: uuid.UUID
    sent_at: datetime | None = None
    registry: Registry | None = None
    # The record the mutation writes (None outside a mutation).
    record_id: uuid.UUID | None = None
    # Shared by the mutations of one push (one transaction): what hooks read once and reuse,
    # such as a category or a grid's district, instead of asking the database per mutation.
    cache: dict = field(default_factory=dict)
    # Applied in a group of creates, without a savepoint of its own: nothing this mutation
    # writes is undone unless the whole push is (and then done again with a fresh cache).
    # Only then may a hook keep what it wrote in the cache for later mutations (a counter
    # taken once for the push); under a savepoint its write could be undone alone.
    grouped: bool = False
    # The conflicts this mutation kept (rows of the conflicts table): the engine writes those
    # of the push's applied mutations together at its end.
    conflicts: list[dict] = field(default_factory=list)

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """compute(), once per push for this key."""
        try:
            return self.cache[key]
        except KeyError:
            value = self.cache[key] = compute()
            return value

    def after_push(self, key: Hashable, step: Callable[[], None]) -> None:
        """step(), once at the end of the push however many mutations ask for it under this
        key: after the push's changes are logged, in its transaction. For work done once for
        many mutations, such as measuring a track that the push added points to. A step
        asked for by a rejected mutation still runs."""
        self.cache.setdefault(_AFTER_PUSH, {}).setdefault(key, step)


_AFTER_PUSH = object()  # WriteContext.cache key of the steps to run at the end of a push


def run_after_push(cache: dict) -> None:
    """The steps mutations of a push asked for (WriteContext.after_push), in that order."""
    for step in cache.pop(_AFTER_PUSH, {}).values():
        step()


@dataclass(frozen=True)
class Workflow:
    """Fields decided by a state machine, never by time (a report's `status`)."""

    fields: tuple[str, ...]
    # (ctx, current record, requested changes of workflow fields) → None, or a Rejection to raise
    check: Callable[[WriteContext, dict, dict], None]
    # Other fields the check reads from the same mutation (a note a move requires); they are
    # passed along with the workflow fields but decided as usual.
    reads: tuple[str, ...] = ()


def _no_extra(_ctx: WriteContext, _values: dict) -> dict:
    return {}


def _no_update_extra(_ctx: WriteContext, _record: dict, _changes: dict) -> dict:
    return {}


def _allow(_ctx: WriteContext, _record: dict | None, _op: str) -> bool:
    return True


@dataclass
class Collection:
    name: str
    table: sa.Table
    rule: str
    # Validates what a client may send; the field names are the client-writable fields.
    schema: type[ma.Schema] | None = None
    # Fields the server fills; sent to clients, never taken from them.
    server_fields: tuple[str, ...] = ()
    audience: Callable[[dict], Audience] = lambda _record: Audience(is_public=True)
    # Server-owned values of a new record (may raise Rejection).
    prepare_create: Callable[[WriteContext, dict], dict] = _no_extra
    # Server-owned values that follow from accepted changes (may raise Rejection).
    prepare_update: Callable[[WriteContext, dict, dict], dict] = _no_update_extra
    # May this actor create/update/delete this record? (record is None for create)
    can_write: Callable[[WriteContext, dict | None, str], bool] = _allow
    workflow: Workflow | None = None
    # How a row becomes the record clients see, when not simply its fields.
    to_record: Callable[[dict], dict] | None = None
    # May a push insert consecutive creates of this collection together (one executemany,
    # no savepoint each)? Only when its create hooks never read the rows of this table that
    # the same push creates: those are written after the hooks of the whole run have run.
    batch_creates: bool = False

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown conflict rule {self.rule!r}")
        if self.rule != REFERENCE and self.schema is None:
            raise ValueError(f"collection {self.name} needs a schema of client fields")

    # Computed once: building a marshmallow schema costs more than applying a mutation,
    # and pull asks for the field names of every record it sends.
    @cached_property
    def loader(self) -> ma.Schema | None:
        """One schema instance, reused (load() keeps no state between calls)."""
        return self.schema() if self.schema else None

    @cached_property
    def client_fields(self) -> frozenset[str]:
        return frozenset(self.loader.fields) if self.loader else frozenset()

    @cached_property
    def record_fields(self) -> tuple[str, ...]:
        return tuple(sorted(self.client_fields)) + tuple(self.server_fields)

    # Statements built once and executed with parameters: building and compiling a statement
    # anew for every mutation cost more than running it.
    @cached_property
    def select_by_id(self) -> sa.Select:
        return sa.select(self.table).where(self.table.c.id == sa.bindparam("sync_record_id"))

    @cached_property
    def insert_row(self) -> sa.Insert:
        return sa.insert(self.table)

    @cached_property
    def update_by_id(self) -> sa.Update:
        """UPDATE … WHERE id = :sync_record_id; the columns set are the other parameters' keys."""
        return sa.update(self.table).where(self.table.c.id == sa.bindparam("sync_record_id"))


@dataclass
class Registry:
    collections: dict[str, Collection] = field(default_factory=dict)

    def register(self, collection: Collection) -> None:
        if collection.name in self.collections:
            raise ValueError(f"collection {collection.name} registered twice")
        self.collections[collection.name] = collection

    def get(self, name: str) -> Collection | None:
        return self.collections.get(name)

    def __iter__(self):
        return iter(self.collections.values())


def serialize_value(value: Any) -> Any:
    """A column value as JSON: UUIDs as strings, times as ISO 8601 UTC (a time as the client
    sent it, in its own zone, reads as it will once stored)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset():
            value = value.astimezone(UTC)
        return value.isoformat().replace("+00:00", "Z")
    return value
