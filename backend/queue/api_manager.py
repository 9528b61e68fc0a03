"""Ratings (好差评) over HTTP, and the hall manager's side: electronic supervision's alerts
(电子监察), bad ratings' follow-up (差评整改) and the console's headline figures."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.common.auth import ADMIN, CITIZEN, HALL_MANAGER, auth_required, current_user
from backend.extensions import Blueprint
from backend.queue import manager_schemas as schemas
from backend.queue import ratings, supervision
from backend.queue.managers import managed_halls

ratings_blp = Blueprint("ratings", __name__, url_prefix="/api/v1/tickets",
                        description="Rating a finished ticket (好差评).")
hall_manager_blp = Blueprint("hall_manager", __name__, url_prefix="/api/v1",
                             description="The hall manager's console: supervision alerts "
                                         "(电子监察) and bad ratings' follow-up (差评整改); "
                                         "the hall's managers and admins.")

MANAGERS = (HALL_MANAGER, ADMIN)
NOT_YOURS = "`hall_not_found`: no such hall, or not one the caller manages."


@ratings_blp.route("/<uuid:ticket_id>/rating")
class RateTicket(MethodView):
    @auth_required(CITIZEN)
    @ratings_blp.arguments(schemas.RatingIn)
    @ratings_blp.response(201, schemas.RatingOut)
    @ratings_blp.alt_response(404, description="`ticket_not_found`: not the caller's ticket.")
    @ratings_blp.alt_response(409, description="`not_done`: the service is not done yet; "
                                               "`already_rated`: rated before.")
    def post(self, args, ticket_id: uuid.UUID):
        """The holder rates their finished ticket once; 1–2 opens a follow-up (差评整改)."""
        return ratings.rating_view(ratings.rate_ticket(current_user(), ticket_id, **args))


@hall_manager_blp.route("/halls/managed")
class ManagedHalls(MethodView):
    @auth_required(*MANAGERS)
    @hall_manager_blp.response(200, schemas.ManagedHallListOut)
    def get(self):
        """The halls the caller manages (every hall for an admin)."""
        return {"items": managed_halls(current_user())}


@hall_manager_blp.route("/halls/<uuid:hall_id>/overview")
class HallOverview(MethodView):
    @auth_required(*MANAGERS)
    @hall_manager_blp.response(200, schemas.OverviewOut)
    @hall_manager_blp.alt_response(404, description=NOT_YOURS)
    def get(self, hall_id: uuid.UUID):
        """The hall now and today: waiting per service, windows, today's tickets and
        ratings, open alerts and follow-ups."""
        return supervision.hall_overview(current_user(), hall_id)


@hall_manager_blp.route("/halls/<uuid:hall_id>/alerts")
class HallAlerts(MethodView):
    @auth_required(*MANAGERS)
    @hall_manager_blp.arguments(schemas.AlertQuery, location="query")
    @hall_manager_blp.response(200, schemas.AlertListOut)
    @hall_manager_blp.alt_response(404, description=NOT_YOURS)
    def get(self, args, hall_id: uuid.UUID):
        """The hall's supervision alerts, newest first (at most 200)."""
        return {"items": supervision.list_alerts(current_user(), hall_id, is_open=args["open"])}


@hall_manager_blp.route("/alerts/<uuid:alert_id>/acknowledge")
class AcknowledgeAlert(MethodView):
    @auth_required(*MANAGERS)
    @hall_manager_blp.arguments(schemas.AcknowledgeIn)
    @hall_manager_blp.response(200, schemas.AlertOut)
    @hall_manager_blp.alt_response(404, description="`alert_not_found`.")
    @hall_manager_blp.alt_response(409, description="`already_acknowledged` (details: "
                                                    "acknowledged_at, acknowledged_by_name).")
    def post(self, args, alert_id: uuid.UUID):
        """Acknowledge an alert by name (确认), with an optional note."""
        return supervision.acknowledge(current_user(), alert_id, **args)


@hall_manager_blp.route("/halls/<uuid:hall_id>/followups")
class HallFollowups(MethodView):
    @auth_required(*MANAGERS)
    @hall_manager_blp.arguments(schemas.FollowupQuery, location="query")
    @hall_manager_blp.response(200, schemas.FollowupListOut)
    @hall_manager_blp.alt_response(404, description=NOT_YOURS)
    def get(self, args, hall_id: uuid.UUID):
        """The hall's bad ratings to follow up (status=open) or followed up (done), newest
        first (at most 200)."""
        return {"items": ratings.list_followups(current_user(), hall_id, args["status"])}


@hall_manager_blp.route("/ratings/<uuid:rating_id>/followup")
class RecordFollowup(MethodView):
    @auth_required(*MANAGERS)
    @hall_manager_blp.arguments(schemas.FollowupIn)
    @hall_manager_blp.response(200, schemas.FollowupOut)
    @hall_manager_blp.alt_response(404, description="`followup_not_found`: no bad rating "
                                                    "by that id in the caller's halls.")
    @hall_manager_blp.alt_response(409, description="`followup_done`: already recorded.")
    def post(self, args, rating_id: uuid.UUID):
        """Record what was done about a bad rating (整改); the citizen reads it on their
        ticket."""
        return ratings.record_followup(current_user(), rating_id, **args)
