"""Live updates: events published inside a writing transaction, delivered when it commits,
fanned out by one listener thread per process to that process's streams.

How an event leaves the transaction that published it (LIVE_BROKER, "auto" by default):
- PostgreSQL: `pg_notify` on the transaction's own connection. The database delivers it to
  every listening process when the transaction commits, and never when it rolls back, so
  there is no window between the commit and the publish in which a crash loses it. When
  the database is PostgreSQL this wins over Redis: it needs nothing else and is exact.
- Redis (REDIS_URL on SQLite, or LIVE_BROKER=redis, e.g. behind a pooler that cannot
  LISTEN): PUBLISH right after the commit; a rolled-back transaction publishes nothing.
- Otherwise this process only, right after the commit: the embedded default, served by one
  gunicorn worker (`make run` on SQLite).

A stream gets only what its reader may see: for case events the rule of
incidents.cases.visible_to, applied to the event (Viewer.may_see); for a service hall's
events (numbers called, queues moving, supervision alerts: nothing personal) everyone
watching that hall (HallViewer). A stream sends only its event type's public fields.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time as clock
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from backend.common.auth import ADMIN, CITIZEN, DEPARTMENT, SUPERVISOR, WORKER
from backend.common.settings import app_state, setting
from backend.extensions import db

log = logging.getLogger(__name__)

# Who may hold a stream: whoever reads cases (incidents.cases.CASE_READERS; a test keeps
# the two equal, as live may not import incidents, which publishes through it).
READERS = (ADMIN, SUPERVISOR, WORKER, DEPARTMENT, CITIZEN)
BROKERS = ("auto", "postgresql", "redis", "local")
# What a stream sends of an event, per type; the other fields only decide who gets it.
PUBLIC_FIELDS = {
    "case": ("type", "id", "code", "status", "version", "overdue", "at"),
    "hall": ("type", "id", "kind", "number", "window", "service_id", "waiting", "alert", "at"),
}
# Events waiting for one stream to send them; a reader this far behind is told to reload.
QUEUE_SIZE = 256
# How long a new stream waits for its process's listener to be listening.
LISTEN_WAIT_S = 5.0
_OUTBOX = "civicgrid.live.outbox"
_STATE = "civicgrid.live"
_CHANNEL_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


# -- publishing -------------------------------------------------------------------------

def publish(event: dict) -> None:
    """Send `event` ({"type", "id", …}) to the streams once this session's transaction
    commits; nothing if it rolls back. The same (type, id) twice in one transaction goes out
    once, as it was last published."""
    publish_all([event])


def publish_all(events: list[dict]) -> None:
    """publish() each of these, in order; on PostgreSQL in one statement (a push of 500 new
    cases made 500 round trips)."""
    if not events:
        return
    live = current()
    if live.transport.transactional:
        live.transport.send_in_transaction(db.session.connection(), events)
    else:
        outbox = db.session.info.setdefault(_OUTBOX, {})
        for event in events:
            outbox[(event["type"], event["id"])] = event


_watching = threading.Lock()
_watched: list[bool] = []


def watch_sessions() -> None:
    """Hook the session's commit and end (once per process, for every app)."""
    with _watching:
        if _watched:
            return
        sa_event.listen(Session, "after_commit", _after_commit)
        sa_event.listen(Session, "after_transaction_end", _after_transaction_end)
        _watched.append(True)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the transaction may still roll back
    events = session.info.pop(_OUTBOX, None)
    if not events:
        return
    try:
        current().transport.send(list(events.values()))
    except Exception:  # the change is committed; a lost event only delays a console's redraw
        log.warning("live: %d event(s) not sent", len(events), exc_info=True)


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_OUTBOX, None)  # rolled back (a commit took them already)


# -- who sees what ----------------------------------------------------------------------

@dataclass(frozen=True)
class Viewer:
    """A stream's reader, fixed when it opens (the stream lives minutes, not longer)."""

    user_id: str
    everything: bool = False
    region_path: str | None = None
    department_id: str | None = None

    @classmethod
    def of(cls, user) -> Viewer:
        roles = user.role_names
        if ADMIN in roles:
            return cls(user_id=str(user.id), everything=True)
        region = user.region.path if roles & {SUPERVISOR, WORKER} and user.region else None
        department = (str(user.department_id)
                      if DEPARTMENT in roles and user.department_id is not None else None)
        return cls(user_id=str(user.id), region_path=region, department_id=department)

    def may_see(self, event: dict) -> bool:
        """incidents.cases.visible_to, on an event: a supervisor's or worker's region, a
        department's dispatched cases, one's own reports, cases sent back to oneself and
        cases one follows (one's report was merged into them)."""
        if event.get("type") != "case":
            return False
        if self.everything:
            return True
        if self.user_id in (event.get("reporter_id"), event.get("assignee_id")):
            return True
        if self.user_id in (event.get("follower_ids") or ()):
            return True
        if self.region_path and (event.get("scope_path") or "").startswith(self.region_path):
            return True
        return self.department_id is not None and event.get("department_id") == self.department_id


