"""The grid hierarchy over HTTP: read within scope, locate a point, admins edit."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.common.auth import ADMIN, STAFF_ROLES, auth_required, current_scope
from backend.common.paging import page_schema
from backend.extensions import Blueprint
from backend.regions import schemas, services

regions_blp = Blueprint("regions", __name__, url_prefix="/api/v1/regions",
                        description="City → district → street → community → grid.")



@regions_blp.route("")
class Regions(MethodView):
    @auth_required(*STAFF_ROLES)
    @regions_blp.arguments(schemas.RegionListArgs, location="query")
    @regions_blp.response(200, page_schema(schemas.RegionSummaryOut))
    def get(self, args):
        """Regions in my scope, without boundaries, filtered by parent, level, code or text."""
        return services.list_regions(current_scope(), **args)

    @auth_required(ADMIN)
    @regions_blp.arguments(schemas.RegionCreateIn)
    @regions_blp.response(201, schemas.RegionOut)
    def post(self, args):
        """Create a region under a parent (its level follows the parent's); admins only."""
        return services.create_region(**args)


@regions_blp.route("/geojson")
class RegionsGeoJSON(MethodView):
    @auth_required(*STAFF_ROLES)
    @regions_blp.arguments(schemas.RegionGeoJSONArgs, location="query")
    @regions_blp.response(200, schemas.FeatureCollectionOut)
    def get(self, args):
        """Boundaries in my scope as a GeoJSON FeatureCollection, for the map."""
        return services.regions_geojson(current_scope(), **args)


@regions_blp.route("/locate")
class Locate(MethodView):
    @auth_required(*STAFF_ROLES)
    @regions_blp.arguments(schemas.LocateArgs, location="query")
    @regions_blp.response(200, schemas.LocateOut)
    def get(self, args):
        """Which grid is this point in? 404 when no grid of mine contains it."""
        grid = services.locate_grid(current_scope(), args["lat"], args["lon"])
        return {"grid": grid, "path": services.lineage(grid)}


@regions_blp.route("/<uuid:region_id>")
class Region(MethodView):
    @auth_required(*STAFF_ROLES)
    @regions_blp.response(200, schemas.RegionOut)
    def get(self, region_id: uuid.UUID):
        """One region with its boundary, if it lies in my scope."""
        return services.get_region(current_scope(), region_id)

    @auth_required(ADMIN)
    @regions_blp.arguments(schemas.RegionUpdateIn)
    @regions_blp.response(200, schemas.RegionOut)
    def patch(self, args, region_id: uuid.UUID):
        """Rename, recode or redraw a region; the boundary must still fit (admins)."""
        return services.update_region(region_id, args)

    @auth_required(ADMIN)
    @regions_blp.response(204)
    def delete(self, region_id: uuid.UUID):
        """Delete a region without children that nothing refers to (admins)."""
        services.delete_region(region_id)
