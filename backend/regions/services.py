"""The grid hierarchy: reading within scope, point-in-grid lookup, and admin edits."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

import shapely
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from backend.common import geo
from backend.common.auth import RegionScope
from backend.common.paging import Page, paginate
from backend.common.settings import process_cache, setting
from backend.common.transactions import commit_or_conflict
from backend.errors import Conflict, Invalid, NotFound
from backend.extensions import db
from backend.regions.geometry import GeometryError, boundary_text, parse_boundary, share_outside
from backend.regions.grid_index import GridIndex
from backend.regions.models import LEVELS, Region, RegionsRevision, child_level
from backend.regions.sync import region_change
from backend.sync_adapter.services import log_reference_changes

MAX_GEOJSON_FEATURES = 5000


# -- reading ---------------------------------------------------------------------------

def get_region(scope: RegionScope, region_id: uuid.UUID) -> Region:
    """A region the caller may see; anything else is 'not found', whether it exists or not."""
    region = db.session.get(Region, region_id)
    if region is None or not scope.covers(region.path):
        raise NotFound("No such region.")
    return region


def boundary_shape(region: Region) -> shapely.Geometry:
    """The region's boundary, prepared for many point tests."""
    shape = shapely.from_geojson(region.boundary_geojson)
    shapely.prepare(shape)
    return shape


def boundary_of_path(path: str | None) -> shapely.Geometry | None:
    """The boundary of the region a path ends at (a worker's grid: their fence), prepared;
    None for no path or a region that is gone."""
    region = db.session.get(Region, geo.region_id_of_path(path)) if path else None
    return boundary_shape(region) if region is not None else None


def lineage(region: Region) -> list[Region]:
    """The region's ancestors from the city down, ending with the region itself."""
    ids = region.ancestor_ids()
    by_id = {r.id: r for r in db.session.scalars(select(Region).where(Region.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def _filtered(scope: RegionScope, *, parent_id=None, level=None, q=None, code=None):
    query = select(Region).where(scope.filter(Region.path))
    if parent_id is not None:
        query = query.where(Region.parent_id == parent_id)
    if level:
        query = query.where(Region.level == level)
    if code:
        query = query.where(Region.code == code)
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(or_(Region.name.like(pattern), Region.code.like(pattern)))
    return query


def list_regions(scope: RegionScope, *, page: int = 1, per_page: int = 50, **filters) -> Page:
    query = _filtered(scope, **filters).order_by(
        func.length(Region.path), Region.code)
    return paginate(query, page, per_page)


def regions_geojson(scope: RegionScope, *, bbox=None, **filters) -> dict:
    """A FeatureCollection for the map, capped so one request cannot ship the whole city."""
    query = _filtered(scope, **filters)
    if bbox:
        min_lon, min_lat, max_lon, max_lat = bbox
        query = query.where(Region.max_lon >= min_lon, Region.min_lon <= max_lon,
                            Region.max_lat >= min_lat, Region.min_lat <= max_lat)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    if total > MAX_GEOJSON_FEATURES:
        raise Invalid(f"{total} regions match; narrow it to at most {MAX_GEOJSON_FEATURES} "
                      "with parent_id, level or bbox.", code="too_many_features")
    rows = db.session.scalars(query.order_by(Region.code)).all()
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": str(r.id), "geometry": r.boundary,
        "properties": {"code": r.code, "name": r.name, "level": r.level,
                       "parent_id": str(r.parent_id) if r.parent_id else None},
    } for r in rows]}


# -- point in grid ---------------------------------------------------------------------

_index_lock = threading.Lock()


def current_revision() -> int:
    return db.session.scalar(select(RegionsRevision.revision).where(RegionsRevision.id == 1)) or 0


def grid_index() -> GridIndex:
    """This process's point-in-grid index, rebuilt when the hierarchy's revision moves."""
    revision = current_revision()
    cache = process_cache()
    cached = cache.get("grid_index")
    if cached and cached[0] == revision:
        return cached[1]
    with _index_lock:
        cached = cache.get("grid_index")
        if cached and cached[0] == revision:
            return cached[1]
        rows = db.session.execute(
            select(Region.id, Region.boundary_geojson).where(Region.level == "grid")).all()
        index = GridIndex(rows)
        cache["grid_index"] = (revision, index)
        return index


def grid_at(lat: float, lon: float) -> Region | None:
    """The grid containing the point, whoever asks (for server-computed fields)."""
    grid_id = grid_index().locate(lon, lat)
    return db.session.get(Region, grid_id) if grid_id else None


def ancestor_at(region: Region, level: str) -> Region | None:
    """The region's ancestor (or itself) at a level, e.g. the district of a grid."""
    ids = region.ancestor_ids()
    depth = LEVELS.index(level)
    return db.session.get(Region, ids[depth]) if depth < len(ids) else None


@dataclass(frozen=True)
class GridPlace:
    """A point's grid and that grid's district, as a new record needs them."""

    grid_id: uuid.UUID
    path: str
    district_code: str | None  # None when the grid has no district above it


class GridLocator:
    """grid_at and ancestor_at for many points in one transaction (a sync push).

    The index's revision is read once, not per point, and each grid and its district once:
    those reads were most of the cost of a new report. Make one per transaction, as the
    regions may change between transactions.
    """

    def __init__(self) -> None:
        self._index = grid_index()
        self._places: dict[uuid.UUID, GridPlace | None] = {}

    def place(self, lat: float, lon: float) -> GridPlace | None:
        grid_id = self._index.locate(lon, lat)
        if grid_id is None:
            return None
        if grid_id not in self._places:
            self._places[grid_id] = self._place_of(grid_id)
        return self._places[grid_id]

    @staticmethod
    def _place_of(grid_id: uuid.UUID) -> GridPlace | None:
        grid = db.session.get(Region, grid_id)
        if grid is None:
            return None
        district = ancestor_at(grid, "district")
        return GridPlace(grid_id=grid.id, path=grid.path,
                         district_code=district.code if district else None)


