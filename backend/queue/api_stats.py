"""The hall's statistics over HTTP (大厅统计): JSON for the console, and the same rows as CSV
or Excel. Its own blueprint beside the assessment's (same /api/v1/stats prefix), so that the
hall's figures live with the hall. The request and answer shapes are here too: nothing else
uses them."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from backend.common.auth import ADMIN, HALL_MANAGER, SUPERVISOR, auth_required, current_user
from backend.common.exports import attachment, csv_text, xlsx_bytes
from backend.common.schemas import Day
from backend.extensions import Blueprint
from backend.queue import stats

hall_stats_blp = Blueprint("hall_stats", __name__, url_prefix="/api/v1/stats",
                           description="The service hall's statistics: waiting and service "
                                       "times, no-shows and ratings.\n\n" + stats.__doc__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_RESPONSES = {
    "csv": {"200": {"description": "UTF-8 CSV with a byte-order mark: Chinese headings, "
                                   "times in minutes as the console shows them.",
                    "content": {"text/csv": {"schema": {"type": "string"}}}}},
    "xlsx": {"200": {"description": "An Excel workbook with one sheet, as the CSV.",
                     "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
}
WHO = (ADMIN, SUPERVISOR, HALL_MANAGER)
REFUSED = "`not_your_hall`: a hall manager of another hall; `forbidden_role`: other roles."
NO_HALL = "`hall_not_found`: no such hall (or none to report on)."


class HallStatsArgs(ma.Schema):
    hall_id = ma.fields.UUID(metadata={"description": "The hall (optional when there is one)."})
    from_ = Day(data_key="from", attribute="start",
                metadata={"description": "First city day (default: six days before `to`)."})
    to = Day(attribute="end", metadata={"description": "Last city day (default: today)."})
    group_by = ma.fields.String(load_default="service",
                                validate=ma.validate.OneOf(stats.GROUPINGS),
                                metadata={"description": "A row per service (default), window, "
                                          "clerk, city day or hour of the day."})


def _seconds(description: str):
    return ma.fields.Float(allow_none=True, required=True, metadata={"description": description})


class HallFigures(ma.Schema):
    key = ma.fields.String(required=True, metadata={
        "description": "The service's id, the window's number, the clerk's id, the day "
                       "(YYYY-MM-DD), the hour (00–23), `none` (never called), or `total`."})
    label = ma.fields.String(required=True)
    tickets = ma.fields.Integer(required=True)
    served = ma.fields.Integer(required=True)
    no_shows = ma.fields.Integer(required=True)
    cancelled = ma.fields.Integer(required=True)
    wait_mean_s = _seconds("Mean of first call − taking, over the called tickets.")
    wait_p90_s = _seconds("Nearest-rank 90th percentile of the same.")
    service_mean_s = _seconds("Mean of finishing − first call, over the done tickets.")
    service_p90_s = _seconds("Nearest-rank 90th percentile of the same.")
    ratings = ma.fields.Integer(required=True)
    rating_mean = ma.fields.Float(allow_none=True, required=True)
    satisfaction = ma.fields.Float(allow_none=True, required=True, metadata={
        "description": "Share of the ratings scored 4 or 5 (0..1); null without ratings."})


class HallRef(ma.Schema):
    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)


class HallStatsOut(ma.Schema):
    hall = ma.fields.Nested(HallRef, required=True)
    from_ = ma.fields.Date(data_key="from", attribute="from", required=True)
    to = ma.fields.Date(required=True)
    group_by = ma.fields.String(required=True)
    rows = ma.fields.List(ma.fields.Nested(HallFigures), required=True)
    totals = ma.fields.Nested(HallFigures, required=True)


def _figures(args) -> dict:
    return stats.hall_figures(current_user(), hall_id=args.get("hall_id"),
                              start=args.get("start"), end=args.get("end"),
                              group_by=args["group_by"])


@hall_stats_blp.route("/halls")
class HallStats(MethodView):
    @auth_required(*WHO)
    @hall_stats_blp.arguments(HallStatsArgs, location="query")
    @hall_stats_blp.response(200, HallStatsOut)
    @hall_stats_blp.alt_response(403, description=REFUSED)
    @hall_stats_blp.alt_response(404, description=NO_HALL)
    def get(self, args):
        """A hall's figures per service, window, clerk, day or hour, for the city days
        `from`…`to` (at most 366)."""
        return _figures(args)


@hall_stats_blp.route("/halls.csv")
class HallStatsCSV(MethodView):
    @auth_required(*WHO)
    @hall_stats_blp.arguments(HallStatsArgs, location="query")
    @hall_stats_blp.doc(responses=FILE_RESPONSES["csv"])
    @hall_stats_blp.alt_response(403, description=REFUSED)
    @hall_stats_blp.alt_response(404, description=NO_HALL)
    def get(self, args):
        """The same rows as CSV."""
        result = _figures(args)
        return attachment(csv_text(stats.export_rows(result)), "text/csv",
                          stats.export_name(result, "csv"))


@hall_stats_blp.route("/halls.xlsx")
class HallStatsXLSX(MethodView):
    @auth_required(*WHO)
    @hall_stats_blp.arguments(HallStatsArgs, location="query")
    @hall_stats_blp.doc(responses=FILE_RESPONSES["xlsx"])
    @hall_stats_blp.alt_response(403, description=REFUSED)
    @hall_stats_blp.alt_response(404, description=NO_HALL)
    def get(self, args):
        """The same rows as an Excel workbook."""
        result = _figures(args)
        return attachment(xlsx_bytes([("hall", stats.export_rows(result))]), XLSX,
                          stats.export_name(result, "xlsx"))
