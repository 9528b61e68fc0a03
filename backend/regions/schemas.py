from __future__ import annotations

import marshmallow as ma
from webargs.fields import DelimitedList

from backend.common.paging import PageArgs
from backend.common.schemas import Latitude, Longitude
from backend.regions.models import LEVELS

_code = ma.fields.String(validate=ma.validate.And(ma.validate.Length(min=1, max=32),
                                                  ma.validate.Regexp(r"^\S+$")))
_name = ma.fields.String(validate=ma.validate.Length(min=1, max=100))


class GeoJSONGeometry(ma.Schema):
    """A GeoJSON Polygon or MultiPolygon; its coordinates are checked by the service."""

    type = ma.fields.String(required=True, validate=ma.validate.OneOf(["Polygon", "MultiPolygon"]))
    coordinates = ma.fields.List(ma.fields.Raw(), required=True)


class RegionSummaryOut(ma.Schema):
    id = ma.fields.UUID(required=True)
    parent_id = ma.fields.UUID(allow_none=True, required=True)
    level = ma.fields.String(required=True, validate=ma.validate.OneOf(LEVELS))
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    bbox = ma.fields.Function(
        lambda r: [r.min_lon, r.min_lat, r.max_lon, r.max_lat],
        metadata={"type": "array", "items": {"type": "number"},
                  "description": "[min_lon, min_lat, max_lon, max_lat]"})
    updated_at = ma.fields.DateTime(required=True)


class RegionOut(RegionSummaryOut):
    boundary = ma.fields.Nested(GeoJSONGeometry, required=True)


class RegionBrief(ma.Schema):
    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    level = ma.fields.String(required=True)


class LocateOut(ma.Schema):
    grid = ma.fields.Nested(RegionSummaryOut, required=True)
    path = ma.fields.List(ma.fields.Nested(RegionBrief), required=True,
                          metadata={"description": "From the city down to the grid."})


class RegionFilterArgs(ma.Schema):
    parent_id = ma.fields.UUID()
    level = ma.fields.String(validate=ma.validate.OneOf(LEVELS))
    code = _code
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=100),
                         metadata={"description": "Part of the name or code."})


class RegionListArgs(PageArgs, RegionFilterArgs):
    pass


class RegionGeoJSONArgs(RegionFilterArgs):
    bbox = DelimitedList(ma.fields.Float(allow_nan=False), validate=ma.validate.Length(equal=4),
                                   metadata={"description": "min_lon,min_lat,max_lon,max_lat"})


class LocateArgs(ma.Schema):
    lat = Latitude(required=True)
    lon = Longitude(required=True)


class RegionCreateIn(ma.Schema):
    parent_id = ma.fields.UUID(allow_none=True, load_default=None,
                               metadata={"description": "Absent only for the city itself."})
    code = ma.fields.String(required=True, validate=_code.validate)
    name = ma.fields.String(required=True, validate=_name.validate)
    boundary = ma.fields.Dict(required=True, metadata={"description": "GeoJSON Polygon or MultiPolygon."})


class RegionUpdateIn(ma.Schema):
    code = ma.fields.String(validate=_code.validate)
    name = ma.fields.String(validate=_name.validate)
    boundary = ma.fields.Dict(metadata={"description": "GeoJSON Polygon or MultiPolygon."})


class FeatureCollectionOut(ma.Schema):
    type = ma.fields.String(required=True)
    features = ma.fields.List(ma.fields.Dict(), required=True)
