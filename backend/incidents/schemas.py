"""The fields of a report (事项) as a phone writes them through sync."""

from __future__ import annotations

import marshmallow as ma

from backend.common.schemas import Latitude, Longitude, sha256_hex
from backend.incidents import workflow

MAX_PHOTOS = 9
MAX_ACCURACY_M = 10_000  # a fix worse than 10 km says nothing about where the case is


class StrictBoolean(ma.fields.Boolean):
    """A JSON true or false: not "yes", 1 or "true", which marshmallow would take."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class ReportFields(ma.Schema):
    category = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    lat = Latitude(required=True)
    lon = Longitude(required=True)
    # How good the place is; optional, so phones from before these fields still report.
    # None: the phone had no fix (the pin was placed by hand on the map).
    accuracy_m = ma.fields.Float(allow_none=True, load_default=None, allow_nan=False,
                                 validate=ma.validate.Range(0, MAX_ACCURACY_M))
    location_adjusted = StrictBoolean(load_default=False)
    photos = ma.fields.List(sha256_hex(), load_default=list,
                            validate=ma.validate.Length(max=MAX_PHOTOS))
    reported_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    status = ma.fields.String(validate=ma.validate.OneOf(workflow.STATUSES))
    note = ma.fields.String(validate=ma.validate.Length(max=2000))
