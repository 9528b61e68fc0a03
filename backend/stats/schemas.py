"""Assessment over HTTP."""

from __future__ import annotations

import marshmallow as ma

from backend.common.schemas import Day


class CaseStatsArgs(ma.Schema):
    region_id = ma.fields.UUID(metadata={
        "description": "Figures per child of this region (default: the top of your scope)."})
    from_ = Day(data_key="from", attribute="start",
                metadata={"description": "First city day (default: 30 days back)."})
    to = Day(attribute="end", metadata={"description": "Last city day (default: today)."})
    lang = ma.fields.String(load_default="zh", validate=ma.validate.OneOf(["zh", "en"]),
                            metadata={"description": "The language of exported headers."})


class RegionFigures(ma.Schema):
    region_id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    level = ma.fields.String(required=True)
    total = ma.fields.Integer(required=True, metadata={"description": "Reported in the period."})
    registered = ma.fields.Integer(required=True)
    closed = ma.fields.Integer(required=True)
    closed_on_spot = ma.fields.Integer(required=True)
    cancelled = ma.fields.Integer(required=True)
    open = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True, metadata={"description": "Open and past deadline now."})
    closed_on_time = ma.fields.Integer(required=True)
    on_time_rate = ma.fields.Float(allow_none=True, required=True)
    avg_handling_h = ma.fields.Float(allow_none=True, required=True)


class RegionRef(ma.Schema):
    region_id = ma.fields.UUID(attribute="id", required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    level = ma.fields.String(required=True)


class CaseStatsOut(ma.Schema):
    region = ma.fields.Nested(RegionRef, required=True)
    from_ = ma.fields.Date(data_key="from", attribute="from", required=True)
    to = ma.fields.Date(required=True)
    items = ma.fields.List(ma.fields.Nested(RegionFigures), required=True)
    total = ma.fields.Nested(RegionFigures, required=True)
