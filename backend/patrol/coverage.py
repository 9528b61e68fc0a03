"""Patrol coverage (巡查覆盖率): how much of a grid was walked, on a lattice of cells.

Pure geometry, no database: a lattice of square cells (about `cell_m` on a side) is laid
over the grid from the south-west corner of its bounding box; a cell is covered when a
walked track passes through it. Tracks are the trusted points of a patrol in time order;
the straight segment between two consecutive points is sampled every `step_m`, so that a
worker walking fast past a cell (few fixes) still covers it. A segment longer than
`max_gap_m` is a gap in the recording (signal lost, phone in a pocket), not a walk: only
its ends count.

The share is by area: each cell weighs its part inside the grid, so half a cell at the
edge counts half. Over a few kilometres the plate carrée around the grid's middle
latitude is a linear map, so cells are boxes in degrees and area ratios in square degrees
equal ratios in square metres.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from backend.common import geo

CELL_M = 50.0
SAMPLE_STEP_M = 10.0
MAX_GAP_M = 200.0
# A grid is a few hundred metres across; a lattice finer than this is a mistake, not a map.
MAX_CELLS_PER_GRID = 250_000
# Of a cell, a part too small to be anything but rounding (0.05 mm of a 50 m cell).
SLIVER = 1e-6


class TooManyCells(ValueError):
    """The lattice would have more cells than MAX_CELLS_PER_GRID."""


def sample_tracks(tracks: Iterable[Sequence[tuple[float, float]]], *, step_m: float = SAMPLE_STEP_M,
                  max_gap_m: float = MAX_GAP_M) -> np.ndarray:
    """Points along every track, (lon, lat) rows: each track's points and, between two
    consecutive ones no further apart than max_gap_m, a point every step_m or less."""
    parts = []
    for track in tracks:
        points = np.asarray(track, dtype=float).reshape(-1, 2)
        if len(points) < 2:
            parts.append(points)
            continue
        a, b = points[:-1], points[1:]
        per_lon, per_lat = geo.metres_per_degree((a[:, 1] + b[:, 1]) / 2)
        length_m = np.hypot((b[:, 0] - a[:, 0]) * per_lon, (b[:, 1] - a[:, 1]) * per_lat)
        # Intervals per segment: the segment's start and the points inside it; the end is
        # the next segment's start (the track's last point is added once at the end).
        steps = np.where(length_m <= max_gap_m, np.ceil(length_m / step_m), 1).astype(int)
        steps = np.maximum(steps, 1)
        segment = np.repeat(np.arange(len(a)), steps)
        first = np.repeat(np.cumsum(steps) - steps, steps)
        fraction = (np.arange(len(segment)) - first) / steps[segment]
        parts.append(a[segment] + (b[segment] - a[segment]) * fraction[:, None])
        parts.append(points[-1:])
    return np.concatenate(parts) if parts else np.empty((0, 2))


@dataclass(frozen=True)
class CellLattice:
    """The cells laid over one grid: those with part of the grid inside them."""

    min_lon: float
    min_lat: float
    cell_lon: float
    cell_lat: float
    columns: int
    rows: int
    # Flat indices (row * columns + column) of the cells that overlap the grid, and the
    # share of the grid's area inside each (they sum to 1).
    index: np.ndarray
    weight: np.ndarray

    def cell_bounds(self, flat: np.ndarray) -> np.ndarray:
        """[min_lon, min_lat, max_lon, max_lat] of these cells (flat indices)."""
        column, row = flat % self.columns, flat // self.columns
        west = self.min_lon + column * self.cell_lon
        south = self.min_lat + row * self.cell_lat
        return np.column_stack([west, south, west + self.cell_lon, south + self.cell_lat])


def lay_cells(grid: BaseGeometry, cell_m: float = CELL_M) -> CellLattice:
    """The lattice of about cell_m × cell_m cells over a grid's polygon."""
    min_lon, min_lat, max_lon, max_lat = grid.bounds
    per_lon, per_lat = geo.metres_per_degree((min_lat + max_lat) / 2)
    cell_lon, cell_lat = cell_m / float(per_lon), cell_m / float(per_lat)
    # A grid n cells wide but for rounding gets n columns, not a sliver of an n+1th.
    columns = max(1, math.ceil((max_lon - min_lon) / cell_lon - SLIVER))
    rows = max(1, math.ceil((max_lat - min_lat) / cell_lat - SLIVER))
    if columns * rows > MAX_CELLS_PER_GRID:
        raise TooManyCells(f"{columns * rows} cells of {cell_m:g} m over one grid")
    flat = np.arange(columns * rows)
    boxes = shapely.box(min_lon + flat % columns * cell_lon, min_lat + flat // columns * cell_lat,
                        min_lon + (flat % columns + 1) * cell_lon,
                        min_lat + (flat // columns + 1) * cell_lat)
    shapely.prepare(grid)
    touching = shapely.intersects(grid, boxes)
    boxes = boxes[touching]
    # Only cells across the boundary need clipping; the rest are whole cells.
    area = np.full(len(boxes), cell_lon * cell_lat)
    edge = ~shapely.contains_properly(grid, boxes)
    area[edge] = shapely.area(shapely.intersection(boxes[edge], grid))
    # A cell that only touches the edge, or holds a rounding error's worth, is not the grid's.
    keep = area > SLIVER * cell_lon * cell_lat
    total = area[keep].sum()
    return CellLattice(min_lon, min_lat, cell_lon, cell_lat, columns, rows,
                       index=flat[touching][keep],
                       weight=area[keep] / total if total > 0 else area[keep])


def covered_cells(lattice: CellLattice, samples: np.ndarray) -> np.ndarray:
    """Which of the lattice's cells (a mask over lattice.index) hold a sample point."""
    if not len(samples) or not len(lattice.index):
        return np.zeros(len(lattice.index), dtype=bool)
    column = np.floor((samples[:, 0] - lattice.min_lon) / lattice.cell_lon).astype(np.int64)
    row = np.floor((samples[:, 1] - lattice.min_lat) / lattice.cell_lat).astype(np.int64)
    # A point on the lattice's east or north edge belongs to the last cell, not past it.
    column[(column == lattice.columns)
           & (samples[:, 0] <= lattice.min_lon + lattice.columns * lattice.cell_lon)] -= 1
    row[(row == lattice.rows) & (samples[:, 1] <= lattice.min_lat + lattice.rows * lattice.cell_lat)] -= 1
    inside = (column >= 0) & (column < lattice.columns) & (row >= 0) & (row < lattice.rows)
    hit = np.unique(row[inside] * lattice.columns + column[inside])
    return np.isin(lattice.index, hit)


@dataclass(frozen=True)
class Coverage:
    cells_total: int
    cells_covered: int
    # Of the grid's area, the share inside covered cells, 0..1.
    covered_share: float
    # [min_lon, min_lat, max_lon, max_lat] of each covered cell.
    covered_bounds: np.ndarray


def grid_coverage(lattice: CellLattice, samples: np.ndarray) -> Coverage:
    """How much of one grid the sampled tracks cover."""
    mask = covered_cells(lattice, samples)
    return Coverage(cells_total=int(len(lattice.index)), cells_covered=int(mask.sum()),
                    covered_share=round(float(lattice.weight[mask].sum()), 4),
                    covered_bounds=lattice.cell_bounds(lattice.index[mask]))


class SampleIndex:
    """Sample points sorted by longitude, so that the ones within a grid's bounding box are
    found without scanning all of them for every grid of a district."""

    def __init__(self, samples: np.ndarray) -> None:
        order = np.argsort(samples[:, 0], kind="stable") if len(samples) else np.arange(0)
        self._samples = samples[order]
        self._lons = self._samples[:, 0]

    def within(self, bounds: tuple[float, float, float, float]) -> np.ndarray:
        min_lon, min_lat, max_lon, max_lat = bounds
        start = np.searchsorted(self._lons, min_lon, side="left")
        end = np.searchsorted(self._lons, max_lon, side="right")
        band = self._samples[start:end]
        return band[(band[:, 1] >= min_lat) & (band[:, 1] <= max_lat)]
