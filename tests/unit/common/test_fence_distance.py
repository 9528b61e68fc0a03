"""The fence verdict: inside or not, and the distance to the edge, checked against geopy."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic
from shapely.geometry import Polygon, box

from backend.common.geo import fence_verdict

# A 0.01° grid near the demo city (about 910 m × 1110 m).
GRID = box(118.33, 35.03, 118.34, 35.04)


def test_a_point_inside_is_inside_at_zero_metres():
    assert fence_verdict(GRID, 35.035, 118.335) == (True, 0.0)


@pytest.mark.parametrize("lat, lon", [(35.03, 118.335), (35.035, 118.34), (35.04, 118.33)])
def test_a_point_on_the_edge_or_a_corner_is_inside(lat, lon):
    assert fence_verdict(GRID, lat, lon) == (True, 0.0)


@pytest.mark.parametrize("metres", [0.5, 1.0, 5.0, 30.0, 200.0, 2000.0])
def test_distance_south_of_the_edge_matches_the_geodesic(metres):
    edge = (35.03, 118.335)
    lat, lon = geodesic(meters=metres).destination(edge, bearing=180)[:2]
    inside, distance = fence_verdict(GRID, lat, lon)
    assert inside is False
    assert distance == pytest.approx(metres, rel=2e-3, abs=0.02)


@pytest.mark.parametrize("metres", [1.0, 50.0, 1500.0])
def test_distance_east_of_the_edge_matches_the_geodesic(metres):
    edge = (35.035, 118.34)
    lat, lon = geodesic(meters=metres).destination(edge, bearing=90)[:2]
    inside, distance = fence_verdict(GRID, lat, lon)
    assert inside is False
    assert distance == pytest.approx(metres, rel=2e-3, abs=0.02)


def test_distance_to_a_corner_is_the_diagonal():
    corner = (35.04, 118.34)
    lat, lon = geodesic(meters=100).destination(corner, bearing=45)[:2]
    assert fence_verdict(GRID, lat, lon)[1] == pytest.approx(100, rel=2e-3)


def test_a_point_in_a_hole_is_outside():
    outer = [(118.33, 35.03), (118.34, 35.03), (118.34, 35.04), (118.33, 35.04)]
    hole = [(118.334, 35.034), (118.336, 35.034), (118.336, 35.036), (118.334, 35.036)]
    inside, distance = fence_verdict(Polygon(outer, [hole]), 35.035, 118.335)
    assert inside is False
    # Half the hole's width (0.001° of longitude) is about 91 m here.
    assert distance == pytest.approx(geodesic((35.035, 118.335), (35.035, 118.334)).m, rel=2e-3)
