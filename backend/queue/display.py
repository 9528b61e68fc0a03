"""The hall's display (叫号大屏): what its screen shows, and how many public streams of a
hall's events one process keeps open.

The board holds numbers, windows and services only: never who holds a number. It is public,
as the screen hanging in the hall is.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select

from backend.common.settings import app_state, setting
from backend.common.time import utcnow
from backend.errors import Unavailable
from backend.extensions import db
from backend.live.services import HallViewer, frame, open_stream
from backend.queue.events import waiting_counts
from backend.queue.models import CALLED, DONE, NO_SHOW, WAITING, Service, Ticket, Window
from backend.queue.tickets import city_today, get_hall, queue_key

# How many of today's calls the board lists, and how many numbers it shows as next per service.
LATEST_CALLS = 10
NEXT_NUMBERS = 3
# A call stays on the board as long as its ticket was called: served, finished or missed.
CALLED_STATUSES = (CALLED, DONE, NO_SHOW)
# When a refused stream should try again (the display reconnects by itself).
STREAMS_RETRY_AFTER_S = 10
# What live.services sends between events (a comment line).
KEEP_ALIVE = ": keep-alive\n\n"


def hall_board(hall_id: uuid.UUID, now: datetime | None = None) -> dict:
    """The hall's screen: today's latest calls, each service's queue with its next numbers,
    and each window with the number it serves (HallBoardOut)."""
    hall = get_hall(hall_id)
    now = now or utcnow()
    services = db.session.scalars(select(Service).where(
        Service.hall_id == hall.id, Service.deleted.is_(False))
        .order_by(Service.sort_order, Service.code)).all()
    windows = db.session.scalars(select(Window).where(Window.hall_id == hall.id)
                                 .order_by(Window.number)).all()
    return {"hall": {"id": hall.id, "name": hall.name},
            "calls": _latest_calls(hall.id, city_today(now), services, windows),
            "waiting": _queues(hall.id, services, now),
            "windows": _windows(hall.id, windows), "at": now}


def _latest_calls(hall_id: uuid.UUID, day, services: list[Service],
                  windows: list[Window]) -> list[dict]:
    by_service = {service.id: service for service in services}
    window_number = {window.id: window.number for window in windows}
    rows = db.session.scalars(
        select(Ticket).where(Ticket.hall_id == hall_id, Ticket.day == day,
                             Ticket.status.in_(CALLED_STATUSES), Ticket.called_at.is_not(None),
                             Ticket.window_id.is_not(None))
        .order_by(Ticket.called_at.desc(), Ticket.number.desc()).limit(LATEST_CALLS)).all()
    calls = []
    for ticket in rows:
        service = by_service.get(ticket.service_id)
        calls.append({"number": ticket.number, "window": window_number.get(ticket.window_id),
                      "service_code": service.code if service else "",
                      "service_name": service.name if service else "",
                      "called_at": ticket.called_at, "recalls": ticket.recalls or 0})
    return calls


def _queues(hall_id: uuid.UUID, services: list[Service], now: datetime) -> list[dict]:
    """Each service's queue as hall events count it (events.waiting_counts), and its next
    numbers in call order."""
    counts = waiting_counts(hall_id)
    queues = []
    for service in services:
        waiting = counts.get(str(service.id), 0)
        following = db.session.scalars(
            select(Ticket.number).where(Ticket.service_id == service.id, Ticket.status == WAITING)
            .order_by(*queue_key(now)).limit(NEXT_NUMBERS)).all() if waiting else []
        queues.append({"service_id": service.id, "code": service.code, "name": service.name,
                       "waiting": waiting, "next": list(following)})
    return queues


def _windows(hall_id: uuid.UUID, windows: list[Window]) -> list[dict]:
    serving: dict[uuid.UUID, str] = {}
    for window_id, number in db.session.execute(
            select(Ticket.window_id, Ticket.number).where(
                Ticket.hall_id == hall_id, Ticket.status == CALLED, Ticket.window_id.is_not(None))
            .order_by(Ticket.called_at)).all():
        serving[window_id] = number  # the latest call wins, should a window hold two
    return [{"number": window.number, "label": window.label or "", "status": window.status,
             "serving": serving.get(window.id)} for window in windows]


# -- public streams ---------------------------------------------------------------------

class StreamSlots:
    """The public hall streams open in this process. Each holds one of a gunicorn worker's
    threads for as long as it is open (minutes), and nobody signs in for one: without a
    bound, a few dozen open pages would take every thread and the rest of the API would
    wait behind them. A stream counts from when its body starts until it ends, so an answer
    nobody reads holds nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.open = 0

    def check_room(self, limit: int) -> None:
        """503 `too_many_streams` with Retry-After when `limit` streams are open already."""
        if self.open >= limit:
            raise Unavailable(
                "Too many screens follow halls on this server now; try again shortly.",
                code="too_many_streams", details={"retry_after_s": STREAMS_RETRY_AFTER_S},
                headers={"Retry-After": str(STREAMS_RETRY_AFTER_S)})

    def run(self, body: Iterator[str], limit: int, *, heartbeat_s: float) -> Iterator[str]:
        """`body` while it counts as one of this process's streams. Should others have
        filled the last places since the request was let in, it ends at once instead (the
        reader reconnects, and is refused or let in then).

        Its keep-alive comments go out as `event: ping` ({"every_s"}): EventSource hides
        comments from the page, and a screen on a network that died without a word (the
        hall's Wi-Fi restarting) can only tell its stream is dead by the pings stopping."""
        with self._lock:
            admitted = self.open < limit
            if admitted:
                self.open += 1
        ping = f'event: ping\ndata: {{"every_s":{heartbeat_s:g}}}\n\n'
        try:
            if admitted:
                for chunk in body:
                    yield ping if chunk == KEEP_ALIVE else chunk
            else:
                yield frame({"type": "end"})
        finally:
            body.close()
            if admitted:
                with self._lock:
                    self.open -= 1


def stream_slots() -> StreamSlots:
    return app_state("civicgrid.hall_streams", StreamSlots)


def open_hall_stream(hall_id: uuid.UUID) -> Iterator[str]:
    """The hall's public event stream (live.open_stream with HallViewer), counted among this
    process's at most HALL_STREAMS_MAX; 404 for no such hall, 503 with Retry-After beyond
    the bound (by default half the worker's THREADS: 6 of 12)."""
    hall = get_hall(hall_id)
    slots, limit = stream_slots(), setting("HALL_STREAMS_MAX")
    slots.check_room(limit)
    body = open_stream(HallViewer(str(hall.id)), seconds=setting("LIVE_STREAM_S"))
    return slots.run(body, limit, heartbeat_s=setting("LIVE_HEARTBEAT_S"))
