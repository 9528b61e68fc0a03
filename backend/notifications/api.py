"""My notifications: listed, and marked read."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.common.auth import auth_required, current_user
from backend.common.paging import page_schema
from backend.extensions import Blueprint
from backend.notifications import schemas, services

notifications_blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                              description="The signed-in person's notifications (a case overdue).")


@notifications_blp.route("")
class Notifications(MethodView):
    @auth_required()
    @notifications_blp.arguments(schemas.NotificationListArgs, location="query")
    @notifications_blp.response(200, page_schema(schemas.NotificationOut))
    def get(self, args):
        """Mine, unread first, then newest first."""
        return services.list_mine(current_user(), **args)


@notifications_blp.route("/read")
class AllRead(MethodView):
    @auth_required()
    @notifications_blp.arguments(schemas.MarkAllIn)
    @notifications_blp.response(200, schemas.MarkedOut)
    def post(self, args):
        """Mark all of mine read (or those that arrived before `before`)."""
        return {"marked": services.mark_all_read(current_user(), **args)}


@notifications_blp.route("/<uuid:notification_id>")
class OneNotification(MethodView):
    @auth_required()
    @notifications_blp.arguments(schemas.NotificationPatchIn)
    @notifications_blp.response(200, schemas.NotificationOut)
    def patch(self, args, notification_id: uuid.UUID):
        """Mark one of mine read (or unread again)."""
        return services.set_read(current_user(), notification_id, args["read"])
