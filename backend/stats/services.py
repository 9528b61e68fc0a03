"""Case figures per child region for a period, counted in the database (one grouped query).

A case counts for the period it was reported in (the city's days `from`…`to`, both whole),
and for the region whose subtree holds it. Per region:

- `total` reported; `registered`: went into the loop (立案), closed ones included;
- `closed`, of which `closed_on_spot` (网格微循环: closed by the reporter, never dispatched);
  `cancelled`; `open` (neither closed nor cancelled);
- `overdue`: open and past the deadline now;
- `closed_on_time`: closed no later than the deadline; `on_time_rate` = closed_on_time / closed;
- `avg_handling_h`: mean clock hours from report to closing, over the closed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from backend.common.auth import RegionScope
from backend.common.time import city_day_bounds, city_zone, utcnow
from backend.errors import Invalid, NotFound
from backend.extensions import db
from backend.incidents import workflow
from backend.incidents.models import Report
from backend.regions.models import Region

_reports = Report.__table__
# A region path is "/<id>/<id>/…/": each level adds one uuid and a slash.
SEGMENT = len(str(uuid.UUID(int=0))) + 1
MAX_DAYS = 366 * 3
COUNTS = ("total", "registered", "closed", "closed_on_spot", "cancelled", "open", "overdue",
          "closed_on_time")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def of(cls, start: date | None, end: date | None) -> Period:
        today = utcnow().astimezone(city_zone()).date()
        end = end or today
        start = start or end - timedelta(days=29)
        if start > end:
            raise Invalid("`from` must not come after `to`.", code="validation_error",
                          details={"fields": {"to": ["Before `from`."]}})
        if (end - start).days >= MAX_DAYS:
            raise Invalid(f"At most {MAX_DAYS} days at once.", code="validation_error",
                          details={"fields": {"from": ["Period too long."]}})
        return cls(start, end)


def _root_for(scope: RegionScope, region_id: uuid.UUID | None) -> Region:
    """The region asked for (in the caller's scope), or the top of the caller's scope."""
    if region_id is not None:
        region = db.session.get(Region, region_id)
        if region is None or not scope.covers(region.path):
            raise NotFound("No such region.")
        return region
    query = sa.select(Region).order_by(sa.func.length(Region.path)).limit(1)
    if not scope.everything:
        query = query.where(Region.path == scope.path_prefix)
    region = db.session.scalar(query)
    if region is None:
        raise NotFound("No region to report on.")
    return region


def _handling_hours(dialect: str):
    closed = sa.and_(_reports.c.status == "closed", _reports.c.closed_at.is_not(None))
    if dialect == "postgresql":
        span = sa.extract("epoch", _reports.c.closed_at - _reports.c.reported_at) / 3600.0
    else:
        span = (sa.func.julianday(_reports.c.closed_at) - sa.func.julianday(_reports.c.reported_at)) * 24.0
    return sa.func.avg(sa.case((closed, span)))


def case_figures(scope: RegionScope, *, region_id: uuid.UUID | None = None,
                 start: date | None = None, end: date | None = None) -> dict:
    """{"region", "from", "to", "items": one per child region (or the region itself when it
    has none), "total": the same figures for the whole region}."""
    root = _root_for(scope, region_id)
    period = Period.of(start, end)
    since, _ = city_day_bounds(period.start)
    _, until = city_day_bounds(period.end)
    children = list(db.session.scalars(sa.select(Region).where(
        Region.parent_id == root.id).order_by(Region.code)))
    units = children or [root]
    prefix_length = len(root.path) + (SEGMENT if children else 0)
    now = utcnow()
    status = _reports.c.status
    is_open = status.in_(sorted(workflow.OPEN_STATUSES))
    # A closed case that went through the loop was dispatched, to a department or a worker;
    # one closed on the spot never was.
    on_spot = sa.and_(_reports.c.department_id.is_(None), _reports.c.assignee_id.is_(None))

    def count(condition):
        return sa.func.count(sa.case((condition, 1)))

    unit = sa.func.substr(_reports.c.scope_path, 1, prefix_length).label("unit")
    figures = [
        sa.func.count().label("total"),
        count(status.in_(("registered", "dispatched", "handled", "verified"))
              | sa.and_(status == "closed", sa.not_(on_spot))).label("registered"),
        count(status == "closed").label("closed"),
        count(sa.and_(status == "closed", on_spot)).label("closed_on_spot"),
        count(status == "cancelled").label("cancelled"),
        count(is_open).label("open"),
        count(sa.and_(is_open, _reports.c.deadline_at < now)).label("overdue"),
        count(sa.and_(status == "closed", _reports.c.closed_at <= _reports.c.deadline_at)
              ).label("closed_on_time"),
        _handling_hours(db.session.get_bind().dialect.name).label("avg_handling_h"),
    ]
    query = (sa.select(unit, *figures)
             .where(_reports.c.deleted.is_(False),
                    _reports.c.scope_path.startswith(root.path, autoescape=True),
                    _reports.c.reported_at >= since, _reports.c.reported_at < until)
             .group_by(unit))
    by_unit = {row.unit: row._asdict() for row in db.session.execute(query)}
    items = [_figures(region, by_unit.get(region.path)) for region in units]
    return {"region": root, "from": period.start, "to": period.end, "items": items,
            "total": _figures(root, _sum(by_unit.values()))}


def _sum(rows) -> dict | None:
    rows = list(rows)
    if not rows:
        return None
    total = {key: sum(row[key] for row in rows) for key in COUNTS}
    handled = [(row["avg_handling_h"], row["closed"]) for row in rows
               if row["avg_handling_h"] is not None and row["closed"]]
    weight = sum(n for _, n in handled)
    total["avg_handling_h"] = sum(h * n for h, n in handled) / weight if weight else None
    return total


def _figures(region: Region, row: dict | None) -> dict:
    row = row or {}
    out = {"region_id": region.id, "code": region.code, "name": region.name,
           "level": region.level}
    for key in COUNTS:
        out[key] = int(row.get(key) or 0)
    out["on_time_rate"] = round(out["closed_on_time"] / out["closed"], 4) if out["closed"] else None
    hours = row.get("avg_handling_h")
    out["avg_handling_h"] = round(float(hours), 1) if hours is not None else None
    return out


HEADERS = {"zh": ("区域编码", "区域", "上报", "立案", "结案", "现场处置", "作废", "未结", "超期",
                  "按期结案", "按期结案率", "平均办理时长（小时）"),
           "en": ("code", "region", "reported", "registered", "closed", "closed on the spot",
                  "cancelled", "open", "overdue", "closed on time", "on-time rate",
                  "average hours to close")}


def figure_rows(result: dict, language: str = "zh") -> list[list]:
    """The table as rows (a header, a row per region, the total), for CSV and Excel."""
    headers = HEADERS["en" if language.startswith("en") else "zh"]
    rows = [list(headers)]
    for item in [*result["items"], {**result["total"], "name": f"{result['total']['name']}（合计）"
                                     if not language.startswith("en")
                                     else f"{result['total']['name']} (total)"}]:
        rows.append([item["code"], item["name"], *(item[key] for key in COUNTS),
                     item["on_time_rate"], item["avg_handling_h"]])
    return rows
