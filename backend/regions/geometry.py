"""Checking region boundaries: GeoJSON Polygon or MultiPolygon, WGS 84.

Raw coordinates are checked before Shapely sees them, because Shapely quietly closes
open rings and we want to tell the person who drew the file what is wrong.
"""

from __future__ import annotations

import json
import math

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity


class GeometryError(ValueError):
    """A boundary that cannot be used, with a reason a person can act on."""


def _check_position(position, where: str) -> list[float]:
    if not isinstance(position, (list, tuple)) or len(position) < 2:
        raise GeometryError(f"{where}: a position is [longitude, latitude]")
    lon, lat = position[0], position[1]
    for value in (lon, lat):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise GeometryError(f"{where}: coordinates must be finite numbers")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise GeometryError(f"{where}: ({lon}, {lat}) is not a longitude/latitude pair")
    return [float(lon), float(lat)]


def _check_polygon(rings, where: str) -> list[list[list[float]]]:
    if not isinstance(rings, list) or not rings:
        raise GeometryError(f"{where}: a polygon is a non-empty list of rings")
    checked = []
    for r, ring in enumerate(rings):
        label = f"{where} ring {r}"
        if not isinstance(ring, list) or len(ring) < 4:
            raise GeometryError(f"{label}: a ring needs at least 4 positions")
        positions = [_check_position(p, label) for p in ring]
        if positions[0] != positions[-1]:
            raise GeometryError(f"{label}: the ring is not closed (first and last positions differ)")
        checked.append(positions)
    return checked


def normalize_boundary(geometry) -> dict:
    """The geometry with its coordinates checked and reduced to 2-D; raises GeometryError."""
    if not isinstance(geometry, dict):
        raise GeometryError("the boundary must be a GeoJSON geometry object")
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": _check_polygon(coordinates, "polygon")}
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError("a MultiPolygon is a non-empty list of polygons")
        return {"type": "MultiPolygon", "coordinates": [
            _check_polygon(polygon, f"polygon {p}") for p, polygon in enumerate(coordinates)]}
    raise GeometryError(f"the boundary must be a Polygon or MultiPolygon, not {kind!r}")


def parse_boundary(geometry) -> tuple[dict, BaseGeometry]:
    """Check a boundary fully: coordinates, closed rings, a valid polygon with an area."""
    normalized = normalize_boundary(geometry)
    polygon = shape(normalized)
    if not polygon.is_valid:
        raise GeometryError(f"invalid polygon: {explain_validity(polygon)}")
    if polygon.area <= 0:
        raise GeometryError("the polygon has no area")
    return normalized, polygon


def boundary_text(normalized: dict) -> str:
    return json.dumps(normalized, separators=(",", ":"))


def share_outside(child: BaseGeometry, parent: BaseGeometry) -> float:
    """How much of the child (as a share of its area) lies outside the parent."""
    if parent.covers(child):
        return 0.0
    return shapely.difference(child, parent).area / child.area
