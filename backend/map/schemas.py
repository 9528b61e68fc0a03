"""The one map over HTTP: a view's box and filters; points, clusters, workers."""

from __future__ import annotations

import marshmallow as ma
from webargs.fields import DelimitedList

from backend.common.schemas import Day
from backend.incidents import workflow


class CasesInViewArgs(ma.Schema):
    bbox = DelimitedList(ma.fields.Float(allow_nan=False), required=True, metadata={
        "description": "The view: west,south,east,north in degrees (WGS 84).",
        "example": "118.30,35.02,118.40,35.08"})
    zoom = ma.fields.Float(required=True, allow_nan=False, validate=ma.validate.Range(0, 22),
                           metadata={"description": "The map's zoom level (Web Mercator)."})
    status = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(workflow.STATUSES)),
                            metadata={"description": "One or more statuses (repeat the parameter)."})
    overdue = ma.fields.Boolean(metadata={"description": "Open and past the deadline (or not)."})
    category = ma.fields.String(validate=ma.validate.Length(min=1, max=64), metadata={
        "description": "A category code, or a main class (road) for all its categories."})
    region_id = ma.fields.UUID(metadata={"description": "Cases in this region's subtree."})
    from_ = Day(data_key="from", attribute="start",
                metadata={"description": "Reported on or after this city day."})
    to = Day(attribute="end", metadata={"description": "Reported on or before this city day."})


class MapPointOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(allow_none=True, required=True)
    status = ma.fields.String(required=True)
    overdue = ma.fields.Boolean(required=True)
    category = ma.fields.String(required=True)
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    deadline_at = ma.fields.DateTime(allow_none=True, required=True)


class MapClusterOut(ma.Schema):
    lat = ma.fields.Float(required=True, metadata={"description": "Mean position of its cases."})
    lon = ma.fields.Float(required=True)
    count = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True, metadata={"description": "Open and past deadline."})
    by_status = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                               required=True, metadata={"description": "Counts by status."})


class CasesInViewOut(ma.Schema):
    mode = ma.fields.String(required=True, validate=ma.validate.OneOf(["points", "clusters"]),
                            metadata={"description": "points: every case in view (at most "
                                      "MAP_POINTS_MAX); clusters: counted in cells."})
    zoom = ma.fields.Float(required=True)
    total = ma.fields.Integer(required=True, metadata={"description": "Cases in view."})
    points = ma.fields.List(ma.fields.Nested(MapPointOut), required=True)
    clusters = ma.fields.List(ma.fields.Nested(MapClusterOut), required=True)
    cell_deg = ma.fields.List(ma.fields.Float(), metadata={
        "description": "With clusters by cell: a cell's width and height in degrees."})
    cluster_by = ma.fields.String(validate=ma.validate.OneOf(["cell", "street"]), metadata={
        "description": "With clusters: `cell`, a square grid sized by the zoom; or, zoomed "
                       "out to 12 or less with no category or overdue filter, `street`, one "
                       "cluster per street at its cases' mean position (from the daily "
                       "roll-up)."})


class WorkersArgs(ma.Schema):
    date = Day(metadata={"description": "A city day, YYYY-MM-DD (default: today)."})


class LastPositionOut(ma.Schema):
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    at = ma.fields.DateTime(required=True)
    accuracy_m = ma.fields.Float(allow_none=True, required=True)
    patrol_id = ma.fields.UUID(required=True)
    under_way = ma.fields.Boolean(required=True, metadata={"description": "Patrol not ended."})


class WorkerOnMapOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    grid_id = ma.fields.UUID(allow_none=True, required=True)
    last = ma.fields.Nested(LastPositionOut, required=True,
                            metadata={"description": "The last trusted track point of the day."})
    tracks = ma.fields.List(ma.fields.List(ma.fields.List(ma.fields.Float())), required=True,
                            metadata={"description": "Each patrol's trusted [lat, lon] of the "
                                      "day, thinned to at most 300 points."})


class WorkersOut(ma.Schema):
    date = ma.fields.Date(required=True)
    items = ma.fields.List(ma.fields.Nested(WorkerOnMapOut), required=True)


class MapSettingsOut(ma.Schema):
    tile_url = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "A base map's tile URL template ({z}/{x}/{y}); null: no base map."})
    tile_attribution = ma.fields.String(required=True)
