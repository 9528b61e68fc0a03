"""Attendance for supervisors: a worker's month, every worker's month (the console's table),
monthly summaries per worker and per region (月度汇总), and their CSV and Excel exports."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import datetime

from backend.accounts import services as accounts
from backend.attendance.days import STATUSES, Day, compute_days, month_bounds
from backend.common import geo
from backend.common.auth import WORKER, RegionScope
from backend.common.exports import xlsx_bytes
from backend.common.time import city_zone
from backend.regions import services as regions


def _workers_in(scope: RegionScope, region_id: uuid.UUID | None) -> list:
    workers, page = [], 1
    while True:
        batch = accounts.list_accounts(scope, role=WORKER, region_id=region_id, page=page,
                                       per_page=1000, is_active=None)
        workers += batch.items
        if page >= batch.pages:
            return workers
        page += 1


def worker_month(scope: RegionScope, worker_id: uuid.UUID, month: str) -> dict:
    """One worker's days of a month (the console's calendar)."""
    worker = accounts.get_account(scope, worker_id)
    first, last = month_bounds(month)
    return {"worker": worker, "month": month,
            "days": compute_days([worker], first, last)[worker.id]}


def month_calendar(scope: RegionScope, month: str, region_id: uuid.UUID | None = None, *,
                   now: datetime | None = None) -> dict:
    """Every worker's days of a month, for the console's table (worker × day)."""
    first, last = month_bounds(month)
    if region_id:
        regions.get_region(scope, region_id)
    workers = _workers_in(scope, region_id)
    days = compute_days(workers, first, last, now=now)
    return {"month": month, "workers": [{"worker": w, "region": w.region, "days": days[w.id]}
                                        for w in workers]}


def _counts(days: list[Day]) -> dict:
    counter = Counter(status for day in days for status in day.statuses)
    return {"workdays": sum(1 for d in days if d.shift is not None and not d.is_rest_day),
            **{status: counter.get(status, 0) for status in STATUSES},
            "accuracy_flagged": sum(1 for d in days if d.is_accuracy_flagged)}


def month_summary(scope: RegionScope, month: str, region_id: uuid.UUID | None = None, *,
                  now: datetime | None = None) -> dict:
    """Per worker and per child region of `region_id` (default: the caller's region), the
    number of days of each status in a month (月度汇总)."""
    first, last = month_bounds(month)
    root = regions.get_region(scope, region_id) if region_id else None
    workers = _workers_in(scope, region_id)
    days = compute_days(workers, first, last, now=now)
    rows = [{"worker": w, "region": w.region, **_counts(days[w.id])} for w in workers]
    children = regions.list_regions(scope, parent_id=root.id, per_page=10_000).items if root \
        else _top_regions(scope)
    by_region: dict[uuid.UUID, list[dict]] = defaultdict(list)
    for row in rows:
        path = row["region"].path if row["region"] else ""
        child = next((c for c in children if path.startswith(c.path)), None)
        if child is not None:
            by_region[child.id].append(row)
    region_rows = [{"region": c, "workers": len(by_region[c.id]),
                    **{key: sum(r[key] for r in by_region[c.id])
                       for key in ("workdays", *STATUSES, "accuracy_flagged")}}
                   for c in children]
    return {"month": month, "region": root, "workers": rows, "regions": region_rows}


def _top_regions(scope: RegionScope) -> list:
    """The regions a summary without a region groups by: the caller's own region's children
    (a supervisor), or the city's districts (an admin)."""
    if scope.everything:
        cities = regions.list_regions(scope, level="city", per_page=10).items
        return regions.list_regions(scope, parent_id=cities[0].id, per_page=10_000).items \
            if cities else []
    if scope.path_prefix is None:
        return []
    own_id = geo.region_id_of_path(scope.path_prefix)
    return regions.list_regions(scope, parent_id=own_id, per_page=10_000).items


# -- exports (CSV, Excel) -------------------------------------------------------------------

SUMMARY_COLUMNS = ["month", "username", "display_name", "region_code", "region_name",
                   "workdays", *STATUSES, "accuracy_flagged"]
DAY_COLUMNS = ["date", "username", "display_name", "shift", "first_in", "last_out",
               "statuses", "accuracy_flagged", "clock_skewed"]


def summary_rows(scope: RegionScope, month: str, region_id: uuid.UUID | None = None) -> list[list]:
    """The monthly summary per worker as rows of plain values, the header first."""
    rows = [SUMMARY_COLUMNS]
    for row in month_summary(scope, month, region_id)["workers"]:
        worker, region = row["worker"], row["region"]
        rows.append([month, worker.username, worker.display_name,
                     region.code if region else "", region.name if region else "",
                     row["workdays"], *(row[s] for s in STATUSES), row["accuracy_flagged"]])
    return rows


def day_rows(scope: RegionScope, month: str, region_id: uuid.UUID | None = None) -> list[list]:
    """Every worker's every day of a month, in the city's local time, the header first."""
    zone = city_zone()

    def local(value):
        return value.astimezone(zone).strftime("%H:%M") if value else ""

    rows = [DAY_COLUMNS]
    for row in month_calendar(scope, month, region_id)["workers"]:
        worker = row["worker"]
        for day in row["days"]:
            shift = f"{local(day.shift_starts_at)}-{local(day.shift_ends_at)}" \
                if day.shift_starts_at and not day.is_rest_day else ""
            rows.append([day.date.isoformat(), worker.username, worker.display_name, shift,
                         local(day.first_in), local(day.last_out), " ".join(day.statuses),
                         int(day.is_accuracy_flagged), int(day.is_clock_skewed)])
    return rows


def month_xlsx(scope: RegionScope, month: str, region_id: uuid.UUID | None = None) -> bytes:
    """The month as an Excel workbook: the summary per worker, and every day."""
    return xlsx_bytes([("summary", summary_rows(scope, month, region_id)),
                       ("days", day_rows(scope, month, region_id))])
