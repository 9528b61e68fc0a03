"""The one map (一张图) over HTTP: the cases in a view, the workers' day, the map's settings."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.auth import ADMIN, SUPERVISOR, auth_required, current_scope, current_user
from backend.extensions import Blueprint
from backend.map import schemas, services

map_blp = Blueprint("map", __name__, url_prefix="/api/v1/map",
                    description="The command centre's one map (一张图).")


@map_blp.route("/cases")
class CasesInView(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @map_blp.arguments(schemas.CasesInViewArgs, location="query")
    @map_blp.response(200, schemas.CasesInViewOut)
    @map_blp.alt_response(422, description="A bad box (`bad_bbox`) or zoom, or unknown region.")
    def get(self, args):
        """Cases in the view and my sight: each one when few, else clusters by zoom."""
        return services.cases_in_view(current_user(), **args)


@map_blp.route("/workers")
class WorkersOfDay(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @map_blp.arguments(schemas.WorkersArgs, location="query")
    @map_blp.response(200, schemas.WorkersOut)
    def get(self, args):
        """Workers who patrolled in my region on a day: last position and tracks."""
        return services.workers_of_day(current_scope(), args.get("date"))


@map_blp.route("/settings")
class MapSettings(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @map_blp.response(200, schemas.MapSettingsOut)
    def get(self):
        """The map's optional base map (none by default: the map works offline)."""
        return services.map_settings()
