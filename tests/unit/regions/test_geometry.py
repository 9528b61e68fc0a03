"""Checking boundaries: what a person drawing a city file gets told, and what passes."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import box

from backend.regions.geometry import (
    GeometryError,
    boundary_text,
    normalize_boundary,
    parse_boundary,
    share_outside,
)

SQUARE = [[118.0, 35.0], [118.1, 35.0], [118.1, 35.1], [118.0, 35.1], [118.0, 35.0]]
HOLE = [[118.02, 35.02], [118.02, 35.04], [118.04, 35.04], [118.04, 35.02], [118.02, 35.02]]


def polygon(*rings) -> dict:
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


def test_a_square_parses_to_a_polygon_with_its_area():
    normalized, shape = parse_boundary(polygon(SQUARE))
    assert shape.geom_type == "Polygon"
    assert shape.area == pytest.approx(0.01)
    assert normalized == polygon(SQUARE)


def test_a_polygon_with_a_hole_is_accepted():
    _, shape = parse_boundary(polygon(SQUARE, HOLE))
    assert shape.area == pytest.approx(0.01 - 0.0004)


def test_a_multipolygon_is_accepted():
    other = [[p[0] + 0.2, p[1]] for p in SQUARE]
    _, shape = parse_boundary({"type": "MultiPolygon", "coordinates": [[SQUARE], [other]]})
    assert shape.geom_type == "MultiPolygon" and len(shape.geoms) == 2


def test_a_third_coordinate_is_dropped():
    with_height = [[lon, lat, 12.5] for lon, lat in SQUARE]
    normalized = normalize_boundary(polygon(with_height))
    assert normalized["coordinates"][0] == SQUARE


def test_integer_coordinates_become_floats():
    normalized = normalize_boundary(polygon([[118, 35], [119, 35], [119, 36], [118, 35]]))
    assert all(isinstance(v, float) for p in normalized["coordinates"][0] for v in p)


BOW_TIE = [[118.0, 35.0], [118.1, 35.1], [118.1, 35.0], [118.0, 35.1], [118.0, 35.0]]


@pytest.mark.parametrize("geometry,reason", [
    (None, "must be a GeoJSON geometry object"),
    ([1, 2], "must be a GeoJSON geometry object"),
    ({"type": "Point", "coordinates": [118, 35]}, "Polygon or MultiPolygon"),
    ({"type": "Polygon"}, "non-empty list of rings"),
    ({"type": "Polygon", "coordinates": []}, "non-empty list of rings"),
    ({"type": "Polygon", "coordinates": [SQUARE[:3]]}, "at least 4 positions"),
    ({"type": "Polygon", "coordinates": [SQUARE[:4]]}, "not closed"),
    ({"type": "Polygon", "coordinates": [[[118.0], *SQUARE[1:]]]}, "[longitude, latitude]"),
    ({"type": "Polygon", "coordinates": [[["118", 35.0], *SQUARE[1:]]]}, "finite numbers"),
    ({"type": "Polygon", "coordinates": [[[True, 35.0], *SQUARE[1:]]]}, "finite numbers"),
    ({"type": "Polygon", "coordinates": [[[float("nan"), 35.0], *SQUARE[1:]]]}, "finite numbers"),
    ({"type": "Polygon", "coordinates": [[[218.0, 35.0], *SQUARE[1:-1], [218.0, 35.0]]]},
     "not a longitude/latitude pair"),
    ({"type": "Polygon", "coordinates": [[[35.0, 118.0], *SQUARE[1:-1], [35.0, 118.0]]]},
     "not a longitude/latitude pair"),
    ({"type": "Polygon", "coordinates": [BOW_TIE]}, "invalid polygon: Self-intersection"),
    ({"type": "Polygon", "coordinates": [[[118.0, 35.0], [118.1, 35.0], [118.2, 35.0],
                                          [118.0, 35.0]]]}, "invalid polygon"),
    ({"type": "MultiPolygon", "coordinates": []}, "non-empty list of polygons"),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]}, "invalid polygon"),
])
def test_unusable_boundaries_are_refused_with_a_reason(geometry, reason):
    with pytest.raises(GeometryError) as caught:
        parse_boundary(geometry)
    assert reason in str(caught.value)


def test_boundary_text_is_compact_geojson_that_reads_back():
    normalized, _ = parse_boundary(polygon(SQUARE))
    text = boundary_text(normalized)
    assert " " not in text
    assert json.loads(text) == normalized


@pytest.mark.parametrize("child,share", [
    (box(0.2, 0.2, 0.8, 0.8), 0.0),
    (box(0, 0, 1, 1), 0.0),
    (box(0.5, 0, 1.5, 1), 0.5),
    (box(0.9, 0, 1.9, 1), 0.9),
    (box(2, 2, 3, 3), 1.0),
])
def test_share_outside_is_the_share_of_the_childs_area_beyond_the_parent(child, share):
    assert share_outside(child, box(0, 0, 1, 1)) == pytest.approx(share)
