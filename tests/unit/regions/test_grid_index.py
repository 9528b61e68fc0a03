"""Point-in-grid lookup: the right grid, nothing outside, one answer on a shared edge."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest
import shapely

from backend.regions.grid_index import GridIndex
from backend.regions.synthetic import lattice_city

# A 3 × 4 lattice with the north-east cell left out, so the city has a notch.
ROWS, COLS = 3, 4
CELLS = {(r, c): ["D", "S", f"C{r}", f"G{r}{c}"] for r in range(ROWS) for c in range(COLS)
         if (r, c) != (2, 3)}
NAMES = {"D": "区", "S": "街道"} | {f"C{r}": f"社区{r}" for r in range(ROWS)} | {
    code: code for *_, code in CELLS.values()}


@pytest.fixture(scope="module")
def grids() -> dict[str, tuple[uuid.UUID, shapely.Geometry]]:
    """grid code → (id, shape)."""
    collection = lattice_city(cells=CELLS, names=NAMES, city_code="X", city_name="市",
                              origin_lon=118.3, origin_lat=35.0, cell_lon=0.01, cell_lat=0.008,
                              rows=ROWS, cols=COLS, seed=7)
    return {f["properties"]["code"]: (uuid.uuid4(), shapely.from_geojson(json.dumps(f["geometry"])))
            for f in collection["features"] if f["properties"]["level"] == "grid"}


def rows_of(grids) -> list[tuple[uuid.UUID, str]]:
    return [(region_id, shapely.to_geojson(shape)) for region_id, shape in grids.values()]


@pytest.fixture(scope="module")
def index(grids) -> GridIndex:
    return GridIndex(rows_of(grids))


def test_index_counts_its_grids(index):
    assert len(index) == len(CELLS)


def test_a_point_inside_a_grid_finds_that_grid(index, grids):
    for region_id, shape in grids.values():
        inside = shape.representative_point()
        assert index.locate(inside.x, inside.y) == region_id


@pytest.mark.parametrize("lon,lat", [
    (116.4, 39.9),          # Beijing
    (118.29, 35.01),        # just west of the city
    (118.33, 35.0 - 0.005),  # just south
    (float("nan"), 35.01),
])
def test_a_point_outside_every_grid_finds_nothing(index, lon, lat):
    assert index.locate(lon, lat) is None


def test_a_point_in_the_notch_inside_the_bbox_finds_nothing(index, grids):
    notch = shapely.box(118.3 + 3 * 0.01, 35.0 + 2 * 0.008, 118.3 + 4 * 0.01, 35.0 + 3 * 0.008)
    city = shapely.union_all([shape for _, shape in grids.values()])
    free = shapely.difference(notch, city).representative_point()
    assert index.locate(free.x, free.y) is None


def _shared_vertices(grids) -> list[tuple[float, float]]:
    """Vertices that lie on more than one grid: on shared edges and corners."""
    counts: dict[tuple[float, float], int] = {}
    for _, shape in grids.values():
        for xy in set(shape.exterior.coords):
            counts[xy] = counts.get(xy, 0) + 1
    return sorted(xy for xy, n in counts.items() if n > 1)


def test_a_point_on_a_shared_edge_gets_the_first_of_its_grids_by_id(index, grids):
    for lon, lat in _shared_vertices(grids):
        touching = [region_id for region_id, shape in grids.values()
                    if shapely.intersects_xy(shape, lon, lat)]
        assert len(touching) >= 2
        assert index.locate(lon, lat) == min(touching)


def test_a_point_on_a_shared_edge_gets_the_same_answer_whatever_the_row_order(index, grids):
    reversed_index = GridIndex(list(reversed(rows_of(grids))))
    for lon, lat in _shared_vertices(grids):
        assert reversed_index.locate(lon, lat) == index.locate(lon, lat)


def test_locate_many_agrees_with_locate(index, grids):
    rng = np.random.default_rng(3)
    edges = _shared_vertices(grids)
    lons = rng.uniform(118.29, 118.35, 500).tolist() + [lon for lon, _ in edges]
    lats = rng.uniform(34.99, 35.03, 500).tolist() + [lat for _, lat in edges]
    assert index.locate_many(lons, lats) == [index.locate(lon, lat) for lon, lat in zip(lons, lats, strict=True)]


def test_locate_many_of_no_points_is_empty(index):
    assert index.locate_many([], []) == []


def test_an_empty_index_finds_nothing():
    empty = GridIndex([])
    assert len(empty) == 0
    assert empty.locate(118.3, 35.0) is None
    assert empty.locate_many([118.3], [35.0]) == [None]


def test_overlapping_grids_answer_the_first_by_id():
    ids = sorted(uuid.uuid4() for _ in range(2))
    big = shapely.to_geojson(shapely.box(0, 0, 2, 2))
    small = shapely.to_geojson(shapely.box(0.5, 0.5, 1, 1))
    index = GridIndex([(ids[1], small), (ids[0], big)])
    assert index.locate(0.75, 0.75) == ids[0]
    assert index.locate_many([0.75], [0.75]) == [ids[0]]


def test_grids_of_very_different_sizes_are_all_found():
    # One huge rural grid and a dense cluster of tiny urban ones in a corner of the bbox.
    rows = [(uuid.uuid4(), shapely.to_geojson(shapely.box(1, 1, 11, 11)))]
    tiny = {}
    for i in range(20):
        for j in range(20):
            region_id = uuid.uuid4()
            tiny[region_id] = shapely.box(i * 0.01, j * 0.01, (i + 1) * 0.01, (j + 1) * 0.01)
            rows.append((region_id, shapely.to_geojson(tiny[region_id])))
    index = GridIndex(rows)
    for region_id, shape in tiny.items():
        centre = shape.centroid
        assert index.locate(centre.x, centre.y) == region_id
    assert index.locate(6, 6) == rows[0][0]
    assert index.locate(0.5, 5) is None
