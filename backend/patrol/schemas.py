from __future__ import annotations

import marshmallow as ma

from backend.common.schemas import Day, Latitude, Longitude
from backend.patrol.coverage import CELL_M
from backend.patrol.services import POINT_FIELDS
from backend.regions.schemas import GeoJSONGeometry, RegionBrief

_date = Day(required=True, metadata={
    "description": "The day, YYYY-MM-DD (1970-01-01 to 2999-12-31), in the city's time zone "
                   "(CITY_TIMEZONE).",
    "example": "2026-11-23"})


class DayTracksArgs(ma.Schema):
    worker_id = ma.fields.UUID(required=True, metadata={"description": "A worker in my scope."})
    date = _date


class CoverageArgs(ma.Schema):
    date = _date
    region_id = ma.fields.UUID(metadata={"description": "Default: the caller's own region."})
    cell_m = ma.fields.Float(load_default=CELL_M, validate=ma.validate.Range(10, 500),
                             metadata={"description": "The cells' side, in metres."})
    include_cells = ma.fields.Boolean(load_default=False, metadata={
        "description": "Also list each grid's covered cells (for drawing them)."})


class PatrolWorkerOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)


class GridOut(RegionBrief):
    boundary = ma.fields.Nested(GeoJSONGeometry, required=True)


class PatrolTrackOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    started_at = ma.fields.DateTime(required=True)
    ended_at = ma.fields.DateTime(allow_none=True, required=True)
    grid_id = ma.fields.UUID(allow_none=True, required=True)
    distance_m = ma.fields.Float(required=True, metadata={"description": "Of the whole patrol."})
    duration_s = ma.fields.Float(required=True)
    inside_share = ma.fields.Float(allow_none=True, required=True, metadata={
        "description": "Of the trusted track's length, the share inside the worker's grid."})
    points = ma.fields.List(ma.fields.List(ma.fields.Raw()), required=True, metadata={
        "description": "The patrol's points of this day in time order, each a row of the "
                       f"values named by `point_fields`: {list(POINT_FIELDS)}; "
                       "recorded_at_ms is Unix time in milliseconds.",
        "example": [[35.058, 118.335, 1795395600000, 5.0, False]]})


class DayTracksOut(ma.Schema):
    worker = ma.fields.Nested(PatrolWorkerOut, required=True)
    date = ma.fields.Date(required=True)
    time_zone = ma.fields.String(required=True, metadata={"example": "Asia/Shanghai"})
    day_starts_at = ma.fields.DateTime(required=True)
    day_ends_at = ma.fields.DateTime(required=True)
    grid = ma.fields.Nested(GridOut, allow_none=True, required=True,
                            metadata={"description": "The grid the worker is bound to."})
    point_fields = ma.fields.List(ma.fields.String(), required=True)
    patrols = ma.fields.List(ma.fields.Nested(PatrolTrackOut), required=True)


class GridCoverageOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    covered_share = ma.fields.Float(required=True, metadata={
        "description": "Of the grid's area, the share inside walked cells (0..1)."})
    cells_total = ma.fields.Integer(required=True, metadata={
        "description": "Cells with part of the grid inside them."})
    cells_covered = ma.fields.Integer(required=True)
    boundary = ma.fields.Nested(GeoJSONGeometry, required=True)
    cells = ma.fields.List(ma.fields.List(ma.fields.Float()), metadata={
        "description": "With include_cells: each covered cell as "
                       "[min_lon, min_lat, max_lon, max_lat]."})


class CoverageOut(ma.Schema):
    date = ma.fields.Date(required=True)
    time_zone = ma.fields.String(required=True)
    cell_m = ma.fields.Float(required=True)
    region = ma.fields.Nested(RegionBrief, allow_none=True, required=True,
                              metadata={"description": "None: every grid in my scope."})
    patrols = ma.fields.Integer(required=True, metadata={
        "description": "Patrols of the region's workers under way that day."})
    grids = ma.fields.List(ma.fields.Nested(GridCoverageOut), required=True)


# -- what a phone writes through sync ----------------------------------------------------

class PatrolFields(ma.Schema):
    started_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    ended_at = ma.fields.AwareDateTime(allow_none=True, load_default=None, default_timezone=None)


class TrackPointFields(ma.Schema):
    patrol_id = ma.fields.UUID(required=True)
    lat = Latitude(required=True)
    lon = Longitude(required=True)
    accuracy_m = ma.fields.Float(allow_none=True, load_default=None, allow_nan=False,
                                 validate=ma.validate.Range(min=0))
    recorded_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
