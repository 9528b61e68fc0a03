"""Attendance over HTTP: shifts, a worker's month of days, monthly summaries, CSV and Excel."""

from __future__ import annotations

import uuid

from flask.views import MethodView

from backend.attendance import reports, schemas, services
from backend.common.auth import (
    ADMIN,
    SUPERVISOR,
    WORKER,
    auth_required,
    current_scope,
    current_user,
)
from backend.common.exports import attachment, csv_text
from backend.extensions import Blueprint

attendance_blp = Blueprint("attendance", __name__, url_prefix="/api/v1/attendance",
                           description="Shifts, daily results and monthly summaries (考勤).")

CSV_RESPONSE = {"200": {"description": "UTF-8 CSV with a byte-order mark (opens in Excel).",
                        "content": {"text/csv": {"schema": {"type": "string"}}}}}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_RESPONSE = {"200": {"description": "An Excel workbook: sheets `summary` and `days`.",
                         "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}


@attendance_blp.route("/shifts")
class Shifts(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @attendance_blp.response(200, schemas.ShiftListOut)
    def get(self):
        """Shifts of the regions and workers in my scope."""
        return {"items": services.list_shifts(current_scope())}

    @auth_required(ADMIN, SUPERVISOR)
    @attendance_blp.arguments(schemas.ShiftIn)
    @attendance_blp.response(200, schemas.ShiftOut)
    def put(self, args):
        """Set (create or replace) the shift of a region or a worker in my scope."""
        return services.set_shift(current_scope(), **args)


@attendance_blp.route("/shifts/<uuid:shift_id>")
class ShiftById(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @attendance_blp.response(204)
    def delete(self, shift_id: uuid.UUID):
        """Remove a shift in my scope."""
        services.delete_shift(current_scope(), shift_id)


@attendance_blp.route("/days")
class WorkerDays(MethodView):
    @auth_required(ADMIN, SUPERVISOR, WORKER)
    @attendance_blp.arguments(schemas.WorkerMonthArgs, location="query")
    @attendance_blp.response(200, schemas.WorkerMonthOut)
    def get(self, args):
        """A worker's days of a month with their punches and results (a worker: their own)."""
        user = current_user()
        worker_id = services.own_or_supervised(user, args.get("worker_id"))
        return reports.worker_month(current_scope(), worker_id, args["month"])


@attendance_blp.route("/summary")
class Summary(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @attendance_blp.arguments(schemas.MonthArgs, location="query")
    @attendance_blp.response(200, schemas.SummaryOut)
    def get(self, args):
        """Days of each result per worker and per child region, for a month (月度汇总)."""
        return reports.month_summary(current_scope(), args["month"], args.get("region_id"))


@attendance_blp.route("/calendar")
class Calendar(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @attendance_blp.arguments(schemas.MonthArgs, location="query")
    @attendance_blp.response(200, schemas.CalendarOut)
    def get(self, args):
        """Every worker's results day by day for a month (the console's table and calendar)."""
        return reports.month_calendar(current_scope(), args["month"], args.get("region_id"))


@attendance_blp.route("/summary.csv")
class SummaryCSV(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @attendance_blp.arguments(schemas.MonthArgs, location="query")
    @attendance_blp.doc(responses=CSV_RESPONSE)
    def get(self, args):
        """The monthly summary per worker, as CSV."""
        rows = reports.summary_rows(current_scope(), args["month"], args.get("region_id"))
        return attachment(csv_text(rows), "text/csv", f"attendance-summary-{args['month']}.csv")


@attendance_blp.route("/days.csv")
class DaysCSV(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @attendance_blp.arguments(schemas.MonthArgs, location="query")
    @attendance_blp.doc(responses=CSV_RESPONSE)
    def get(self, args):
        """Every worker's every day of a month, as CSV."""
        rows = reports.day_rows(current_scope(), args["month"], args.get("region_id"))
        return attachment(csv_text(rows), "text/csv", f"attendance-days-{args['month']}.csv")


@attendance_blp.route("/month.xlsx")
class MonthXLSX(MethodView):
    @auth_required(ADMIN, SUPERVISOR)
    @attendance_blp.arguments(schemas.MonthArgs, location="query")
    @attendance_blp.doc(responses=XLSX_RESPONSE)
    def get(self, args):
        """The month as an Excel workbook: the summary per worker and every day."""
        body = reports.month_xlsx(current_scope(), args["month"], args.get("region_id"))
        return attachment(body, XLSX, f"attendance-{args['month']}.xlsx")
