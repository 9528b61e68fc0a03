"""Assessment (专项考核) over HTTP: case figures per region, as JSON, CSV or Excel — the same
rows, so an export is exactly what the console shows."""

from __future__ import annotations

from flask.views import MethodView

from backend.common.auth import ADMIN, SUPERVISOR, auth_required, current_scope
from backend.common.exports import attachment, csv_text, xlsx_bytes
from backend.extensions import Blueprint
from backend.stats import schemas, services

stats_blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats",
                      description="Assessment: how cases went, per region, for a period.")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_RESPONSES = {
    "csv": {"200": {"description": "UTF-8 CSV with a byte-order mark (opens in Excel).",
                    "content": {"text/csv": {"schema": {"type": "string"}}}}},
    "xlsx": {"200": {"description": "An Excel workbook with one sheet.",
                     "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
}


def _figures(args) -> dict:
    return services.case_figures(current_scope(), region_id=args.get("region_id"),
                                 start=args.get("start"), end=args.get("end"))


def _filename(result: dict, extension: str) -> str:
    return f"cases-{result['region'].code}-{result['from']}-{result['to']}.{extension}"


@stats_blp.route("/cases")
class CaseStats(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @stats_blp.arguments(schemas.CaseStatsArgs, location="query")
    @stats_blp.response(200, schemas.CaseStatsOut)
    def get(self, args):
        """Case figures per child region of `region_id` for the city days `from`…`to`."""
        return _figures(args)


@stats_blp.route("/cases.csv")
class CaseStatsCSV(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @stats_blp.arguments(schemas.CaseStatsArgs, location="query")
    @stats_blp.doc(responses=FILE_RESPONSES["csv"])
    def get(self, args):
        """The same rows as CSV (headers in `lang`)."""
        result = _figures(args)
        return attachment(csv_text(services.figure_rows(result, args["lang"])), "text/csv",
                     _filename(result, "csv"))


@stats_blp.route("/cases.xlsx")
class CaseStatsXLSX(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @stats_blp.arguments(schemas.CaseStatsArgs, location="query")
    @stats_blp.doc(responses=FILE_RESPONSES["xlsx"])
    def get(self, args):
        """The same rows as an Excel workbook."""
        result = _figures(args)
        return attachment(xlsx_bytes([("cases", services.figure_rows(result, args["lang"]))]), XLSX,
                     _filename(result, "xlsx"))
