"""Which grid is this point in (网格定位)? An in-memory index over every grid's boundary.

Built once per process and per regions revision (see services.grid_index). A uniform
bucket lattice over the city answers most points with one or two point-in-polygon
tests on prepared geometries; crowded buckets fall back to the STRtree.

A point on a boundary shared by several grids belongs to the first of them in id
order, whichever way it is asked (locate or locate_many) and however the rows came in.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import shapely

# About this many buckets per grid: most buckets then meet one to three grids.
BUCKETS_PER_GRID = 4
MAX_BUCKETS = 1_000_000
# A bucket meeting more grids than this asks the STRtree instead of testing each one.
MAX_LINEAR_CANDIDATES = 8


class GridIndex:
    """Point-in-grid lookup over (region_id, boundary GeoJSON text) rows of grids."""

    def __init__(self, rows: Iterable[Sequence[Any]]):
        pairs = sorted(((row[0], row[1]) for row in rows), key=lambda pair: pair[0])
        self._ids: list[uuid.UUID] = [region_id for region_id, _ in pairs]
        texts = np.array([text for _, text in pairs], dtype=object)
        self._geoms = shapely.from_geojson(texts) if len(texts) else np.empty(0, dtype=object)
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)
        self._geom_list = list(self._geoms)
        self._build_buckets()

    def __len__(self) -> int:
        return len(self._ids)

    def _build_buckets(self) -> None:
        count = len(self._ids)
        self._nx = self._ny = 0
        self._buckets: list[tuple[int, ...]] = []
        self._whole: list[bool] = []
        if count == 0:
            return
        x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(self._geoms))
        width, height = max(x1 - x0, 1e-12), max(y1 - y0, 1e-12)
        wanted = min(MAX_BUCKETS, BUCKETS_PER_GRID * count)
        nx = max(1, round(math.sqrt(wanted * width / height)))
        ny = max(1, math.ceil(wanted / nx))
        self._x0, self._y0 = x0, y0
        self._nx, self._ny = nx, ny
        self._inv_dx, self._inv_dy = nx / width, ny / height

        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
        ix, iy = ix.ravel(), iy.ravel()
        # Slightly larger than the buckets, so that rounding in _first_hit cannot put a
        # point in a bucket whose candidates miss its grid.
        eps = 1e-9 * max(width, height)
        boxes = shapely.box(x0 + ix * width / nx - eps, y0 + iy * height / ny - eps,
                            x0 + (ix + 1) * width / nx + eps, y0 + (iy + 1) * height / ny + eps)
        bucket, grid = self._tree.query(boxes, predicate="intersects")
        order = np.lexsort((grid, bucket))
        bucket, grid = bucket[order], grid[order]
        starts = np.searchsorted(bucket, np.arange(len(boxes) + 1))
        grid_list = grid.tolist()
        self._buckets = [tuple(grid_list[starts[b]:starts[b + 1]]) for b in range(len(boxes))]
        # A bucket that meets a single grid which covers it needs no geometry test at all.
        single = np.flatnonzero(np.diff(starts) == 1)
        whole = np.zeros(len(boxes), dtype=bool)
        if len(single):
            whole[single] = shapely.covers(self._geoms[grid[starts[single]]], boxes[single])
        self._whole = whole.tolist()

    def _first_hit(self, lon: float, lat: float) -> int | None:
        fx = (lon - self._x0) * self._inv_dx
        fy = (lat - self._y0) * self._inv_dy
        if not (0 <= fx <= self._nx and 0 <= fy <= self._ny):
            return None
        b = min(int(fy), self._ny - 1) * self._nx + min(int(fx), self._nx - 1)
        candidates = self._buckets[b]
        if self._whole[b]:
            return candidates[0]
        if len(candidates) > MAX_LINEAR_CANDIDATES:
            hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
            return int(hits.min()) if len(hits) else None
        geoms = self._geom_list
        for i in candidates:
            if shapely.intersects_xy(geoms[i], lon, lat):
                return i
        return None

    def locate(self, lon: float, lat: float) -> uuid.UUID | None:
        """The id of the grid containing the point (boundary included), or None."""
        if not self._ids:
            return None
        i = self._first_hit(float(lon), float(lat))
        return None if i is None else self._ids[i]

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[uuid.UUID | None]:
        """locate() for many points at once, in one STRtree query."""
        lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
        found: list[uuid.UUID | None] = [None] * len(lons)
        if not self._ids or not len(lons):
            return found
        point, grid = self._tree.query(shapely.points(lons, lats), predicate="intersects")
        order = np.lexsort((grid, point))
        point, grid = point[order], grid[order]
        first = np.flatnonzero(np.r_[True, point[1:] != point[:-1]]) if len(point) else []
        for p, g in zip(point[first].tolist(), grid[first].tolist(), strict=True):
            found[p] = self._ids[g]
        return found