def locate_grid(scope: RegionScope, lat: float, lon: float) -> Region:
    """Which grid is this point in (网格定位)? Only grids the caller may see are answered."""
    grid_id = grid_index().locate(lon, lat)
    region = db.session.get(Region, grid_id) if grid_id else None
    if region is None or not scope.covers(region.path):
        raise NotFound("No grid of yours contains this point.", code="no_grid_here")
    return region


# -- administration (admins only; the views check the role) -----------------------------

def bump_revision() -> None:
    """Count a change to the hierarchy, in the caller's transaction."""
    updated = db.session.execute(
        update(RegionsRevision).where(RegionsRevision.id == 1)
        .values(revision=RegionsRevision.revision + 1))
    if updated.rowcount == 0:
        db.session.add(RegionsRevision(id=1, revision=1))


def _parse(boundary) -> tuple[dict, shapely.Geometry]:
    try:
        return parse_boundary(boundary)
    except GeometryError as error:
        raise Invalid(f"The boundary is not usable: {error}", code="invalid_boundary") from error


def _tolerance() -> float:
    return setting("REGION_CONTAINMENT_TOLERANCE")


def _shape(region: Region) -> shapely.Geometry:
    return shapely.from_geojson(region.boundary_geojson)


def _check_code_free(code: str, region_id: uuid.UUID | None = None) -> None:
    query = select(Region.id).where(Region.code == code)
    if region_id is not None:
        query = query.where(Region.id != region_id)
    if db.session.scalar(query):
        raise Conflict(f"The code '{code}' is taken.", code="code_taken")


def _check_fits(polygon, parent: Region | None, region_id: uuid.UUID | None = None) -> None:
    """Inside the parent, around the children, clear of the siblings — each within tolerance."""
    tolerance = _tolerance()
    if parent is not None and share_outside(polygon, _shape(parent)) > tolerance:
        raise Invalid("The boundary goes outside the parent region.", code="outside_parent")
    if region_id is not None:
        for child in db.session.scalars(select(Region).where(Region.parent_id == region_id)):
            if share_outside(_shape(child), polygon) > tolerance:
                raise Invalid(f"The child region {child.code} would stick out of this boundary.",
                              code="child_outside")
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    siblings = select(Region).where(
        Region.parent_id == (parent.id if parent else None),
        Region.max_lon >= min_lon, Region.min_lon <= max_lon,
        Region.max_lat >= min_lat, Region.min_lat <= max_lat)
    if region_id is not None:
        siblings = siblings.where(Region.id != region_id)
    for sibling in db.session.scalars(siblings):
        other = _shape(sibling)
        overlap = shapely.intersection(polygon, other).area
        if overlap > tolerance * min(polygon.area, other.area):
            raise Invalid(f"The boundary overlaps the neighbouring region {sibling.code}.",
                          code="overlaps_sibling")


def _set_boundary(region: Region, normalized: dict, polygon) -> None:
    region.boundary_geojson = boundary_text(normalized)
    region.min_lon, region.min_lat, region.max_lon, region.max_lat = polygon.bounds


def create_region(*, code: str, name: str, boundary: dict,
                  parent_id: uuid.UUID | None = None) -> Region:
    if parent_id is None:
        if db.session.scalar(select(Region.id).where(Region.parent_id.is_(None))):
            raise Conflict("The city already exists; new regions need a parent.", code="city_exists")
        parent, level = None, LEVELS[0]
    else:
        parent = db.session.get(Region, parent_id)
        if parent is None:
            raise Invalid("The parent region does not exist.", code="unknown_parent")
        level = child_level(parent.level)
        if level is None:
            raise Invalid("A grid is the finest level; it has no children.", code="grid_has_no_children")
    normalized, polygon = _parse(boundary)
    _check_code_free(code.strip())
    _check_fits(polygon, parent)
    region = Region(id=uuid.uuid4(), parent_id=parent_id, level=level, code=code.strip(),
                    name=name.strip())
    region.path = f"{parent.path if parent else '/'}{region.id}/"
    _set_boundary(region, normalized, polygon)
    region.version = 1
    db.session.add(region)
    bump_revision()
    log_reference_changes("regions", [region_change(region.id, 1, region.path)])
    commit_or_conflict(f"The code '{code}' is taken.", "code_taken")
    return region


def update_region(region_id: uuid.UUID, changes: dict) -> Region:
    region = get_region(RegionScope(everything=True), region_id)
    if "boundary" in changes:
        normalized, polygon = _parse(changes["boundary"])
        _check_fits(polygon, region.parent, region.id)
        _set_boundary(region, normalized, polygon)
    if "code" in changes:
        _check_code_free(changes["code"].strip(), region.id)
        region.code = changes["code"].strip()
    if "name" in changes:
        region.name = changes["name"].strip()
    region.version += 1
    bump_revision()
    log_reference_changes("regions", [region_change(region.id, region.version, region.path)])
    commit_or_conflict(f"The code '{region.code}' is taken.", "code_taken")
    return region


def delete_region(region_id: uuid.UUID) -> None:
    region = get_region(RegionScope(everything=True), region_id)
    if db.session.scalar(select(Region.id).where(Region.parent_id == region.id).limit(1)):
        raise Conflict("Delete or move the child regions first.", code="has_children")
    db.session.delete(region)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict("Accounts or records still refer to this region.", code="region_in_use") from error
    bump_revision()
    log_reference_changes("regions", [region_change(region.id, region.version + 1, region.path,
                                                    deleted=True)])
    db.session.commit()
