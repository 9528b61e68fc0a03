"""Assessment (专项考核) over HTTP: case figures per region, grid worker or department, as JSON,
CSV or Excel — the same rows and columns, so an export is exactly what the console shows —
and the trend over days, weeks or months."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.auth import ADMIN, SUPERVISOR, auth_required, current_scope
from backend.common.exports import attachment, csv_text, xlsx_bytes
from backend.extensions import Blueprint
from backend.stats import schemas, services

stats_blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats",
                      description="Assessment: how cases went, per region, grid worker or "
                                  "department, for a period.\n\n" + schemas.DEFINITIONS)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_RESPONSES = {
    "csv": {"200": {"description": "UTF-8 CSV with a byte-order mark (opens in Excel).",
                    "content": {"text/csv": {"schema": {"type": "string"}}}}},
    "xlsx": {"200": {"description": "An Excel workbook with one sheet.",
                     "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
}


def _figures(args) -> dict:
    return services.case_figures(current_scope(), region_id=args.get("region_id"),
                                 start=args.get("start"), end=args.get("end"),
                                 group_by=args["group_by"])


def _rows(args, result: dict) -> list[list]:
    return services.figure_rows(result, args["lang"], sort=args.get("sort"),
                                descending=args["dir"] == "desc")


def _filename(result: dict, extension: str) -> str:
    by = "" if result["group_by"] == "region" else f"-{result['group_by']}"
    return f"cases-{result['region'].code}{by}-{result['from']}-{result['to']}.{extension}"


@stats_blp.route("/cases")
class CaseStats(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @stats_blp.arguments(schemas.CaseStatsArgs, location="query")
    @stats_blp.response(200, schemas.CaseStatsOut)
    def get(self, args):
        """Case figures per child region of `region_id` (or per grid worker, or department)
        for the cases reported in the city days `from`…`to`."""
        return _figures(args)


@stats_blp.route("/cases.csv")
class CaseStatsCSV(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @stats_blp.arguments(schemas.CaseStatsArgs, location="query")
    @stats_blp.doc(responses=FILE_RESPONSES["csv"])
    def get(self, args):
        """The same rows and columns as CSV (headers in `lang`, rows in `sort` order)."""
        result = _figures(args)
        return attachment(csv_text(_rows(args, result)), "text/csv", _filename(result, "csv"))


@stats_blp.route("/cases.xlsx")
class CaseStatsXLSX(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @stats_blp.arguments(schemas.CaseStatsArgs, location="query")
    @stats_blp.doc(responses=FILE_RESPONSES["xlsx"])
    def get(self, args):
        """The same rows and columns as an Excel workbook."""
        result = _figures(args)
        return attachment(xlsx_bytes([("cases", _rows(args, result))]), XLSX,
                          _filename(result, "xlsx"))


@stats_blp.route("/cases/trend")
class CaseTrend(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @stats_blp.arguments(schemas.TrendArgs, location="query")
    @stats_blp.response(200, schemas.TrendOut)
    def get(self, args):
        """Cases reported, closed and overdue and the on-time rate per city day, week or
        month of `from`…`to`, within `region_id`."""
        return services.case_trend(current_scope(), region_id=args.get("region_id"),
                                   start=args.get("start"), end=args.get("end"),
                                   bucket=args["bucket"])
