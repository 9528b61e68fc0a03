"""Patrols in the supervisor's console: a worker's tracks of a day, coverage per grid."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.auth import ADMIN, SUPERVISOR, auth_required, current_scope
from backend.extensions import Blueprint
from backend.patrol import schemas, services

patrol_blp = Blueprint("patrol", __name__, url_prefix="/api/v1/patrol",
                       description="Patrol tracks and coverage for supervisors (巡查).")



@patrol_blp.route("/tracks")
class DayTracks(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @patrol_blp.arguments(schemas.DayTracksArgs, location="query")
    @patrol_blp.response(200, schemas.DayTracksOut)
    def get(self, args):
        """A worker's patrols of a city day with their points in time order, and their grid."""
        return services.worker_day_tracks(current_scope(), args["worker_id"], args["date"])


@patrol_blp.route("/coverage")
class Coverage(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @patrol_blp.arguments(schemas.CoverageArgs, location="query")
    @patrol_blp.response(200, schemas.CoverageOut)
    def get(self, args):
        """How much of each grid under a region was walked on a city day (覆盖率)."""
        return services.coverage_of_day(current_scope(), args["date"], args.get("region_id"),
                                        cell_m=args["cell_m"], include_cells=args["include_cells"])
