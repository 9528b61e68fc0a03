"""Geometry on the city's scale: metres per degree, distances, fence verdicts, region paths.

One copy of each rule. The phone computes the same in `pwa/app/geo.js`; both are checked
against the same vectors (tests/geo_vectors.json), so the hint a worker sees and the
server's verdict cannot drift apart.

Distances over the few kilometres a grid spans are measured on a local projection: a
degree's length in metres at the latitude in question, from the WGS 84 ellipsoid's radii
of curvature there. Against the geodesic that is off by < 4e-10 of the length up to
100 m, < 4e-8 up to 1 km, 1e-6 at 5 km and 2e-5 at 20 km, far below GPS error; longer
segments go to geopy's geodesic. The functions take floats or numpy arrays alike.
"""

from __future__ import annotations

import math
import uuid

import numpy as np
import shapely
from geopy.distance import geodesic
from shapely.geometry.base import BaseGeometry

WGS84_A = 6378137.0                                          # semi-major axis, metres
WGS84_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563)     # first eccentricity squared

# Beyond this a segment is measured on the ellipsoid (geopy), not on a local projection;
# up to LOOSE_MAX_M, a jump already known to be too long is not measured exactly.
LOCAL_MAX_M = 1000.0
LOOSE_MAX_M = 20_000.0
# A point this close to a fence's edge is on it: the formulas' rounding, not GPS.
EDGE_TOLERANCE_M = 0.01


def metres_per_degree(lat):
    """(metres per degree of longitude, of latitude) at this latitude (WGS 84)."""
    phi = np.radians(lat)
    sin_phi = np.sin(phi)
    w = 1 - WGS84_E2 * sin_phi * sin_phi
    normal = WGS84_A / np.sqrt(w)            # prime vertical radius of curvature
    meridian = normal * (1 - WGS84_E2) / w   # meridional radius of curvature
    per_degree = math.pi / 180
    return normal * np.cos(phi) * per_degree, meridian * per_degree


def local_distance_m(lat1, lon1, lat2, lon2):
    """Metres between two points on a local projection at their mean latitude."""
    per_lon, per_lat = metres_per_degree((np.asarray(lat1) + lat2) / 2)
    dlon = (np.asarray(lon2) - lon1 + 180) % 360 - 180
    return np.hypot(dlon * per_lon, (np.asarray(lat2) - lat1) * per_lat)


def segment_lengths(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray,
                    allowed_m: np.ndarray | None = None) -> np.ndarray:
    """Metres from each (lat1, lon1) to its (lat2, lon2), as the geodesic on WGS 84.

    Short segments (a track's are metres apart) on the local projection; long ones with
    geopy's geodesic, except (given allowed_m) a jump up to LOOSE_MAX_M that is over 1.01
    times its allowed metres: only known to be too long. Elementwise, so one segment
    measures the same alone as among thousands.
    """
    metres = np.array(local_distance_m(lat1, lon1, lat2, lon2), dtype=float, ndmin=1)
    exact = metres > LOCAL_MAX_M
    if allowed_m is not None:
        exact &= (metres > LOOSE_MAX_M) | (metres <= 1.01 * allowed_m)
    for i in np.flatnonzero(exact):
        metres[i] = geodesic((lat1[i], lon1[i]), (lat2[i], lon2[i])).m
    return metres


def circle_verdict(centre_lat: float, centre_lon: float, radius_m: float,
                   lat: float, lon: float) -> tuple[bool, float]:
    """(inside, metres to the circle's edge) of a point against a circle (a post's, a
    hall's fence); a point on the edge (within a centimetre) is inside, at 0 m."""
    beyond = float(local_distance_m(centre_lat, centre_lon, lat, lon)) - radius_m
    if beyond < EDGE_TOLERANCE_M:
        return True, 0.0
    return False, round(beyond, 2)


def fence_verdict(fence: BaseGeometry, lat: float, lon: float) -> tuple[bool, float]:
    """(inside, metres to the fence's edge) of a point against a polygon (a grid's
    boundary); a point on the edge is inside, at 0 m.

    Inside is decided on the raw coordinates (exact at the edge); the distance on a local
    projection centred on the point, whose scale is exact there.
    """
    if shapely.intersects_xy(fence, lon, lat):
        return True, 0.0
    per_lon, per_lat = metres_per_degree(lat)
    local = shapely.transform(fence, lambda xy: (xy - (lon, lat)) * (per_lon, per_lat))
    distance = float(shapely.distance(local, shapely.Point(0, 0)))
    if distance < EDGE_TOLERANCE_M:
        return True, 0.0
    return False, round(distance, 2)


def region_ids_of_path(path: str) -> list[uuid.UUID]:
    """The region ids of a materialised path ("/<city>/<district>/…/<grid>/"), top first."""
    return [uuid.UUID(part) for part in path.strip("/").split("/") if part]


def region_id_of_path(path: str | None) -> uuid.UUID | None:
    """The id of the region a path ends at (a worker's grid, a supervisor's region)."""
    ids = region_ids_of_path(path) if path else []
    return ids[-1] if ids else None
