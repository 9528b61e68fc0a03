"""The sync endpoints (SYNC_PROTOCOL.md)."""

from __future__ import annotations

import uuid

import orjson
from flask import Response, current_app, request
from flask.views import MethodView

from backend.common.auth import ADMIN, SUPERVISOR, auth_required, current_user
from backend.common.paging import page_schema
from backend.common.settings import setting
from backend.extensions import Blueprint
from backend.sync_adapter import schemas, services

sync_blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync",
                     description="Offline sync: push mutations, pull changes, review conflicts.")
PUSH_BODY = {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/PushRequest"}}}}


@sync_blp.before_request
def _batch_limit():
    # A push may be larger than other JSON bodies (a day of work in one go).
    request.max_content_length = setting("SYNC_MAX_BATCH_BYTES")


def _json(body: dict | bytes) -> Response:
    # The engine's answer is JSON-ready (a pull's is JSON already); re-serializing a page of
    # 1,000 records through marshmallow doubled the cost of a pull. The schemas still
    # document it.
    # (A rejection's details may name list items by number, as marshmallow does.)
    data = body if isinstance(body, bytes) else orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    return current_app.response_class(data, mimetype="application/json")


@sync_blp.route("/push")
class Push(MethodView):
    @auth_required()
    @sync_blp.doc(requestBody=PUSH_BODY)
    @sync_blp.response(200, schemas.PushOut)
    @sync_blp.alt_response(400, description="Malformed push: nothing of it applied.")
    @sync_blp.alt_response(403, description="The client_id belongs to another user.")
    @sync_blp.alt_response(413, description="Too many mutations or bytes in one push (bytes "
                           "counted after gzip decoding).")
    @sync_blp.alt_response(415, description="A Content-Encoding other than gzip.")
    def post(self):
        """Apply mutations in mid order, exactly once; see SYNC_PROTOCOL.md."""
        return _json(services.push(current_user(), request.get_json(silent=True)))


@sync_blp.route("/pull")
class Pull(MethodView):
    @auth_required()
    @sync_blp.arguments(schemas.PullArgs, location="query")
    @sync_blp.response(200, schemas.PullOut)
    @sync_blp.alt_response(410, description="Unknown or expired cursor: pull from scratch.")
    def get(self, args):
        """Changes in my scope since the cursor (a snapshot without one), in commit order."""
        return _json(services.pull(current_user(), args["client_id"], args.get("cursor") or None,
                                   args["limit"]))


@sync_blp.route("/conflicts")
class Conflicts(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @sync_blp.arguments(schemas.ConflictListArgs, location="query")
    @sync_blp.response(200, page_schema(schemas.ConflictOut))
    def get(self, args):
        """Values that lost a conflict, kept for review (supervisors, by scope)."""
        return services.list_conflicts(current_user(), **args)


@sync_blp.route("/conflicts/<uuid:conflict_id>/resolve")
class ResolveConflict(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @sync_blp.arguments(schemas.ResolveIn)
    @sync_blp.response(200, schemas.ConflictOut)
    def post(self, args, conflict_id: uuid.UUID):
        """Accept the winner, or restore the losing value as a new change that syncs."""
        return services.resolve_conflict(current_user(), conflict_id, args["decision"])
