"""Live updates over HTTP: one server-sent event stream per open console."""

from __future__ import annotations

import time

from flask import Response
from flask.views import MethodView
from flask_jwt_extended import get_jwt

from backend.common.auth import auth_required, current_user
from backend.common.settings import setting
from backend.extensions import Blueprint
from backend.live import services

live_blp = Blueprint("live", __name__, url_prefix="/api/v1/live",
                     description="Live updates: committed case changes as server-sent events.")

STREAM_DOC = {200: {
    "description": (
        "`text/event-stream`, open for LIVE_STREAM_S seconds (300) or until the access token "
        "expires, whichever is sooner; then `event: end` and the client reconnects. First a "
        "`retry:` hint, then a comment line every LIVE_HEARTBEAT_S seconds (15) between "
        "events. `event: case` carries `{id, code, status, version, overdue, at}` of a case "
        "the reader may see (GET /api/v1/cases/{id}), once its change has committed; "
        "`event: resync` says events may have been missed: reload what is shown."),
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}}


@live_blp.route("")
class Live(MethodView):
    @auth_required(*services.READERS)
    @live_blp.doc(responses=STREAM_DOC)
    def get(self):
        """Case changes as they commit, for whoever reads cases (send the bearer token in the
        Authorization header: read the body as a stream, e.g. with fetch)."""
        seconds = min(setting("LIVE_STREAM_S"), get_jwt()["exp"] - time.time())
        body = services.open_stream(services.Viewer.of(current_user()), seconds=seconds)
        # No buffering by nginx (X-Accel-Buffering), nor by anyone else (no-store).
        return Response(body, mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