@dataclass(frozen=True)
class HallViewer:
    """Whoever watches one service hall: its display, a citizen's ticket page, the clerk's
    and the manager's consoles. Hall events carry nothing personal."""

    hall_id: str

    def may_see(self, event: dict) -> bool:
        return event.get("type") == "hall" and event.get("id") == self.hall_id


# -- one process's streams --------------------------------------------------------------

class Subscription:
    """One open stream's queue of events its reader may see."""

    def __init__(self, viewer: Viewer | HallViewer, size: int = QUEUE_SIZE):
        self.viewer = viewer
        self.events: queue.Queue[dict] = queue.Queue(size)
        self.lost = False  # events were dropped: the reader must reload

    def offer(self, event: dict) -> None:
        if event.get("type") != "resync" and not self.viewer.may_see(event):
            return
        try:
            self.events.put_nowait(event)
        except queue.Full:
            self.lost = True


class Hub:
    """The streams of this process."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()

    def add(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.add(subscription)

    def remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def __len__(self) -> int:
        return len(self._subscriptions)

    def dispatch(self, event: dict) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.offer(event)


# -- transports -------------------------------------------------------------------------

class LocalTransport:
    """This process only: the commit hands its events straight to the hub."""

    transactional = False
    needs_listener = False

    def __init__(self, hub: Hub):
        self.hub = hub

    def send(self, events: list[dict]) -> None:
        for event in events:
            self.hub.dispatch(event)


# One NOTIFY per payload, called in the array's order (a set-returning scan, no sort), which
# is the order PostgreSQL delivers a transaction's notifications in. The payloads go as one
# JSON array: psycopg spells a list as a text[] literal in Python, 25 ms for a push's 500
# events against 2 ms for the same strings as JSON.
_NOTIFY_ALL = sa.text("SELECT pg_notify(:channel, payload) "
                      "FROM json_array_elements_text(CAST(:payloads AS json)) AS payload")


class PostgresTransport:
    """NOTIFY in the writing transaction; each process LISTENs on a connection of its own."""

    transactional = True
    needs_listener = True

    def __init__(self, database_url: str, channel: str):
        # psycopg itself, not SQLAlchemy: a LISTEN connection never goes back to a pool.
        self.dsn = sa.engine.make_url(database_url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.channel = channel

    def send_in_transaction(self, conn: sa.Connection, events: list[dict]) -> None:
        conn.execute(_NOTIFY_ALL, {"channel": self.channel,
                                   "payloads": _dumps([_dumps(event) for event in events])})

    def listen(self, stop: threading.Event, ready: Callable[[], None],
               deliver: Callable[[str | bytes], None]) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            ready()
            while not stop.is_set():
                for notice in conn.notifies(timeout=1.0):
                    deliver(notice.payload)


class RedisTransport:
    """PUBLISH after the commit; each process SUBSCRIBEs on a connection of its own."""

    transactional = False
    needs_listener = True

    def __init__(self, url: str, channel: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self.channel = channel

    def send(self, events: list[dict]) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(self.channel, _dumps(event))
            pipe.execute()

    def listen(self, stop: threading.Event, ready: Callable[[], None],
               deliver: Callable[[str | bytes], None]) -> None:
        pubsub = self.client.pubsub()
        try:
            pubsub.subscribe(self.channel)
            while not stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    ready()  # from now on nothing published is missed
                elif message["type"] == "message":
                    deliver(message["data"])
        finally:
            pubsub.close()


def choose_broker(configured: str, database_url: str, redis_url: str | None) -> str:
    """LIVE_BROKER "auto": PostgreSQL's NOTIFY on PostgreSQL, else Redis with REDIS_URL, else
    this process only. A broker named outright must be there."""
    configured = (configured or "auto").lower()
    on_postgresql = database_url.startswith("postgresql")
    if configured not in BROKERS:
        raise RuntimeError(f"LIVE_BROKER must be one of {', '.join(BROKERS)}, not {configured!r}.")
    if configured == "redis" and not redis_url:
        raise RuntimeError("LIVE_BROKER=redis needs REDIS_URL (e.g. redis://127.0.0.1:6379/0).")
    if configured == "postgresql" and not on_postgresql:
        raise RuntimeError("LIVE_BROKER=postgresql needs a PostgreSQL DATABASE_URL.")
    if configured != "auto":
        return configured
    return "postgresql" if on_postgresql else "redis" if redis_url else "local"


def check_channel(channel: str) -> str:
    if not _CHANNEL_NAME.match(channel or ""):
        raise RuntimeError("LIVE_CHANNEL must be a lower-case name of letters, digits and _.")
    return channel


class Live:
    """A process's live updates: its transport, its streams and the listener between them."""

    def __init__(self, transport, hub: Hub):
        self.transport = transport
        self.hub = hub
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        if not transport.needs_listener:
            self._ready.set()

    def subscribe(self, viewer: Viewer | HallViewer) -> Subscription:
        """A new stream's queue; returns once this process listens (or LISTEN_WAIT_S)."""
        self._start_listener()
        subscription = Subscription(viewer)
        self.hub.add(subscription)
        self._ready.wait(LISTEN_WAIT_S)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.hub.remove(subscription)

    def stop(self, wait_s: float = 0.0) -> None:
        """End the listener (within a second or so; `wait_s` waits for it)."""
        self._stop.set()
        if self._thread is not None and wait_s:
            self._thread.join(wait_s)

    def _start_listener(self) -> None:
        if not self.transport.needs_listener or self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="civicgrid-live",
                                                daemon=True)
                self._thread.start()

    def _listen(self) -> None:
        """Listen until stopped, reconnecting with a growing pause; after a reconnection the
        streams are told to reload, since events may have passed meanwhile."""
        failures = 0
        while not self._stop.is_set():
            def ready() -> None:
                nonlocal failures
                if failures:
                    log.info("live: listening again")
                    self.hub.dispatch({"type": "resync", "id": ""})
                failures = 0
                self._ready.set()

            try:
                self.transport.listen(self._stop, ready, self._deliver)
            except Exception:
                if self._stop.is_set():
                    return
                log.warning("live: the listener lost its connection", exc_info=True)
            self._ready.clear()
            failures += 1
            self._stop.wait(min(30.0, 0.5 * 2 ** min(failures, 6)))

    def _deliver(self, payload: str | bytes) -> None:
        try:
            event = json.loads(payload)
        except ValueError:
            log.warning("live: a message that is not JSON was ignored")
            return
        if isinstance(event, dict) and event.get("type"):
            self.hub.dispatch(event)


