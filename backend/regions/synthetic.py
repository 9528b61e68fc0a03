"""Synthetic cities: a lattice of jittered quadrilateral grids with exact-union parents.

Neighbouring cells share the very same float coordinates on their common edge, so
the grids tile the city without gaps or overlaps and every parent is the exact union
of its children. The full-size city (13 districts, 160 streets, 4,701 communities,
12,387 grids) is what we measure the importer and the point-in-grid index on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import shapely

from backend.regions.models import LEVELS

FULL_SIZE = {"districts": 13, "streets": 160, "communities": 4701, "grids": 12387}
# Near 临沂 (Linyi); cells of about 400 m × 400 m (a degree of longitude is shorter here).
FULL_SIZE_LATTICE = {"origin_lon": 118.10, "origin_lat": 34.85, "cell_lon": 0.0044,
                     "cell_lat": 0.0036}
# The full-size lattice is walked in vertical bands this many cells wide (see _band_order).
BAND_WIDTH = 16

Cell = tuple[int, int]


# -- geometry of a lattice ---------------------------------------------------------------

def _lattice_rings(origin_lon: float, origin_lat: float, cell_lon: float, cell_lat: float,
                   rows: int, cols: int, jitter: float, edge_points: int, seed: int,
                   cells: Sequence[Cell]) -> np.ndarray:
    """Closed counter-clockwise rings, one per cell, shape (len(cells), 5 + 4 * edge_points, 2).

    Vertices and edge points are drawn once per lattice vertex and edge, so the two
    cells on either side of an edge read identical floats from the same array.
    """
    rng = np.random.default_rng(seed)
    # Corner positions in cell units; a jitter under 0.25 keeps every quadrilateral simple.
    row_idx, col_idx = np.meshgrid(np.arange(rows + 1), np.arange(cols + 1), indexing="ij")
    vx = col_idx + rng.uniform(-jitter, jitter, (rows + 1, cols + 1))
    vy = row_idx + rng.uniform(-jitter, jitter, (rows + 1, cols + 1))
    vertices = np.stack([vx, vy], axis=-1)

    t = np.arange(1, edge_points + 1) / (edge_points + 1)
    # A small sideways wobble makes the edges look drawn rather than straight.
    wobble = jitter / 4

    def edge_inner(start: np.ndarray, end: np.ndarray, normal_axis: int) -> np.ndarray:
        shape = start.shape[:2] + (edge_points,)
        points = start[..., None, :] + (end - start)[..., None, :] * t[None, None, :, None]
        points[..., normal_axis] += rng.uniform(-wobble, wobble, shape)
        return points

    # horizontal[r, c] runs from vertex (r, c) to (r, c + 1), vertical[r, c] to (r + 1, c).
    horizontal = edge_inner(vertices[:, :-1], vertices[:, 1:], normal_axis=1)
    vertical = edge_inner(vertices[:-1, :], vertices[1:, :], normal_axis=0)

    r = np.array([cell[0] for cell in cells], dtype=np.intp)
    c = np.array([cell[1] for cell in cells], dtype=np.intp)
    rings = np.concatenate([
        vertices[r, c][:, None],
        horizontal[r, c],                      # south edge, west to east
        vertices[r, c + 1][:, None],
        vertical[r, c + 1],                    # east edge, south to north
        vertices[r + 1, c + 1][:, None],
        horizontal[r + 1, c][:, ::-1],         # north edge, east to west
        vertices[r + 1, c][:, None],
        vertical[r, c][:, ::-1],               # west edge, north to south
        vertices[r, c][:, None],
    ], axis=1)
    # Scaling after the walk keeps shared coordinates identical: same inputs, same float ops.
    rings[..., 0] = origin_lon + rings[..., 0] * cell_lon
    rings[..., 1] = origin_lat + rings[..., 1] * cell_lat
    return rings


def _coordinates(geometry: shapely.Geometry) -> dict:
    """GeoJSON geometry with plain lists and full float precision."""
    def rings(polygon) -> list:
        return [np.asarray(polygon.exterior.coords).tolist()] + [
            np.asarray(hole.coords).tolist() for hole in polygon.interiors]

    geometry = shapely.orient_polygons(geometry)
    if geometry.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": rings(geometry)}
    return {"type": "MultiPolygon", "coordinates": [rings(p) for p in geometry.geoms]}


def _feature(level: str, code: str, name: str, parent_code: str | None, geometry: dict) -> dict:
    properties = {"level": level, "code": code, "name": name}
    if parent_code is not None:
        properties["parent_code"] = parent_code
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def lattice_city(*, cells: Mapping[Cell, Sequence[str]], names: Mapping[str, str],
                 city_code: str, city_name: str, origin_lon: float, origin_lat: float,
                 cell_lon: float, cell_lat: float, rows: int, cols: int,
                 jitter: float = 0.2, edge_points: int = 2, seed: int = 0) -> dict:
    """A FeatureCollection from lattice cells and their codes [district, street, community, grid].

    Row 0 is the south edge, column 0 the west. Each parent is the exact union of its
    children. Raises ValueError when a code is given two different parents.
    """
    if not 0 <= jitter < 0.25:
        raise ValueError("jitter must be in [0, 0.25) cell, or quadrilaterals may fold")
    ordered = list(cells)
    for row, col in ordered:
        if not (0 <= row < rows and 0 <= col < cols):
            raise ValueError(f"cell {(row, col)} is outside the {rows} × {cols} lattice")
    rings = _lattice_rings(origin_lon, origin_lat, cell_lon, cell_lat, rows, cols, jitter,
                           edge_points, seed, ordered)
    polygons = shapely.polygons(rings)

    parent_of: dict[str, str] = {}
    level_of: dict[str, str] = {city_code: LEVELS[0]}
    children: dict[str, list[str]] = {}
    grid_ring: dict[str, np.ndarray] = {}
    shapes: dict[str, shapely.Geometry] = {}
    for cell, ring, polygon in zip(ordered, rings, polygons, strict=True):
        chain = list(cells[cell])
        if len(chain) != len(LEVELS) - 1:
            raise ValueError(f"cell {cell}: expected codes for {LEVELS[1:]}, got {chain}")
        grid_code = chain[-1]
        if grid_code in grid_ring:
            raise ValueError(f"grid {grid_code} is given to more than one cell")
        grid_ring[grid_code] = ring
        shapes[grid_code] = polygon
        for level, parent, code in zip(LEVELS[1:], [city_code, *chain[:-1]], chain, strict=True):
            known = parent_of.get(code)
            if known is None:
                parent_of[code] = parent
                level_of[code] = level
                children.setdefault(parent, []).append(code)
            elif known != parent:
                raise ValueError(f"{code} has two parents: {known} and {parent}")

    # Bottom-up: a parent is known once all its children are.
    for level in reversed(LEVELS[:-1]):
        for code in [c for c, lv in level_of.items() if lv == level]:
            shapes[code] = shapely.union_all([shapes[child] for child in children[code]])

    features = []
    for level in LEVELS:
        for code in sorted(c for c, lv in level_of.items() if lv == level):
            if level == LEVELS[-1]:
                geometry = {"type": "Polygon", "coordinates": [grid_ring[code].tolist()]}
            else:
                geometry = _coordinates(shapes[code])
            name = city_name if code == city_code else names[code]
            features.append(_feature(level, code, name, parent_of.get(code), geometry))
    return {"type": "FeatureCollection", "features": features}


# -- the full-size city ----------------------------------------------------------------------

def _band_order(count: int) -> tuple[int, int, list[Cell]]:
    """(rows, cols, cells): `count` cells in an order where each cell touches the next by an edge.

    A boustrophedon inside vertical bands, the bands themselves walked up, down, up…;
    an odd row count makes each band end next to where the following one starts.
    Runs along this order are compact blobs instead of long thin rows.
    """
    rows = max(1, round(math.sqrt(count)))
    rows += 1 - rows % 2
    width = min(BAND_WIDTH, math.ceil(count / rows))
    bands = math.ceil(count / (rows * width))
    order: list[Cell] = []
    for band in range(bands):
        row_range = range(rows) if band % 2 == 0 else range(rows - 1, -1, -1)
        for step, row in enumerate(row_range):
            cols = range(band * width, (band + 1) * width)
            order.extend((row, col) for col in (cols if step % 2 == 0 else reversed(cols)))
    return rows, bands * width, order[:count]


def _run_bounds(total: int, runs: int, rng: np.random.Generator) -> np.ndarray:
    """Start offsets of `runs` contiguous runs covering `total` items, each at least 1 long.

    Sizes vary around the mean (cuts moved by up to ±35 % of it) so the city looks uneven.
    """
    if not 1 <= runs <= total:
        raise ValueError(f"cannot split {total} items into {runs} non-empty runs")
    mean = total / runs
    cuts = np.rint(np.arange(1, runs) * mean + rng.uniform(-0.35, 0.35, runs - 1) * mean)
    starts = [0]
    for i, cut in enumerate(cuts.astype(int), start=1):
        # Keep every run non-empty and leave room for the runs still to come.
        starts.append(min(max(cut, starts[-1] + 1), total - (runs - i)))
    return np.array(starts)


def _runs(total: int, runs: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """For each of `total` items in order: its run, and its 1-based number within that run."""
    starts = _run_bounds(total, runs, rng)
    items = np.arange(total)
    run = np.searchsorted(starts, items, side="right") - 1
    return run, items - starts[run] + 1


def synthesize_city(*, districts: int = FULL_SIZE["districts"], streets: int = FULL_SIZE["streets"],
                    communities: int = FULL_SIZE["communities"], grids: int = FULL_SIZE["grids"],
                    seed: int = 20261123, city_code: str = "371300",
                    city_name: str = "合成市") -> dict:
    """A synthetic city with exactly these counts per level, as a FeatureCollection dict.

    Codes follow the Chinese administrative scheme: district = city's first 4 digits + 2,
    street + 3, community + 3, grid + 3 (15 digits).
    """
    if not 1 <= districts <= min(streets, 99):
        raise ValueError("need 1 ≤ districts ≤ streets and at most 99 districts")
    if not streets <= communities <= grids:
        raise ValueError("need streets ≤ communities ≤ grids")
    rng = np.random.default_rng(seed)
    rows, cols, order = _band_order(grids)
    community_of_grid, grid_no = _runs(grids, communities, rng)
    street_of_community, community_no = _runs(communities, streets, rng)
    district_of_street, street_no = _runs(streets, districts, rng)
    if max(grid_no.max(), community_no.max(), street_no.max()) > 999:
        raise ValueError("more than 999 children under one parent do not fit the 3-digit codes")

    names: dict[str, str] = {}
    district_codes = []
    for d in range(districts):
        district_codes.append(f"{city_code[:4]}{d + 1:02d}")
        names[district_codes[-1]] = f"合成区{d + 1:02d}"
    street_codes = []
    for s in range(streets):
        district = district_codes[district_of_street[s]]
        street_codes.append(f"{district}{street_no[s]:03d}")
        names[street_codes[-1]] = f"{names[district]}第{street_no[s]}街道"
    community_codes = []
    for c in range(communities):
        street = street_codes[street_of_community[c]]
        community_codes.append(f"{street}{community_no[c]:03d}")
        names[community_codes[-1]] = f"{names[street]}第{community_no[c]}社区"

    cells: dict[Cell, list[str]] = {}
    for g, cell in enumerate(order):
        c = community_of_grid[g]
        s = street_of_community[c]
        community = community_codes[c]
        grid = f"{community}{grid_no[g]:03d}"
        names[grid] = f"{names[community]}第{grid_no[g]}网格"
        cells[cell] = [district_codes[district_of_street[s]], street_codes[s], community, grid]

    return lattice_city(cells=cells, names=names, city_code=city_code, city_name=city_name,
                        rows=rows, cols=cols, seed=seed, **FULL_SIZE_LATTICE)


def write_feature_collection(collection: dict, path: str | Path) -> None:
    """Write with one feature per line, so that an importer's line numbers point at a feature."""
    features = collection["features"]
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        for i, feature in enumerate(features):
            out.write(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
            out.write(",\n" if i < len(features) - 1 else "\n")
        out.write("]}\n")
