"""The one map (一张图): the cases in a map's view, as points or as clusters, and where the
workers were today.

A view holding few cases gets them one by one (the browser clusters them as it zooms); a
view of many, such as a year's cases at city zoom, gets clusters counted in the database:
cases binned by a square grid whose cell follows the zoom (about CLUSTER_PX pixels wide),
each bin with its count, mean position, counts by status and the overdue count.
Bins are cut from fixed origins, so a bin stays the same while the map pans.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from backend.common.auth import RegionScope
from backend.common.settings import setting
from backend.common.time import city_day_bounds, city_zone, utcnow
from backend.errors import Invalid
from backend.extensions import db
from backend.incidents import cases, workflow
from backend.incidents.models import Report
from backend.patrol import services as patrol
from backend.regions.models import Region
from backend.stats import rollup

_reports = Report.__table__
# The width of a cluster's cell on the screen: a bit more than a cluster marker.
CLUSTER_PX = 60
TILE_PX = 256
# At this zoom and below (a cell about 2 km wide and more), a view of many cases comes as a
# cluster per street, counted from the daily roll-up instead of case by case.
STREET_CLUSTERS_MAX_ZOOM = 12


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, values: list[float]) -> BBox:
        """west,south,east,north in degrees; a box turned inside out or off the globe is 422."""
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            raise _bad_bbox("Four finite numbers: west,south,east,north.")
        box = cls(*values)
        if not (-180 <= box.west < box.east <= 180 and -90 <= box.south < box.north <= 90):
            raise _bad_bbox("Need -180 <= west < east <= 180 and -90 <= south < north <= 90.")
        return box


def _bad_bbox(message: str) -> Invalid:
    return Invalid(message, code="bad_bbox", details={"fields": {"bbox": [message]}})


def cell_degrees(zoom: float, lat: float) -> tuple[float, float]:
    """A cluster cell's (width, height) in degrees at a zoom level, about CLUSTER_PX pixels
    square on a Web Mercator map near `lat` (a degree of latitude is taller there)."""
    width = 360.0 / 2 ** math.floor(zoom) * CLUSTER_PX / TILE_PX
    # Rounded to whole degrees so that the cells do not move while the map pans.
    return width, width * math.cos(math.radians(min(abs(round(lat)), 85)))


def _is_late(now):
    """Open and past its deadline (as cases._is_overdue says of one row)."""
    # is_not(None) first: a case without a deadline is "not late", not unknown, under NOT.
    return sa.and_(_reports.c.deadline_at.is_not(None), _reports.c.deadline_at < now,
                   _reports.c.status.in_(sorted(workflow.OPEN_STATUSES)))


def case_filters(user, *, status: list[str] | None = None, overdue: bool | None = None,
                 category: str | None = None, region_id: uuid.UUID | None = None,
                 start: date | None = None, end: date | None = None, now=None) -> list:
    """The WHERE clauses of the map's filters, in the caller's sight and not deleted; the
    same rules as the case list (cases.list_cases), plus the reporting period in city days."""
    now = now or utcnow()
    where = [cases.visible_to(user), _reports.c.deleted.is_(False)]
    if status:
        where.append(_reports.c.status.in_(status))
    if overdue is not None:
        where.append(_is_late(now) if overdue else sa.not_(_is_late(now)))
    if category:
        where.append(sa.or_(_reports.c.category == category,
                            _reports.c.category.startswith(f"{category}.", autoescape=True)))
    if region_id is not None:
        region = db.session.get(Region, region_id)
        if region is None:
            raise Invalid("The region does not exist.", code="unknown_region")
        where.append(_reports.c.scope_path.startswith(region.path, autoescape=True))
    if start and end and start > end:
        raise Invalid("`from` must not come after `to`.", code="validation_error",
                      details={"fields": {"to": ["Before `from`."]}})
    if start:
        where.append(_reports.c.reported_at >= city_day_bounds(start)[0])
    if end:
        where.append(_reports.c.reported_at < city_day_bounds(end)[1])
    return where


def _floor(value):
    # Both operands are shifted to be positive, so SQLite's truncating cast is a floor too.
    if db.engine.dialect.name == "postgresql":
        return sa.func.floor(value)
    return sa.cast(value, sa.Integer)


def cases_in_view(user, *, bbox: list[float], zoom: float, **filters) -> dict:
    """The cases in a map's view: `points` when at most MAP_POINTS_MAX, else `clusters`."""
    box = BBox.parse(bbox)
    now = utcnow()
    where = [*case_filters(user, now=now, **filters),
             _reports.c.lat.between(box.south, box.north),
             _reports.c.lon.between(box.west, box.east)]
    limit = setting("MAP_POINTS_MAX")
    # Counting stops past the limit: a city-wide view is not counted twice.
    few = sa.select(sa.literal(1)).select_from(_reports).where(*where).limit(limit + 1).subquery()
    if db.session.scalar(sa.select(sa.func.count()).select_from(few)) <= limit:
        return {"mode": "points", "zoom": zoom, **_points(where, now)}
    if zoom <= STREET_CLUSTERS_MAX_ZOOM:
        streets = _street_clusters(user, box, now, **filters)
        if streets is not None:
            return {"mode": "clusters", "zoom": zoom, "cluster_by": "street", **streets}
    return {"mode": "clusters", "zoom": zoom, "cluster_by": "cell",
            **_clusters(where, now, zoom, box)}


