"""Sync for the app: push, pull and conflicts on the request's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy import delete, func, select, update

from backend.audit import services as audit
from backend.common.auth import RegionScope
from backend.common.paging import Page, paginate
from backend.common.time import utcnow
from backend.errors import AppError, BadRequest, Conflict, Forbidden, Gone, Invalid, NotFound, PayloadTooLarge
from backend.extensions import db
from backend.sync_adapter.models import SyncChange, SyncConflict, SyncCounter, SyncDeparture, SyncResult
from backend.sync_adapter.registry import engine, push_listeners
from sync.changelog import Change
from sync.errors import Rejection, SyncRequestError
from sync.registry import Actor, Audience, WriteContext
from sync.scope import Scope

_ERRORS = {400: BadRequest, 403: Forbidden, 404: NotFound, 410: Gone, 413: PayloadTooLarge,
           422: Invalid}


def actor_for(user) -> Actor:
    scope = RegionScope.for_user(user)
    return Actor(user_id=user.id, roles=frozenset(user.role_names),
                 scope=Scope(user_id=user.id, everything=scope.everything,
                             path_prefix=scope.path_prefix),
                 home_path=user.region.path if user.region else None)


def _app_error(error: SyncRequestError) -> AppError:
    return _ERRORS.get(error.status, BadRequest)(error.message, code=error.code,
                                                  details=error.details)


def push(user, body: Any) -> dict:
    """Apply a batch of mutations (SYNC_PROTOCOL.md "Push"); one transaction."""
    try:
        result = engine().push(db.session.connection(), actor_for(user), body, utcnow())
    except SyncRequestError as error:
        raise _app_error(error) from error
    _tell_push_listeners(result["results"])
    db.session.commit()
    return result


def _tell_push_listeners(results: list[dict]) -> None:
    """Each collection's listeners (registry.on_push) get the ids of its records the push
    applied or merged, in the push's transaction."""
    listeners = push_listeners()
    changed: dict[str, list[uuid.UUID]] = {}
    for result in results:
        if result.get("collection") in listeners and result.get("status") in ("applied", "merged"):
            changed.setdefault(result["collection"], []).append(uuid.UUID(result["id"]))
    for collection, ids in changed.items():
        for listener in listeners[collection]:
            listener(ids)


def pull(user, client_id: str, cursor: str | None, limit: int) -> bytes:
    """The next page of changes in the user's scope (SYNC_PROTOCOL.md "Pull"), as JSON."""
    try:
        result = engine().pull_body(db.session.connection(), actor_for(user), client_id,
                                    cursor, limit, utcnow())
    except SyncRequestError as error:
        raise _app_error(error) from error
    db.session.commit()  # a first pull registers the client
    return result


# -- changes the server makes ---------------------------------------------------------

def touch_records(collection: str, record_ids: list[uuid.UUID], *,
                  conn: sa.Connection | None = None, now: datetime | None = None) -> None:
    """Log a server-side change of these records (new version, new seq) in the caller's
    transaction, so that every client that may see them pulls them again. A hook that runs
    inside a push passes the push's connection and time."""
    if conn is None:
        db.session.flush()
        conn = db.session.connection()
    engine().touch(conn, collection, record_ids, now or utcnow())


def change_record(conn: sa.Connection, collection: str, record_id: uuid.UUID, changes: dict,
                  now: datetime) -> None:
    """Write server-owned fields of one record as a synced change (a new version that the
    phones pull), on this connection: e.g. a track's figures at the end of a push."""
    engine().apply_server_change(conn, collection, record_id, changes, now)


def log_reference_changes(collection: str, rows: list[tuple[uuid.UUID, int, bool, Audience]]) -> None:
    """Log changes to reference data a feature writes itself (regions, categories, halls)."""
    db.session.flush()
    engine().log_external(db.session.connection(), [
        Change(collection, record_id, version, deleted, audience)
        for record_id, version, deleted, audience in rows], utcnow())


def store_missing_entries(batch: int = 1000) -> int:
    """Store the JSON of every live record whose last change was logged without it (before
    the log kept entries), one transaction per batch; returns how many. Pull reads such
    records from their tables meanwhile, so this may run while the server serves."""
    stored, after = 0, 0
    while True:
        rows = db.session.execute(
            select(SyncChange.seq, SyncChange.collection, SyncChange.record_id)
            .where(SyncChange.entry.is_(None), SyncChange.deleted.is_(False),
                   SyncChange.seq > after)
            .order_by(SyncChange.seq).limit(batch)).all()
        if not rows:
            return stored
        # A record that no longer exists keeps no entry: pull serves its tombstone.
        stored += engine().store_entries(db.session.connection(),
                                         [(row.collection, row.record_id) for row in rows])
        db.session.commit()
        after = rows[-1].seq


# -- conflicts ------------------------------------------------------------------------

