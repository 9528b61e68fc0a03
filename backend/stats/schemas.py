"""Assessment over HTTP: the query and the figures (defined in services.py's docstring)."""

from __future__ import annotations

import marshmallow as ma

from backend.common.schemas import Day
from backend.stats import services

DEFINITIONS = services.__doc__


class PeriodArgs(ma.Schema):
    region_id = ma.fields.UUID(metadata={
        "description": "Figures within this region (default: the top of your scope)."})
    from_ = Day(data_key="from", attribute="start",
                metadata={"description": "First city day (default: 30 days back)."})
    to = Day(attribute="end", metadata={"description": "Last city day (default: today)."})


class CaseStatsArgs(PeriodArgs):
    group_by = ma.fields.String(load_default="region", validate=ma.validate.OneOf(services.GROUPINGS),
                                metadata={"description": "A row per child region (default), per "
                                          "grid worker of the region, or per department."})
    lang = ma.fields.String(load_default="zh", validate=ma.validate.OneOf(["zh", "en"]),
                            metadata={"description": "The language of exported headers."})
    sort = ma.fields.String(validate=ma.validate.OneOf(sorted(services.SORTABLE)), metadata={
        "description": "Exports: the rows ordered by this column, as the console sorted them "
                       "(rows without the figure last); the server's order without it."})
    dir = ma.fields.String(load_default="desc", validate=ma.validate.OneOf(["asc", "desc"]),
                           metadata={"description": "Exports: the order of `sort`."})


class TrendArgs(PeriodArgs):
    bucket = ma.fields.String(load_default="day", validate=ma.validate.OneOf(
        list(services.BUCKET_MAX_DAYS)), metadata={
        "description": "City days, weeks (Monday first) or months; a period of at most "
                       + ", ".join(f"{days} days by {name}"
                                   for name, days in services.BUCKET_MAX_DAYS.items()) + "."})


def _count(description: str = ""):
    return ma.fields.Integer(metadata={"description": description} if description else {})


def _rate(description: str):
    return ma.fields.Float(allow_none=True, metadata={"description": description})


class Figures(ma.Schema):
    """A row of the table: a region's, a grid worker's or a department's. Which figures a
    row holds is the answer's `columns`."""

    region_id = ma.fields.UUID(metadata={"description": "group_by=region: the region."})
    level = ma.fields.String(metadata={"description": "group_by=region: the region's level."})
    worker_id = ma.fields.UUID(metadata={"description": "group_by=worker: the grid worker."})
    department_id = ma.fields.UUID(metadata={"description": "group_by=department."})
    code = ma.fields.String(required=True, metadata={
        "description": "The region's code, the worker's username or the department's code."})
    name = ma.fields.String(required=True)
    region_name = ma.fields.String(metadata={"description": "group_by=worker: their grid."})
    total = _count("Cases reported in the period (cancelled and merged ones left out).")
    reported = _count("group_by=worker: cases the worker reported.")
    registered = _count("Registered (立案) now or at any time before.")
    dispatched = _count("Dispatched at least once; for a handler, its latest dispatch went there.")
    handled = _count("Handled at least once; for a handler, handled by it after that dispatch.")
    closed = _count("Closed now (a reopened case is open again).")
    closed_on_spot = _count("Closed on the spot by the reporting grid worker, never dispatched.")
    open = _count("Neither closed, cancelled nor merged.")
    overdue = _count("Open and past the deadline now.")
    closed_on_time = _count("Closed no later than the deadline.")
    closed_late = _count("Closed after the deadline.")
    on_time_rate = _rate("closed_on_time / closed; null when nothing closed.")
    avg_handling_h = _rate("Mean wall-clock hours from report to closing, over the closed.")
    sent_back = _count("Cases sent back at least once after handling.")
    satisfied = _count("The reporter's feedback: satisfied.")
    unsatisfied = _count("The reporter's feedback: unsatisfied.")
    satisfaction_rate = _rate("satisfied / (satisfied + unsatisfied).")
    cancelled = _count("Reported in the period and cancelled (not in `total`).")
    merged = _count("Reported in the period and merged into another case (not in `total`).")
    handled_on_time = _count("Handled no later than the case's deadline.")
    handled_on_time_rate = _rate("handled_on_time / handled.")
    avg_dispatch_to_handled_h = _rate(
        "Mean wall-clock hours from the latest dispatch to the latest handling.")


class RegionRef(ma.Schema):
    region_id = ma.fields.UUID(attribute="id", required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    level = ma.fields.String(required=True)


class CaseStatsOut(ma.Schema):
    region = ma.fields.Nested(RegionRef, required=True)
    from_ = ma.fields.Date(data_key="from", attribute="from", required=True)
    to = ma.fields.Date(required=True)
    group_by = ma.fields.String(required=True)
    columns = ma.fields.List(ma.fields.String(), required=True, metadata={
        "description": "The table's columns in order, as the console shows them and the "
                       "exports hold them."})
    items = ma.fields.List(ma.fields.Nested(Figures), required=True)
    total = ma.fields.Nested(Figures, required=True)


class TrendPoint(ma.Schema):
    period = ma.fields.String(required=True, metadata={
        "description": "The day (YYYY-MM-DD), the week's Monday (YYYY-MM-DD) or the month "
                       "(YYYY-MM)."})
    from_ = ma.fields.Date(data_key="from", attribute="from", required=True,
                           metadata={"description": "Its first day within the period."})
    to = ma.fields.Date(required=True, metadata={"description": "Its last day within the period."})
    reported = ma.fields.Integer(required=True)
    closed = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True)
    on_time_rate = ma.fields.Float(allow_none=True, required=True)


class TrendOut(ma.Schema):
    region = ma.fields.Nested(RegionRef, required=True)
    from_ = ma.fields.Date(data_key="from", attribute="from", required=True)
    to = ma.fields.Date(required=True)
    bucket = ma.fields.String(required=True)
    series = ma.fields.List(ma.fields.Nested(TrendPoint), required=True)
