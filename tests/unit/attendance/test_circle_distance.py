"""A post's fence (岗位): inside a circle or not, and the distance to its edge, checked
against geopy's geodesic."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic

from backend.attendance.services import Fence
from backend.common.geo import circle_verdict

# The demo city's school gate: 80 m around this point.
CENTRE = (35.0576, 118.3658)
RADIUS_M = 80.0


def at(metres: float, bearing: float) -> tuple[float, float]:
    return geodesic(meters=metres).destination(CENTRE, bearing=bearing)[:2]


def test_the_centre_is_inside_at_zero_metres():
    assert circle_verdict(*CENTRE, RADIUS_M, *CENTRE) == (True, 0.0)


@pytest.mark.parametrize("bearing", [0, 45, 90, 180, 270])
def test_a_point_within_the_radius_is_inside(bearing):
    assert circle_verdict(*CENTRE, RADIUS_M, *at(79, bearing)) == (True, 0.0)


@pytest.mark.parametrize("bearing", [0, 90, 135, 225])
def test_a_point_on_the_edge_is_inside(bearing):
    assert circle_verdict(*CENTRE, RADIUS_M, *at(RADIUS_M, bearing)) == (True, 0.0)


@pytest.mark.parametrize("beyond_m", [0.5, 1.0, 20.0, 300.0, 3000.0])
@pytest.mark.parametrize("bearing", [0, 60, 90, 200])
def test_distance_outside_is_to_the_edge_and_matches_the_geodesic(beyond_m, bearing):
    inside, distance = circle_verdict(*CENTRE, RADIUS_M, *at(RADIUS_M + beyond_m, bearing))
    assert inside is False
    assert distance == pytest.approx(beyond_m, rel=2e-3, abs=0.02)


@pytest.mark.parametrize("radius_m", [10.0, 2000.0])
def test_the_smallest_and_largest_circles_measure_alike(radius_m):
    inside, distance = circle_verdict(*CENTRE, radius_m, *at(radius_m + 50, 30))
    assert inside is False and distance == pytest.approx(50, abs=0.1)


def test_a_post_fence_judges_by_its_circle_and_a_grid_fence_by_its_polygon():
    from shapely.geometry import box

    post = Fence(kind="post", lat=CENTRE[0], lon=CENTRE[1], radius_m=RADIUS_M)
    grid = Fence(kind="grid", area=box(118.36, 35.05, 118.37, 35.06))
    point = at(RADIUS_M + 100, 0)
    assert post.verdict(*point)[0] is False
    assert grid.verdict(*point) == (True, 0.0)