def _points(where: list, now) -> dict:
    rows = db.session.execute(sa.select(
        _reports.c.id, _reports.c.code, _reports.c.status, _reports.c.category,
        _reports.c.lat, _reports.c.lon, _reports.c.deadline_at,
        _is_late(now).label("overdue")).where(*where).order_by(
        _reports.c.reported_at.desc(), _reports.c.id.desc())).mappings().all()
    items = [{**row, "overdue": bool(row["overdue"])} for row in rows]
    return {"total": len(items), "points": items, "clusters": []}


def _clusters(where: list, now, zoom: float, box: BBox) -> dict:
    width, height = cell_degrees(zoom, (box.south + box.north) / 2)
    col = _floor((_reports.c.lon + 180.0) / width).label("col")
    row = _floor((_reports.c.lat + 90.0) / height).label("row")
    late = _is_late(now).label("late")
    # Grouped by status and lateness too, with three sums each: fewer aggregates per row than
    # a count per status, and the few groups per cell are folded here.
    query = sa.select(col, row, _reports.c.status, late, sa.func.count().label("n"),
                      sa.func.sum(_reports.c.lat).label("lat"),
                      sa.func.sum(_reports.c.lon).label("lon"),
                      ).where(*where).group_by(col, row, _reports.c.status, late)
    cells: dict[tuple, dict] = {}
    for r in db.session.execute(query):
        cell = cells.setdefault((r.col, r.row), {"count": 0, "lat": 0.0, "lon": 0.0,
                                                 "overdue": 0, "by_status": {}})
        cell["count"] += r.n
        cell["lat"] += float(r.lat)
        cell["lon"] += float(r.lon)
        cell["overdue"] += r.n if r.late else 0
        cell["by_status"][r.status] = cell["by_status"].get(r.status, 0) + r.n
    clusters = sorted(({**c, "lat": c["lat"] / c["count"], "lon": c["lon"] / c["count"]}
                       for c in cells.values()), key=lambda c: -c["count"])
    return {"total": sum(c["count"] for c in clusters), "points": [], "clusters": clusters,
            "cell_deg": [width, height]}


