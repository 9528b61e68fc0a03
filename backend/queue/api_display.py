"""The hall's display over HTTP (叫号大屏): its board and its live events, both public, as the
screen hanging in the hall is. Numbers, windows and services only: never who holds a number."""

from __future__ import annotations

import uuid

import marshmallow as ma
from flask import Response
from flask.views import MethodView

from backend.extensions import Blueprint
from backend.queue import display

display_blp = Blueprint("hall_display", __name__, url_prefix="/api/v1/halls",
                        description="The hall's display: its board and live events, public.")


class BoardHallOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)


class BoardCallOut(ma.Schema):
    number = ma.fields.String(required=True, metadata={"example": "A012"})
    window = ma.fields.Integer(allow_none=True, required=True,
                               metadata={"description": "The window's number."})
    service_code = ma.fields.String(required=True)
    service_name = ma.fields.String(required=True)
    called_at = ma.fields.DateTime(required=True, metadata={"description": "The latest call "
                                                                          "(a recall moves it)."})
    recalls = ma.fields.Integer(required=True)


class BoardQueueOut(ma.Schema):
    service_id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    waiting = ma.fields.Integer(required=True)
    next = ma.fields.List(ma.fields.String(), required=True, metadata={
        "description": f"The next {display.NEXT_NUMBERS} numbers, in the order they are called."})


class BoardWindowOut(ma.Schema):
    number = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "open, paused or closed."})
    serving = ma.fields.String(allow_none=True, required=True,
                               metadata={"description": "The number called there now."})


class HallBoardOut(ma.Schema):
    hall = ma.fields.Nested(BoardHallOut, required=True)
    calls = ma.fields.List(ma.fields.Nested(BoardCallOut), required=True, metadata={
        "description": f"Today's latest {display.LATEST_CALLS} calls, the latest first."})
    waiting = ma.fields.List(ma.fields.Nested(BoardQueueOut), required=True)
    windows = ma.fields.List(ma.fields.Nested(BoardWindowOut), required=True)
    at = ma.fields.DateTime(required=True)


EVENTS_DOC = {200: {
    "description": (
        "`text/event-stream`, open for LIVE_STREAM_S seconds (300); then `event: end` and the "
        "client reconnects (EventSource does so by itself). First a `retry:` hint, then "
        "`event: ping` (`{every_s}`) every LIVE_HEARTBEAT_S seconds (15) between events, "
        "so that a screen can tell a dead connection from a quiet hall. `event: hall` "
        "carries `{id, kind, number, window, service_id, waiting, alert, at}` once a change "
        "of the hall's queue has committed (kind: taken, called, recalled, finished, no_show, "
        "cancelled, transferred, window, alert…; waiting: tickets waiting per service id); "
        "`event: resync` says events may have been missed: reload the board."),
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}}


@display_blp.route("/<uuid:hall_id>/board")
class HallBoard(MethodView):
    @display_blp.doc(security=[])
    @display_blp.response(200, HallBoardOut)
    def get(self, hall_id: uuid.UUID):
        """What the hall's screen shows: today's latest calls, each service's waiting count
        and next numbers, each window's current number. Public; numbers only."""
        return display.hall_board(hall_id)


@display_blp.route("/<uuid:hall_id>/events")
class HallEvents(MethodView):
    @display_blp.doc(security=[], responses=EVENTS_DOC)
    @display_blp.alt_response(503, description="`too_many_streams`: this process already holds "
                                                "HALL_STREAMS_MAX public hall streams; try again "
                                                "after `Retry-After` seconds.")
    def get(self, hall_id: uuid.UUID):
        """The hall's queue as it moves, as server-sent events; public (the display reads it
        with EventSource)."""
        body = display.open_hall_stream(hall_id)
        # No buffering by nginx (X-Accel-Buffering), nor by anyone else (no-store).
        return Response(body, mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