def _conflict_filter(scope: RegionScope, user):
    if scope.everything:
        return None
    return scope.filter(SyncConflict.scope_path) | (SyncConflict.owner_id == user.id)


def list_conflicts(user, *, resolved: bool | None = False, collection: str | None = None,
                   record_id: uuid.UUID | None = None, page: int = 1, per_page: int = 50) -> Page:
    query = select(SyncConflict).order_by(SyncConflict.created_at.desc())
    visible = _conflict_filter(RegionScope.for_user(user), user)
    if visible is not None:
        query = query.where(visible)
    if resolved is not None:
        query = query.where(SyncConflict.resolved_at.is_not(None) if resolved
                            else SyncConflict.resolved_at.is_(None))
    if collection:
        query = query.where(SyncConflict.collection == collection)
    if record_id:
        query = query.where(SyncConflict.record_id == record_id)
    return paginate(query, page, per_page)


def resolve_conflict(user, conflict_id: uuid.UUID, decision: str) -> SyncConflict:
    """Accept what won, or restore what lost — the latter as an ordinary, synced change."""
    conflict = db.session.get(SyncConflict, conflict_id, with_for_update=True)
    scope = RegionScope.for_user(user)
    if conflict is None or not (scope.everything or scope.covers(conflict.scope_path)):
        raise NotFound("No such conflict.")
    if conflict.resolved_at is not None:
        raise Conflict("This conflict was already resolved.", code="already_resolved")
    if decision == "restore":
        _restore(user, conflict)
    conflict.resolved_at, conflict.resolved_by, conflict.resolution = utcnow(), user.id, decision
    audit.record(audit.CONFLICT_RESTORED if decision == "restore" else audit.CONFLICT_ACCEPTED,
                 actor=user, target=("conflict", conflict.id), details={
                     "collection": conflict.collection, "record_id": str(conflict.record_id),
                     "kind": conflict.kind, "field": conflict.field})
    db.session.commit()
    return conflict


def _restore(user, conflict: SyncConflict) -> None:
    collection = engine().registry.get(conflict.collection)
    losing = conflict.losing_value
    if conflict.kind == "delete_wins":
        fields = {k: v for k, v in (losing or {}).items() if k in collection.client_fields}
    else:
        fields = {conflict.field: losing}
    try:
        changes = collection.loader.load(fields, partial=True)
    except ma.ValidationError as error:
        raise Conflict("The losing value no longer fits the record.", code="cannot_restore",
                       details={"fields": error.messages}) from error
    record = db.session.execute(select(collection.table).where(
        collection.table.c.id == conflict.record_id)).mappings().first()
    now = utcnow()
    if conflict.kind == "workflow" and collection.workflow:
        ctx = WriteContext(conn=db.session.connection(), actor=actor_for(user), now=now,
                           client_time=now, client_id=uuid.UUID(int=0), registry=engine().registry)
        try:
            collection.workflow.check(ctx, dict(record), changes)
        except Rejection as error:
            raise Conflict(error.message, code=error.code) from error
        # What follows from the move (a report's timeline entry), as for a pushed change.
        changes = {**changes, **collection.prepare_update(ctx, dict(record), changes)}
    try:
        engine().apply_server_change(db.session.connection(), conflict.collection,
                                     conflict.record_id, changes, now,
                                     undelete=conflict.kind == "delete_wins")
    except Rejection as error:
        raise NotFound(error.message, code=error.code) from error


# -- retention --------------------------------------------------------------------------

def compact(retention_days: int) -> dict:
    """Forget tombstones, departures and per-mutation results older than the retention period.

    Clients whose cursor is older than the newest forgotten tombstone or departure get 410
    and re-snapshot (their outbox stays). Client rows themselves are kept: their last_mid
    is what makes a very late retry a duplicate rather than a second apply.
    """
    horizon_time = utcnow() - timedelta(days=retention_days)
    old_tombstones = (SyncChange.deleted.is_(True)) & (SyncChange.changed_at <= horizon_time)
    horizon = db.session.scalar(select(func.max(SyncChange.seq)).where(old_tombstones))
    removed = db.session.execute(delete(SyncChange).where(old_tombstones)).rowcount
    old_departures = SyncDeparture.changed_at <= horizon_time
    departed = db.session.scalar(select(func.max(SyncDeparture.seq)).where(old_departures))
    departures = db.session.execute(delete(SyncDeparture).where(old_departures)).rowcount
    if departed is not None and (horizon is None or departed > horizon):
        horizon = departed
    if horizon is not None:
        db.session.execute(update(SyncCounter).where(SyncCounter.id == 1, SyncCounter.horizon_seq < horizon)
                           .values(horizon_seq=horizon))
    results = db.session.execute(delete(SyncResult).where(SyncResult.created_at <= horizon_time)).rowcount
    db.session.commit()
    return {"tombstones": removed, "departures": departures, "results": results,
            "horizon_seq": horizon}