def _street_clusters(user, box: BBox, now, *, status: list[str] | None = None,
                     overdue: bool | None = None, category: str | None = None,
                     region_id: uuid.UUID | None = None, start: date | None = None,
                     end: date | None = None) -> dict | None:
    """Zoomed out, a cluster per street from the daily roll-up (backend/stats/rollup.py): its
    cases' count by status and mean position, with those open and past their deadline
    counted live; a street is in view when that mean position is. None when the roll-up
    cannot answer: a category or overdue filter, a sight or region below street level, a
    roll-up not built yet."""
    if category or overdue is not None or not rollup.is_built():
        return None
    sight, besides = cases.sight_of(user)
    region = db.session.get(Region, region_id) if region_id is not None else None
    if region_id is not None and region is None:
        return None
    path = sight if region is None or sight is None else _narrower(sight, region.path)
    if path is not None and len(path) > rollup.STREET_PATH_LENGTH:
        return None
    statuses = [s for s in workflow.STATUSES if not status or s in status]
    filters = case_filters(user, status=status, region_id=region_id, start=start, end=end,
                           now=now)
    streets: dict[str, dict] = {}
    if path is not None:
        rollup.settle()  # this transaction's own changes, if it made any
        columns = [f"{part}_{s}" for s in statuses for part in ("n", "lat", "lon")]
        rows = rollup.rows_of(rollup.in_days(path, start, end),
                              rollup.case_rollup.c.street_path, columns)
        for street, row in rows.items():
            for s in statuses:
                _add(streets, street, s, row[f"n_{s}"], row[f"lat_{s}"], row[f"lon_{s}"])
    if besides:
        # What the sight holds besides its region (one's own reports, cases dispatched to
        # oneself or one's department, cases followed): counted live, by their own indexes.
        outside = [] if path is None else [sa.not_(_reports.c.scope_path.startswith(
            path, autoescape=True))]
        street = rollup.street_key(_reports.c.scope_path)
        for r in db.session.execute(sa.select(
                street.label("street"), _reports.c.status, sa.func.count().label("n"),
                sa.func.sum(_reports.c.lat).label("lat"), sa.func.sum(_reports.c.lon).label("lon"))
                .where(sa.or_(*besides), *filters, *outside).group_by(street, _reports.c.status)):
            _add(streets, r.street, r.status, r.n, r.lat, r.lon)
    late = rollup.street_key(_reports.c.scope_path)
    for street, n in db.session.execute(sa.select(late, sa.func.count()).where(
            *filters, _is_late(now)).group_by(late)):
        if street in streets:
            streets[street]["overdue"] = n
    clusters = []
    for cell in streets.values():
        if not cell["count"]:
            continue
        lat, lon = cell["lat"] / cell["count"], cell["lon"] / cell["count"]
        if box.south <= lat <= box.north and box.west <= lon <= box.east:
            clusters.append({**cell, "lat": lat, "lon": lon})
    clusters.sort(key=lambda c: -c["count"])
    return {"total": sum(c["count"] for c in clusters), "points": [], "clusters": clusters}


def _add(streets: dict, street: str, status: str, n, lat, lon) -> None:
    if not n:
        return
    cell = streets.setdefault(street, {"count": 0, "lat": 0.0, "lon": 0.0, "overdue": 0,
                                       "by_status": {}})
    cell["count"] += int(n)
    cell["lat"] += float(lat or 0)
    cell["lon"] += float(lon or 0)
    cell["by_status"][status] = cell["by_status"].get(status, 0) + int(n)


def _narrower(a: str, b: str) -> str | None:
    """The deeper of two region paths when one holds the other; None when apart."""
    if b.startswith(a):
        return b
    if a.startswith(b):
        return a
    return None


def workers_of_day(scope: RegionScope, day: date | None) -> dict:
    """Where the workers in the caller's region were on a city day (default: today)."""
    day = day or utcnow().astimezone(city_zone()).date()
    return {"date": day, "items": patrol.worker_positions_of_day(scope, day)}


def map_settings() -> dict:
    """What the console's map needs to know of the deployment: its optional base map."""
    return {"tile_url": setting("MAP_TILE_URL") or None,
            "tile_attribution": setting("MAP_TILE_ATTRIBUTION")}