def make_live() -> Live:
    broker = choose_broker(setting("LIVE_BROKER"), setting("SQLALCHEMY_DATABASE_URI"),
                           setting("REDIS_URL"))
    channel = check_channel(setting("LIVE_CHANNEL"))
    hub = Hub()
    if broker == "postgresql":
        return Live(PostgresTransport(setting("SQLALCHEMY_DATABASE_URI"), channel), hub)
    if broker == "redis":
        return Live(RedisTransport(setting("REDIS_URL"), channel), hub)
    return Live(LocalTransport(hub), hub)


def current() -> Live:
    """This process's live updates for the running app, made on first use."""
    return app_state(_STATE, make_live)


# -- the stream -------------------------------------------------------------------------

def open_stream(viewer: Viewer | HallViewer, *, seconds: float) -> Iterator[str]:
    """A reader's text/event-stream, for `seconds` at most: its settings are read now, in
    the request; the body runs after it, without a database session."""
    return _stream(current(), viewer, seconds=max(0.0, seconds),
                   heartbeat_s=setting("LIVE_HEARTBEAT_S"), retry_ms=setting("LIVE_RETRY_MS"))


def _stream(live: Live, viewer: Viewer | HallViewer, *, seconds: float, heartbeat_s: float,
            retry_ms: int) -> Iterator[str]:
    subscription = live.subscribe(viewer)
    try:
        # Sent at once: the reader knows it is connected, and for how long to wait if not.
        yield f"retry: {int(retry_ms)}\n: live\n\n"
        ends = clock.monotonic() + seconds
        while (left := ends - clock.monotonic()) > 0:
            if subscription.lost:
                _drain(subscription)
                yield frame({"type": "resync"})
                continue
            try:
                event = subscription.events.get(timeout=min(heartbeat_s, left))
            except queue.Empty:
                yield ": keep-alive\n\n"
                continue
            yield frame(event)
        # Over: the reader reconnects at once (with a fresh token if need be).
        yield frame({"type": "end"})
    finally:
        live.unsubscribe(subscription)


def _drain(subscription: Subscription) -> None:
    subscription.lost = False
    while True:
        try:
            subscription.events.get_nowait()
        except queue.Empty:
            return


def frame(event: dict) -> str:
    """One server-sent event: its type as the event name, its public fields as data."""
    fields = PUBLIC_FIELDS.get(event["type"], ("type", "id"))
    data = {key: event[key] for key in fields if key in event and key != "type"}
    return f"event: {event['type']}\ndata: {_dumps(data)}\n\n"


def _dumps(value: dict | list) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
