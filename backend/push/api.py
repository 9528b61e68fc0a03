"""The server's push key, and the signed-in person's browsers subscribed to pushes."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.common.auth import auth_required, current_user
from backend.extensions import Blueprint
from backend.push import schemas, services

push_blp = Blueprint("push", __name__, url_prefix="/api/v1/push",
                     description="Web Push: the VAPID key and one's browsers' subscriptions.")


@push_blp.route("/key")
class PushKey(MethodView):
    @auth_required()
    @push_blp.response(200, schemas.PushKeyOut)
    def get(self):
        """The server's VAPID public key, to subscribe a browser with."""
        return {"public_key": services.public_key()}


@push_blp.route("/subscriptions")
class PushSubscriptions(MethodView):
    @auth_required()
    @push_blp.arguments(schemas.PushSubscriptionIn)
    @push_blp.response(201, schemas.PushSubscriptionOut)
    @push_blp.alt_response(422, description="The endpoint is not an allowed push service "
                                            "(PUSH_ALLOWED_HOSTS), or the keys are not valid.")
    def post(self, args):
        """Subscribe this browser for me (the same endpoint again replaces it)."""
        return services.subscribe(current_user(), args["endpoint"], args["keys"]["p256dh"],
                                  args["keys"]["auth"])


@push_blp.route("/subscriptions/<uuid:subscription_id>")
class OnePushSubscription(MethodView):
    @auth_required()
    @push_blp.response(204)
    def delete(self, subscription_id: uuid.UUID):
        """Stop pushes to one of my browsers."""
        services.unsubscribe(current_user(), subscription_id)
