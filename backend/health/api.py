"""GET /healthz: 200 when the app and its database answer, 503 otherwise."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from backend.extensions import Blueprint
from backend.health import services

health_blp = Blueprint("health", __name__, description="Liveness for load balancers and operators.")


class HealthOut(ma.Schema):
    status = ma.fields.String(required=True)


@health_blp.route("/healthz")
class Health(MethodView):
    @health_blp.response(200, HealthOut)
    @health_blp.alt_response(503, description="The database does not answer.")
    def get(self):
        """Is the service up? Checks the database with a trivial query."""
        services.check_database()
        return {"status": "ok"}
