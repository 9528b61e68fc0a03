"""Push and pull (SYNC_PROTOCOL.md): exactly once, in order, nothing lost, no gaps.

The engine works on one SQLAlchemy connection inside the caller's transaction; the
caller commits once after push() or pull() returns, so every applied mutation, its
"mid applied" mark and its change-log entry commit together.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import marshmallow as ma
import orjson
import sqlalchemy as sa

from sync.changelog import Change, LogState, SyncTables, log_changes, log_state
from sync.cursor import Cursor, CursorCodec
from sync.errors import Rejection, SyncRequestError
from sync.protocol import Mutation, parse_push, parse_uuid
from sync.records import RecordReader, to_record
from sync.registry import (
    APPEND_ONLY,
    REFERENCE,
    Actor,
    Collection,
    Registry,
    WriteContext,
    run_after_push,
    serialize_value,
)
from sync.scope import Scope

_UNREAD = object()  # a record's current row, not read yet

log = logging.getLogger(__name__)

# Errors of the database or the machine, not of one mutation: the push fails as a whole and
# the phone sends it again later. Any other error in a mutation is a bug that the same
# mutation would hit again on every retry, so that mutation alone is rejected.
TRANSIENT_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, MemoryError)
INTERNAL_ERROR = {"code": "internal_error",
                  "message": "The server failed to apply this change and logged it; "
                             "nothing of it was kept."}

ENVELOPE_FIELDS = frozenset({"id", "version", "updated_at", "created_at", "deleted",
                             "field_clock", "scope_path"})


def clock_stamp(value: datetime) -> str:
    """A fixed-width UTC time, so that stamps compare correctly as strings."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Engine:
    registry: Registry
    tables: SyncTables
    codec: CursorCodec
    max_mutations: int = 500
    max_pull_limit: int = 1000
    _readers: dict[str, RecordReader] = field(default_factory=dict, init=False, repr=False)

    # -- push ------------------------------------------------------------------------

    def push(self, conn: sa.Connection, actor: Actor, body: Any, now: datetime) -> dict:
        request = parse_push(body, max_mutations=self.max_mutations)
        client = self._claim_client(conn, request.client_id, actor, now, lock=True)
        if len(_to_apply(request.mutations, client["last_mid"])) < 2:
            return self._push(conn, actor, request, client["last_mid"], now, group=False)
        # The mutations are applied without a savepoint each (two more round trips per
        # mutation on PostgreSQL), and consecutive creates of a Collection.batch_creates
        # collection are inserted together. Should that go wrong in a way only a savepoint per
        # mutation handles (the database refuses a row, a mutation is rejected after it wrote,
        # a hook fails), everything since this savepoint is undone and the push is done again
        # the plain way, from fresh reads and a fresh hook cache.
        conn.exec_driver_sql("SAVEPOINT sync_push")
        try:
            response = self._push(conn, actor, request, client["last_mid"], now, group=True)
        except _Regroup:
            conn.exec_driver_sql("ROLLBACK TO SAVEPOINT sync_push")
            conn.exec_driver_sql("RELEASE SAVEPOINT sync_push")
            return self._push(conn, actor, request, client["last_mid"], now, group=False)
        conn.exec_driver_sql("RELEASE SAVEPOINT sync_push")
        return response

    def _push(self, conn: sa.Connection, actor: Actor, request: Any, last_mid: int,
              now: datetime, *, group: bool) -> dict:
        duplicates = [m for m in request.mutations if m.mid <= last_mid]
        stored = self._stored_results(conn, request.client_id, [m.mid for m in duplicates])
        # Each record is read once up front, not once per mutation (see _read_rows).
        duplicate_rows = self._read_rows(conn, duplicates, lock=False)
        current_rows = self._read_rows(conn, _to_apply(request.mutations, last_mid), lock=True)
        cache: dict = {}  # WriteContext.cache: what the hooks read once for the whole push
        results, changes, marks, conflicts = [], [], [], []
        # Rows of grouped creates not inserted yet, all of one collection (group mode only).
        pending: list[dict] = []
        pending_collection: Collection | None = None
        statements = _WriteCount(conn) if group else None
        try:
            for mutation in request.mutations:
                if mutation.mid <= last_mid:
                    results.append(self._duplicate(
                        mutation, stored.get(mutation.mid),
                        duplicate_rows.get((mutation.collection, mutation.id))))
                    continue
                if mutation.mid != last_mid + 1:
                    break  # a gap: the client re-sends from last_mid + 1
                # Read at most once: a later mutation of the same record reads what this one
                # wrote. (A record not read up front is read by _apply: the rows pending
                # insertion are written first, so that it finds them.)
                current = current_rows.pop((mutation.collection, mutation.id), _UNREAD)
                collection = self.registry.get(mutation.collection)
                # In a group no mutation has a savepoint of its own (see push()); consecutive
                # creates of a batch_creates collection are also inserted together.
                grouped = statements is not None
                batched = (grouped and mutation.op == "create" and current is not _UNREAD
                           and collection is not None and collection.batch_creates)
                ctx = WriteContext(conn=conn, actor=actor, now=now,
                                   client_time=mutation.client_time,
                                   client_id=request.client_id, sent_at=request.sent_at,
                                   registry=self.registry, record_id=mutation.id, cache=cache,
                                   grouped=grouped)
                if grouped:
                    if not batched:
                        self._insert_pending(conn, pending_collection, pending)
                    elif pending_collection is not collection:
                        self._insert_pending(conn, pending_collection, pending)
                        pending_collection = collection
                    before = statements.count
                    try:
                        outcome, new_changes = self._apply(ctx, mutation, current,
                                                           pending if batched else None)
                    except Rejection as rejection:
                        if statements.count != before:
                            raise _Regroup from rejection  # its writes need a savepoint to undo
                        outcome, new_changes = ({"status": "rejected",
                                                 "error": rejection.as_error()}, [])
                    except TRANSIENT_ERRORS:
                        raise
                    except Exception as error:
                        # The plain way gives the failing mutation a savepoint of its own.
                        raise _Regroup from error
                else:
                    self._insert_pending(conn, pending_collection, pending)
                    # A rejected or failing mutation rolls back only itself; an error of the
                    # database fails the whole push and the caller rolls back everything.
                    # Plain SQL, one name reused: begin_nested() compiles a new statement for
                    # each numbered savepoint, a third of a push's time.
                    conn.exec_driver_sql("SAVEPOINT sync_mutation")
                    try:
                        outcome, new_changes = self._apply(ctx, mutation, current)
                    except Rejection as rejection:
                        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT sync_mutation")
                        outcome, new_changes = ({"status": "rejected",
                                                 "error": rejection.as_error()}, [])
                    except TRANSIENT_ERRORS:
                        raise
                    except Exception:
                        # A bug (a hook's, or ours) that this mutation would hit on every
                        # retry: reject it alone, or the phone would resend the push forever.
                        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT sync_mutation")
                        log.exception("mutation %s of client %s (%s %s %s) failed; rejected as "
                                      "internal_error", mutation.mid, request.client_id,
                                      mutation.op, mutation.collection, mutation.id)
                        outcome, new_changes = {"status": "rejected", "error": INTERNAL_ERROR}, []
                    conn.exec_driver_sql("RELEASE SAVEPOINT sync_mutation")
                if outcome["status"] != "rejected":
                    conflicts.extend(ctx.conflicts)
                result = {"mid": mutation.mid, "collection": mutation.collection,
                          "id": str(mutation.id), **outcome}
                marks.append({"client_id": request.client_id, "mid": mutation.mid,
                              "created_at": now,
                              "result": {k: v for k, v in result.items() if k != "record"}})
                results.append(result)
                changes.extend(new_changes)
                last_mid = mutation.mid
            self._insert_pending(conn, pending_collection, pending)
        finally:
            if statements is not None:
                statements.close()
        if conflicts:
            # The values that lost, kept for review, in one statement (not one per mutation).
            conn.execute(self._insert_conflict, conflicts)
        if marks:
            # The "mid applied" marks, in one statement; they commit with the changes.
            conn.execute(self._insert_result, marks)
        conn.execute(self._update_client, {"client": request.client_id, "last_mid": last_mid,
                                           "last_seen_at": now})
        self._log(conn, changes, now)
        run_after_push(cache)
        return {"last_mid": last_mid, "results": results}

    @staticmethod
    def _insert_pending(conn: sa.Connection, collection: Collection | None,
                        rows: list[dict]) -> None:
        """Insert the grouped creates' rows, in mid order, in one executemany (pipelined by
        psycopg). Refused by the database (a row inserted since it was read up front), the
        push is done again the plain way, where the read finds it."""
        if not rows:
            return
        try:
            conn.execute(collection.insert_row, rows)
        except TRANSIENT_ERRORS:
            raise
        except sa.exc.DBAPIError as error:  # e.g. a row inserted since it was read up front
            raise _Regroup from error
        rows.clear()

    @cached_property
    def _insert_result(self) -> sa.Insert:
        return sa.insert(self.tables.results)

    @cached_property
    def _update_client(self) -> sa.Update:
        clients = self.tables.clients
        return sa.update(clients).where(clients.c.client_id == sa.bindparam("client"))

    def _read_rows(self, conn: sa.Connection, mutations: list[Mutation], *,
                   lock: bool) -> dict[tuple[str, uuid.UUID], dict | None]:
        """The current rows of the records these mutations name, in one query per collection
        instead of one per mutation; None for a record that does not exist (yet).

        With lock, the rows are locked for the rest of the transaction, in id order, so that
        two pushes touching the same records take their locks in the same order.
        """
        wanted: dict[str, set[uuid.UUID]] = {}
        for mutation in mutations:
            collection = self.registry.get(mutation.collection)
            if collection is not None and collection.rule != REFERENCE:
                wanted.setdefault(collection.name, set()).add(mutation.id)
        rows: dict[tuple[str, uuid.UUID], dict | None] = {}
        for name, ids in wanted.items():
            table = self.registry.get(name).table
            rows.update(((name, record_id), None) for record_id in ids)
            query = sa.select(table).where(table.c.id.in_(sorted(ids))).order_by(table.c.id)
            for row in conn.execute(query.with_for_update() if lock else query).mappings():
                rows[(name, row["id"])] = dict(row)
        return rows

    def _claim_client(self, conn: sa.Connection, client_id: uuid.UUID, actor: Actor,
                      now: datetime, *, lock: bool) -> dict:
        """The client's state, registering it to this user on first contact.

        Locked during a push, so that a retry racing the original waits and then
        finds its mutations applied.
        """
        clients = self.tables.clients
        query = sa.select(clients).where(clients.c.client_id == client_id)
        row = conn.execute(query.with_for_update() if lock else query).mappings().first()
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(clients).values(
                        client_id=client_id, user_id=actor.user_id, last_mid=0,
                        created_at=now, last_seen_at=now))
            except sa.exc.IntegrityError:
                pass  # registered by a concurrent request a moment ago
            row = conn.execute(query.with_for_update() if lock else query).mappings().first()
        if row["user_id"] != actor.user_id:
            raise SyncRequestError(403, "client_not_yours",
                                   "This client_id belongs to another user; start a new one.")
        return dict(row)

    def _stored_results(self, conn: sa.Connection, client_id: uuid.UUID,
                        mids: list[int]) -> dict[int, dict]:
        if not mids:
            return {}
        results = self.tables.results
        rows = conn.execute(sa.select(results.c.mid, results.c.result).where(
            results.c.client_id == client_id, results.c.mid.in_(mids)))
        return {row.mid: row.result for row in rows}

    def _duplicate(self, mutation: Mutation, original: dict | None, current: dict | None) -> dict:
        result = {"mid": mutation.mid, "status": "duplicate", "collection": mutation.collection,
                  "id": str(mutation.id), "original": original}
        collection = self.registry.get(mutation.collection)
        if current is not None:
            result["version"] = current["version"]
            result["record"] = self.to_record(collection, current)
        return result

    def _apply(self, ctx: WriteContext, mutation: Mutation, current: Any = _UNREAD,
               pending: list[dict] | None = None) -> tuple[dict, list[Change]]:
        """Apply one mutation; with pending, a new row is appended there instead of inserted."""
        collection = self.registry.get(mutation.collection)
        if collection is None:
            raise Rejection("unknown_collection", f"There is no collection {mutation.collection!r}.")
        if collection.rule == REFERENCE:
            raise Rejection("read_only", f"{collection.name} is reference data; it is only pulled.")
        sent = set(mutation.fields)
        server_owned = sent & (set(collection.server_fields) | ENVELOPE_FIELDS)
        if server_owned:
            raise Rejection("server_owned_field", "The server sets these fields itself.",
                            {"fields": sorted(server_owned)})
        unknown = sent - collection.client_fields
        if unknown:
            raise Rejection("unknown_field", f"{collection.name} has no such fields.",
                            {"fields": sorted(unknown)})
        if current is _UNREAD:
            current = self._load(ctx.conn, collection, mutation.id, lock=True)
        if mutation.op == "create":
            return self._create(ctx, collection, mutation, current, pending)
        if collection.rule == APPEND_ONLY:
            raise Rejection("immutable", f"{collection.name} records cannot change once made.")
        if current is None or not self._visible(ctx.actor, collection, current):
            raise Rejection("not_found", "No such record.")
        if not collection.can_write(ctx, current, mutation.op):
            raise Rejection("forbidden", "You may not change this record.")
        if mutation.op == "delete":
            return self._delete(ctx, collection, mutation, current)
        return self._update(ctx, collection, mutation, current)

    def _validate(self, collection: Collection, fields: dict, *, partial: bool) -> dict:
        try:
            return collection.loader.load(fields, partial=partial)
        except ma.ValidationError as error:
            raise Rejection("invalid_fields", "Some fields are not valid.",
                            {"fields": error.messages}) from error

    def _create(self, ctx: WriteContext, collection: Collection, mutation: Mutation,
                current: dict | None, pending: list[dict] | None = None,
                ) -> tuple[dict, list[Change]]:
        values = self._validate(collection, mutation.fields, partial=False)
        if current is not None:
            # The same create again (a retry from a reinstalled outbox) changes nothing.
            if not current.get("deleted") and all(current.get(k) == v for k, v in values.items()):
                return ({"status": "applied", "version": current["version"],
                         "record": self.to_record(collection, current)}, [])
            raise Rejection("id_taken", "Another record already has this id.")
        if not collection.can_write(ctx, None, "create"):
            raise Rejection("forbidden", f"You may not create {collection.name} records.")
        stamp = [1, clock_stamp(ctx.client_time), str(ctx.client_id)]
        row = {**values, **collection.prepare_create(ctx, values), "id": mutation.id, "version": 1,
               "created_at": ctx.now, "updated_at": ctx.now, "deleted": False,
               "field_clock": {name: stamp for name in values}}
        _fill_defaults(collection.table, row)
        audience = collection.audience(row)
        row["scope_path"] = audience.scope_path
        if pending is None:
            ctx.conn.execute(collection.insert_row, row)
        else:
            pending.append(row)
        record = self.to_record(collection, row)
        return ({"status": "applied", "version": 1, "record": record},
                [Change(collection.name, mutation.id, 1, False, audience, is_new=True,
                        entry=self._entry(collection.name, 1, record))])

    def _update(self, ctx: WriteContext, collection: Collection, mutation: Mutation,
                current: dict) -> tuple[dict, list[Change]]:
        values = self._validate(collection, mutation.fields, partial=True)
        if current["deleted"]:
            conflict = self._conflict(ctx, collection, mutation, current, kind="delete_wins",
                                      losing=_jsonable(values), winning=None,
                                      reason="The record was deleted; delete wins.")
            return ({"status": "merged", "version": current["version"],
                     "record": self.tombstone(collection, current), "conflict": [conflict]}, [])
        base = mutation.base_version
        if base > current["version"]:
            raise Rejection("bad_base_version",
                            f"base_version {base} is newer than the record ({current['version']}).")
        me = str(ctx.client_id)
        clock = current.get("field_clock") or {}
        stale = _changed_by_others(current, base, me)
        applied, conflicts, refused = {}, [], {}
        workflow_fields = collection.workflow.fields if collection.workflow else ()
        transitions = {k: v for k, v in values.items() if k in workflow_fields and v != current[k]}
        if transitions:
            try:
                read = {k: values[k] for k in collection.workflow.reads if k in values}
                collection.workflow.check(ctx, current, {**read, **transitions})
                applied.update(transitions)
            except Rejection as rejection:
                if set(values) <= set(workflow_fields):
                    raise Rejection(rejection.code, rejection.message, {
                        **rejection.details, "current": {k: serialize_value(current[k])
                                                         for k in workflow_fields}}) from None
                for name, value in transitions.items():
                    refused[name] = rejection.as_error()
                    conflicts.append(self._conflict(
                        ctx, collection, mutation, current, kind="workflow", field=name,
                        losing=_jsonable(value), winning=serialize_value(current[name]),
                        reason=rejection.message))
        mine = (clock_stamp(ctx.client_time), me)
        for name, value in values.items():
            if name in workflow_fields or value == current[name]:
                continue
            stamp = clock.get(name)
            if not (stamp and stamp[0] > base and stamp[2] != me):
                applied[name] = value  # the server has not touched it since the client's base
                continue
            client_wins = mine > (stamp[1], stamp[2])
            if client_wins:
                applied[name] = value
            conflicts.append(self._conflict(
                ctx, collection, mutation, current, kind="field", field=name,
                losing=serialize_value(current[name]) if client_wins else _jsonable(value),
                winning=_jsonable(value) if client_wins else serialize_value(current[name]),
                reason="Both sides changed this field; the later edit wins."))
        status = "merged" if (stale or conflicts or refused) else "applied"
        extra = {"conflict": conflicts} if conflicts else {}
        if refused:
            extra["refused_fields"] = refused
        if not applied:
            return ({"status": status, "version": current["version"],
                     "record": self.to_record(collection, current), **extra}, [])
        version = current["version"] + 1
        new_clock = {**clock, **{name: [version, *mine] for name in applied}}
        changes = {**applied, **collection.prepare_update(ctx, current, applied)}
        row = {**current, **changes, "version": version, "updated_at": ctx.now,
               "field_clock": new_clock}
        audience = collection.audience(row)
        ctx.conn.execute(collection.update_by_id, {
            **changes, "version": version, "updated_at": ctx.now, "field_clock": new_clock,
            "scope_path": audience.scope_path, "sync_record_id": current["id"]})
        record = self.to_record(collection, row)
        return ({"status": status, "version": version, "record": record, **extra},
                [Change(collection.name, current["id"], version, False, audience,
                        entry=self._entry(collection.name, version, record))])

    def _delete(self, ctx: WriteContext, collection: Collection, mutation: Mutation,
                current: dict) -> tuple[dict, list[Change]]:
        if current["deleted"]:
            return ({"status": "applied", "version": current["version"],
                     "record": self.tombstone(collection, current)}, [])
        if mutation.base_version > current["version"]:
            raise Rejection("bad_base_version", "base_version is newer than the record.")
        conflicts = []
        if _changed_by_others(current, mutation.base_version, str(ctx.client_id)):
            # Delete wins, but the edits the deleting client never saw are kept for review.
            conflicts.append(self._conflict(
                ctx, collection, mutation, current, kind="delete_wins",
                losing=self.to_record(collection, current), winning=None,
                reason="Deleted on a stale version; the edits it never saw are kept here."))
        version = current["version"] + 1
        ctx.conn.execute(collection.update_by_id, {
            "deleted": True, "version": version, "updated_at": ctx.now,
            "sync_record_id": current["id"]})
        row = {**current, "deleted": True, "version": version, "updated_at": ctx.now}
        result = {"status": "merged" if conflicts else "applied", "version": version,
                  "record": self.tombstone(collection, row)}
        if conflicts:
            result["conflict"] = conflicts
        return result, [Change(collection.name, current["id"], version, True,
                               collection.audience(current))]

    def _conflict(self, ctx: WriteContext, collection: Collection, mutation: Mutation,
                  current: dict, *, kind: str, losing: Any, winning: Any, reason: str,
                  field: str | None = None) -> dict:
        audience = collection.audience(current)
        conflict_id = uuid.uuid4()
        ctx.conflicts.append(dict(
            id=conflict_id, collection=collection.name, record_id=current["id"], kind=kind,
            field=field, losing_value=losing, winning_value=winning, client_id=ctx.client_id,
            user_id=ctx.actor.user_id, mid=mutation.mid, base_version=mutation.base_version,
            server_version=current["version"], scope_path=audience.scope_path,
            owner_id=audience.owner_id, reason=reason, created_at=ctx.now))
        return {"id": str(conflict_id), "kind": kind, "field": field, "losing_value": losing,
                "winning_value": winning}

    @cached_property
    def _insert_conflict(self) -> sa.Insert:
        return sa.insert(self.tables.conflicts)

    # -- records -----------------------------------------------------------------------

    def _load(self, conn: sa.Connection, collection: Collection, record_id: uuid.UUID,
              *, lock: bool = False) -> dict | None:
        query = collection.select_by_id.with_for_update() if lock else collection.select_by_id
        row = conn.execute(query, {"sync_record_id": record_id}).mappings().first()
        return dict(row) if row else None

    def _visible(self, actor: Actor, collection: Collection, record: dict) -> bool:
        audience = collection.audience(record)
        return actor.scope.covers(audience.scope_path, audience.owner_id, audience.is_public)

    def to_record(self, collection: Collection, row: dict) -> dict:
        return to_record(collection, row)

    def tombstone(self, _collection: Collection, row: dict) -> dict:
        return {"id": str(row["id"]), "version": row["version"], "deleted": True,
                "updated_at": serialize_value(row["updated_at"])}

    # -- pull ----------------------------------------------------------------------------

    def pull(self, conn: sa.Connection, actor: Actor, client_id: Any, cursor_token: str | None,
             limit: int, now: datetime) -> dict:
        """The next page of changes (SYNC_PROTOCOL.md "Pull"): pull_body, decoded."""
        return orjson.loads(self.pull_body(conn, actor, client_id, cursor_token, limit, now))

    def pull_body(self, conn: sa.Connection, actor: Actor, client_id: Any,
                  cursor_token: str | None, limit: int, now: datetime) -> bytes:
        """The next page of changes as the JSON an answer carries: each live record's stored
        entry joined in as it is (log_changes stored it), the rest built here."""
        client_uuid = parse_uuid(client_id, "client_id")
        client = self._claim_client(conn, client_uuid, actor, now, lock=False)
        if not 1 <= limit <= self.max_pull_limit:
            raise SyncRequestError(400, "bad_limit", f"limit must be 1–{self.max_pull_limit}.")
        state = log_state(conn, self.tables)
        signature = actor.scope.signature()
        if cursor_token is None:
            cursor = Cursor(seq=0, snapshot=state.top, scope=signature, user=str(actor.user_id),
                            client=str(client_uuid))
        else:
            cursor = self.codec.decode(cursor_token)
            if cursor is None or not cursor.user:
                raise SyncRequestError(410, "cursor_unknown", "This cursor is not ours; pull from scratch.")
            if cursor.user != str(actor.user_id) or cursor.client != str(client_uuid):
                # Replayed by someone else it would tell them about records of its owner's
                # scope (the ids that leave it, at least).
                raise SyncRequestError(403, "cursor_not_yours",
                                       "This cursor belongs to another user or app install.")
            if cursor.leaving is None and max(cursor.seq, cursor.snapshot) < state.horizon:
                raise SyncRequestError(410, "cursor_expired",
                                       "Changes this old were compacted; pull from scratch.")
        if cursor.scope != signature:
            # The user's scope changed: first remove what they may no longer see.
            cursor = replace(cursor, seq=0, snapshot=0, scope=signature,
                             leaving=cursor.leaving or cursor.scope)
        if cursor.leaving is not None:
            page, cursor, has_more = self._leave_scope(conn, actor, cursor, limit, state.top)
        else:
            page, cursor, has_more = self._changes(conn, actor.scope, cursor, limit, state)
        return orjson.dumps({"changes": page, "cursor": self.codec.encode(cursor),
                             "has_more": has_more, "last_mid": client["last_mid"]})

    def _leave_scope(self, conn: sa.Connection, actor: Actor, cursor: Cursor, limit: int,
                     top: int) -> tuple[list[dict], Cursor, bool]:
        changes = self.tables.changes
        old = Scope.from_signature(actor.user_id, cursor.leaving)
        rows = conn.execute(
            sa.select(changes.c.collection, changes.c.record_id, changes.c.seq, changes.c.version)
            .where(changes.c.seq > cursor.seq, changes.c.deleted.is_(False),
                   old.clause(changes), sa.not_(actor.scope.clause(changes)))
            .order_by(changes.c.seq).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        page = [{"collection": r.collection, "id": str(r.record_id), "version": r.version,
                 "deleted": True, "reason": "scope"} for r in rows]
        if more:
            return page, replace(cursor, seq=rows[-1].seq), True
        # Done leaving: a snapshot of the new scope follows.
        return page, replace(cursor, seq=0, snapshot=top, leaving=None), True

    def _changes(self, conn: sa.Connection, scope: Scope, cursor: Cursor, limit: int,
                 state: LogState) -> tuple[list[dict | orjson.Fragment], Cursor, bool]:
        changes = self.tables.changes
        # Only up to the seq read with the counter: everything at or below it has committed,
        # so that the changes and the departures read below are of the same moment, and no
        # departure is passed over by a cursor moved on by a change that committed after it.
        rows = conn.execute(
            sa.select(changes.c.collection,
                      # Only where there is no entry (it has the id): turning a thousand ids
                      # into UUIDs cost more than the rest of a page.
                      sa.case((changes.c.entry.is_(None), changes.c.record_id)).label("record_id"),
                      changes.c.seq, changes.c.version, changes.c.deleted, changes.c.entry)
            .where(changes.c.seq > cursor.seq, changes.c.seq <= state.top, scope.clause(changes),
                   # A tombstone from before this snapshot began is no news to its client.
                   sa.not_(sa.and_(changes.c.deleted.is_(True), changes.c.seq <= cursor.snapshot)))
            .order_by(changes.c.seq).limit(limit + 1)).all()
        # Departures are rare: the counter says whether any is new to this cursor, so that a
        # pull reads the departures table only then.
        since = max(cursor.seq, cursor.snapshot)
        departures = self._departures(conn, scope, since, state.top, limit) \
            if state.departed > since and not scope.everything else []
        if departures:
            # Both are in seq order and the first limit + 1 of each were read: the first
            # limit + 1 of the two merged are the first of all.
            rows = sorted([*rows, *departures], key=lambda row: row.seq)[:limit + 1]
        more = len(rows) > limit
        rows = rows[:limit]
        # A live record logged without its entry (before entries were stored) is read.
        stored = self._read_entries(conn, [
            (collection, record_id) for collection, record_id, _seq, _version, deleted, entry
            in rows if entry is None and deleted is not None and not deleted])
        known = self.registry.collections
        page: list[dict | orjson.Fragment] = []
        append = page.append
        # Tuples, not rows by name: a page is a thousand of them.
        for collection, record_id, _seq, version, deleted, entry in rows:
            if collection not in known:
                continue
            if deleted is None:  # a departure
                append({"collection": collection, "id": str(record_id), "version": version,
                        "deleted": True, "reason": "scope"})
                continue
            if entry is None and not deleted:  # logged without its entry: read from its row
                version, entry = stored.get((collection, record_id), (version, None))
            if deleted or entry is None:
                append({"collection": collection, "id": str(record_id), "version": version,
                        "deleted": True})
            else:
                append(orjson.Fragment(entry))
        next_cursor = replace(cursor, seq=rows[-1].seq) if rows else cursor
        return page, next_cursor, more

    def _departures(self, conn: sa.Connection, scope: Scope, since: int, top: int,
                    limit: int) -> list:
        """Records that left this scope after `since`: their old audience is in it and their
        audience now is not. A record that came back (or whose new audience this scope also
        covers) is not gone: its change in the log, later than the departure, brings it."""
        departures, changes = self.tables.departures, self.tables.changes
        query = (sa.select(departures.c.collection, departures.c.record_id, departures.c.seq,
                           departures.c.version, sa.null().label("deleted"),
                           sa.null().label("entry"))
                 .select_from(departures.outerjoin(changes, sa.and_(
                     changes.c.collection == departures.c.collection,
                     changes.c.record_id == departures.c.record_id)))
                 .where(departures.c.seq > since, departures.c.seq <= top,
                        scope.clause(departures), sa.not_(scope.clause(changes)))
                 .order_by(departures.c.seq).limit(limit + 1))
        return conn.execute(query).all()

    # -- changes made on the server -------------------------------------------------------

    def apply_server_change(self, conn: sa.Connection, collection_name: str,
                            record_id: uuid.UUID, changes: dict, now: datetime, *,
                            undelete: bool = False) -> dict:
        """Change a record as the server (a conflict resolution, a computed field).

        It is an ordinary change: new version, new seq, pulled by every client that
        may see the record.
        """
        collection = self.registry.get(collection_name)
        current = self._load(conn, collection, record_id, lock=True)
        if current is None:
            raise Rejection("not_found", "No such record.")
        version = current["version"] + 1
        stamp = [version, clock_stamp(now), "server"]
        clock = {**(current.get("field_clock") or {}), **{name: stamp for name in changes}}
        values = {**changes, "version": version, "updated_at": now, "field_clock": clock}
        if undelete:
            values["deleted"] = False
        row = {**current, **values}
        audience = collection.audience(row)
        values["scope_path"] = audience.scope_path
        conn.execute(sa.update(collection.table).where(collection.table.c.id == record_id)
                     .values(**values))
        self._log(conn, [Change(collection.name, record_id, version, bool(row.get("deleted")),
                                audience)], now)
        return self.to_record(collection, row)

    def touch(self, conn: sa.Connection, collection_name: str, record_ids: list[uuid.UUID],
              now: datetime) -> None:
        """The server changed these records itself: new versions, logged for pull."""
        collection = self.registry.get(collection_name)
        table = collection.table
        if not record_ids:
            return
        conn.execute(sa.update(table).where(table.c.id.in_(record_ids))
                     .values(version=table.c.version + 1, updated_at=now))
        rows = [dict(row) for row in conn.execute(
            sa.select(table).where(table.c.id.in_(record_ids))).mappings()]
        self._log(conn, [
            Change(collection.name, row["id"], row["version"], bool(row.get("deleted")),
                   collection.audience(row),
                   entry=None if row.get("deleted") else self._entry(
                       collection.name, row["version"], self.to_record(collection, row)))
            for row in rows], now)

    def log_external(self, conn: sa.Connection, changes: list[Change], now: datetime) -> None:
        """Log changes to records a feature writes itself (reference data such as regions)."""
        self._log(conn, changes, now)

    def store_entries(self, conn: sa.Connection, keys: list[tuple[str, uuid.UUID]]) -> int:
        """Store the entries of these logged live records again, read as they are now, under
        the seqs they have (no new change): for changes logged before entries were stored.
        Returns how many were stored."""
        log = self.tables.changes
        rows = [{"c": name, "r": record_id, "new_entry": entry, "new_version": version}
                for (name, record_id), (version, entry) in self._read_entries(conn, keys).items()]
        if rows:
            conn.execute(sa.update(log).where(
                log.c.collection == sa.bindparam("c"), log.c.record_id == sa.bindparam("r"),
                log.c.deleted.is_(False)).values(entry=sa.bindparam("new_entry"),
                                                 version=sa.bindparam("new_version")), rows)
        return len(rows)

    def _log(self, conn: sa.Connection, changes: list[Change], now: datetime) -> None:
        log_changes(conn, self.tables, changes, now, self._entries)

    @staticmethod
    def _entry(name: str, version: int, record: dict) -> str:
        return orjson.dumps({"collection": name, "id": record["id"], "version": version,
                             "record": record}).decode()

    def _entries(self, conn: sa.Connection, changes: dict[tuple[str, uuid.UUID], Change],
                 ) -> dict[tuple[str, uuid.UUID], tuple[int, str | None]]:
        """(version, entry) of the records of these changes as they are now (log_changes
        stores them). A change that carries its entry (its writer had the record at hand: a
        push, a touch) keeps it when its record is still at that version, which costs a read
        of versions only; any other is read whole (a server-side change, whose values may not
        be as they read back once stored, reference data a feature wrote, or a record
        something wrote again since)."""
        carried: dict[str, dict[uuid.UUID, Change]] = {}
        for (name, record_id), change in changes.items():
            if change.entry is not None and self.registry.get(name) is not None:
                carried.setdefault(name, {})[record_id] = change
        found = {}
        for name, by_id in carried.items():
            table = self.registry.get(name).table
            ids = list(by_id)
            for start in range(0, len(ids), self.max_pull_limit):
                for record_id, version in conn.execute(
                        sa.select(table.c.id, table.c.version)
                        .where(table.c.id.in_(ids[start:start + self.max_pull_limit]))):
                    if version == by_id[record_id].version:
                        found[(name, record_id)] = (version, by_id[record_id].entry)
        rest = [key for key in changes if key not in found]
        return {**found, **self._read_entries(conn, rest)} if rest else found

    def _read_entries(self, conn: sa.Connection, keys: list[tuple[str, uuid.UUID]],
                      ) -> dict[tuple[str, uuid.UUID], tuple[int, str | None]]:
        """(version, entry or None if deleted) of these records, read as they are now."""
        wanted: dict[str, list[uuid.UUID]] = {}
        for name, record_id in keys:
            wanted.setdefault(name, []).append(record_id)
        found = {}
        for name, ids in wanted.items():
            reader = self._reader(name)
            if reader is None:
                continue
            for start in range(0, len(ids), self.max_pull_limit):
                for record_id, version, record in reader.read(conn, ids[start:start + self.max_pull_limit]):
                    found[(name, record_id)] = (
                        version, None if record is None else self._entry(name, version, record))
        return found

    def _reader(self, name: str) -> RecordReader | None:
        reader = self._readers.get(name)
        if reader is None:
            collection = self.registry.get(name)
            if collection is None:
                return None
            reader = self._readers[name] = RecordReader(collection)
        return reader


class _Regroup(Exception):  # noqa: N818 (not an error: a signal to push the plain way)
    """Grouped creates need the plain way after all (Engine.push)."""


class _WriteCount:
    """How many statements that may have changed something the connection has run since this
    was made (until close()): all but plain reads, which leave nothing a rejected mutation
    would have to undo (a lock taken by a read is released with the rest at the end)."""

    def __init__(self, conn: sa.Connection) -> None:
        self.count = 0
        self._conn = conn
        sa.event.listen(conn, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        head = statement.lstrip()[:6].upper()
        if head != "SELECT" or "pg_notify" in statement:
            self.count += 1

    def close(self) -> None:
        sa.event.remove(self._conn, "before_cursor_execute", self._seen)


def _to_apply(mutations: tuple[Mutation, ...], last_mid: int) -> list[Mutation]:
    """The mutations a push will apply: those after last_mid, up to a gap."""
    run: list[Mutation] = []
    for mutation in mutations:
        if mutation.mid <= last_mid:
            continue
        if mutation.mid != last_mid + len(run) + 1:
            break
        run.append(mutation)
    return run


def _changed_by_others(current: dict, base: int, client_id: str) -> bool:
    """Did anyone but this client change the record since `base`? A client's own earlier
    mutations applied before this one (mid order), so they are no news to it: two offline
    edits of one field, or an edit then a delete, are not a conflict with itself."""
    return base < current["version"] and any(
        stamp[0] > base and stamp[2] != client_id
        for stamp in (current.get("field_clock") or {}).values())


def _fill_defaults(table: sa.Table, row: dict) -> None:
    """Put the columns' own defaults in, so the record we answer with is the one stored."""
    for column in table.columns:
        if column.name not in row:
            default = column.default
            row[column.name] = default.arg if default is not None and default.is_scalar else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return serialize_value(value)
