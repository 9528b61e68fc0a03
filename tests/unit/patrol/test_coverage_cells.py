"""The coverage lattice (巡查覆盖率) as pure geometry: cells, samples along tracks, shares."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from backend.common.geo import metres_per_degree
from backend.patrol.coverage import (
    SampleIndex,
    TooManyCells,
    grid_coverage,
    lay_cells,
    sample_tracks,
)

LON, LAT = 118.33, 35.03
PER_LON, PER_LAT = (float(v) for v in metres_per_degree(LAT + 0.00225))


def at(x_m: float, y_m: float) -> tuple[float, float]:
    """(lon, lat) x metres east and y metres north of the square's south-west corner."""
    return LON + x_m / PER_LON, LAT + y_m / PER_LAT


def square(side_m: float = 500.0) -> Polygon:
    return box(*at(0, 0), *at(side_m, side_m))


def test_a_500_m_square_gets_ten_by_ten_cells_of_equal_weight():
    lattice = lay_cells(square(), 50)
    assert (lattice.columns, lattice.rows, len(lattice.index)) == (10, 10, 100)
    assert lattice.weight == pytest.approx(np.full(100, 0.01))


def test_walking_across_the_south_half_covers_half_the_square():
    lattice = lay_cells(square(), 50)
    # Back and forth 25 m apart, from 10 m to 240 m north: rows 0 to 4.
    track = []
    for k, y in enumerate(range(10, 250, 25)):
        line = [at(5, y), at(495, y)]
        track += line if k % 2 == 0 else line[::-1]
    coverage = grid_coverage(lattice, sample_tracks([track], max_gap_m=600))
    assert (coverage.cells_total, coverage.cells_covered) == (100, 50)
    assert coverage.covered_share == pytest.approx(0.5)


def test_a_segment_between_distant_fixes_is_sampled_so_every_cell_it_crosses_counts():
    lattice = lay_cells(square(), 50)
    # Two fixes 190 m apart, on a diagonal: the cells between them are walked too.
    coverage = grid_coverage(lattice, sample_tracks([[at(10, 10), at(144, 144)]]))
    assert coverage.cells_covered >= 3
    assert {tuple(np.round(b, 9)) for b in coverage.covered_bounds} >= {
        tuple(np.round(lattice.cell_bounds(np.array([k * 10 + k]))[0], 9)) for k in range(3)}


def test_a_gap_longer_than_the_limit_counts_only_its_ends():
    samples = sample_tracks([[at(10, 10), at(490, 10)]], max_gap_m=200)
    assert len(samples) == 2
    coverage = grid_coverage(lay_cells(square(), 50), samples)
    assert coverage.cells_covered == 2


def test_samples_are_no_further_apart_than_the_step():
    samples = sample_tracks([[at(0, 0), at(95, 0), at(95, 33)]], step_m=10)
    gaps = np.hypot(np.diff(samples[:, 0]) * PER_LON, np.diff(samples[:, 1]) * PER_LAT)
    assert gaps.max() <= 10.0001 and gaps.sum() == pytest.approx(128, rel=1e-3)
    assert tuple(samples[0]) == at(0, 0) and tuple(samples[-1]) == pytest.approx(at(95, 33))


def test_a_single_fix_and_no_tracks_give_points_and_nothing():
    assert len(sample_tracks([[at(5, 5)]])) == 1
    assert sample_tracks([]).shape == (0, 2)
    assert grid_coverage(lay_cells(square(), 50), sample_tracks([])).covered_share == 0


def test_edge_cells_weigh_their_part_inside_the_grid():
    # A triangle: half the square. Cells along the diagonal hold half of themselves.
    triangle = Polygon([at(0, 0), at(500, 0), at(0, 500)])
    lattice = lay_cells(triangle, 50)
    assert len(lattice.index) == 55  # 45 whole cells below the diagonal, 10 halves on it
    walked_everywhere = [at(x, y) for x in range(5, 500, 20) for y in range(5, 500, 20)]
    coverage = grid_coverage(lattice, np.array(walked_everywhere))
    assert coverage.covered_share == pytest.approx(1.0)
    whole = grid_coverage(lattice, np.array([at(10, 10)]))
    assert whole.cells_covered == 1 and whole.covered_share == pytest.approx(1 / 50)
    corner = grid_coverage(lattice, np.array([at(25, 475)]))  # on the diagonal: half inside
    assert corner.cells_covered == 1 and corner.covered_share == pytest.approx(0.5 / 50)


def test_a_point_on_the_east_edge_belongs_to_the_last_column():
    lattice = lay_cells(square(), 50)
    east_edge = lattice.min_lon + lattice.columns * lattice.cell_lon
    coverage = grid_coverage(lattice, np.array([[east_edge, LAT + 10 / PER_LAT]]))
    assert coverage.cells_covered == 1


def test_points_outside_the_lattice_are_ignored():
    coverage = grid_coverage(lay_cells(square(), 50), np.array([at(-30, 10), at(10, 530)]))
    assert coverage.cells_covered == 0


def test_a_lattice_too_fine_for_the_grid_is_refused():
    with pytest.raises(TooManyCells):
        lay_cells(box(LON, LAT, LON + 1, LAT + 1), 10)


def test_a_multipolygon_grid_counts_both_parts():
    parts = shapely.MultiPolygon([square(100), box(*at(400, 400), *at(500, 500))])
    lattice = lay_cells(parts, 50)
    assert len(lattice.index) == 8
    coverage = grid_coverage(lattice, np.array([at(450, 450)]))
    assert coverage.covered_share == pytest.approx(1 / 8)


def test_the_sample_index_finds_the_points_in_a_box():
    samples = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 1.0], [2.5, 5.0]])
    found = SampleIndex(samples).within((1.5, 0.0, 3.0, 3.0))
    assert sorted(map(tuple, found)) == [(2.0, 2.0), (3.0, 1.0)]
    assert SampleIndex(np.empty((0, 2))).within((0, 0, 1, 1)).shape == (0, 2)
