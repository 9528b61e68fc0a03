"""GET /healthz: 200 when the app and its database answer, 503 otherwise."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from backend.extensions import Blueprint
from backend.health import services

health_blp = Blueprint("health", __name__, description="Liveness for load balancers and operators.")


class HealthOut(ma.Schema):
    status = ma.fields.String(required=True)


class AboutOut(ma.Schema):
    demo_mode = ma.fields.Boolean(required=True, metadata={
        "description": "The one-command demo: the sign-in page names the demo accounts."})


@health_blp.route("/api/v1/about")
class About(MethodView):
    @health_blp.response(200, AboutOut)
    @health_blp.doc(security=[])
    def get(self):
        """What the app needs to know before anyone signs in."""
        return {"demo_mode": services.is_demo_mode()}


@health_blp.route("/healthz")
class Health(MethodView):
    @health_blp.response(200, HealthOut)
    @health_blp.alt_response(503, description="The database does not answer.")
    @health_blp.doc(security=[])
    def get(self):
        """Is the service up? Checks the database with a trivial query."""
        services.check_database()
        return {"status": "ok"}
