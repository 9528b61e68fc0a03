"""The synthetic city tiles its area exactly: no gaps, no overlaps, parents are unions."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely

from backend.regions.geometry import parse_boundary
from backend.regions.importer import read_features
from backend.regions.models import LEVELS
from backend.regions.synthetic import (
    FULL_SIZE,
    lattice_city,
    synthesize_city,
    write_feature_collection,
)

CODE_LENGTHS = {"city": 6, "district": 6, "street": 9, "community": 12, "grid": 15}


@pytest.fixture(scope="module")
def full_city() -> dict:
    return synthesize_city()


@pytest.fixture(scope="module")
def shapes(full_city) -> dict:
    """code → (level, parent code, shape)."""
    return {f["properties"]["code"]: (f["properties"]["level"], f["properties"].get("parent_code"),
                                      shapely.from_geojson(_json(f["geometry"])))
            for f in full_city["features"]}


def _json(geometry: dict) -> str:
    return json.dumps(geometry)


def _by_level(shapes: dict, level: str) -> np.ndarray:
    return np.array([shape for lv, _, shape in shapes.values() if lv == level])


def test_full_size_city_has_the_promised_count_at_each_level(full_city):
    counts = Counter(f["properties"]["level"] for f in full_city["features"])
    assert counts == {"city": 1, "district": FULL_SIZE["districts"], "street": FULL_SIZE["streets"],
                      "community": FULL_SIZE["communities"], "grid": FULL_SIZE["grids"]}


def test_every_boundary_is_a_valid_polygon(full_city):
    for feature in full_city["features"]:
        parse_boundary(feature["geometry"])


def test_grids_leave_no_gap_in_the_city(shapes):
    city = _by_level(shapes, "city")[0]
    union = shapely.union_all(_by_level(shapes, "grid"))
    assert shapely.symmetric_difference(union, city).area < 1e-9
    assert union.area == pytest.approx(city.area, abs=1e-9)


def test_grids_do_not_overlap(shapes):
    city = _by_level(shapes, "city")[0]
    assert shapely.area(_by_level(shapes, "grid")).sum() == pytest.approx(city.area, abs=1e-9)


def test_each_parent_is_the_union_of_its_children(shapes):
    children = defaultdict(list)
    for _level, parent, shape in shapes.values():
        if parent is not None:
            children[parent].append(shape)
    assert set(children) == {code for code, (level, _, _) in shapes.items() if level != "grid"}
    for code, kids in children.items():
        parent = shapes[code][2]
        difference = shapely.symmetric_difference(shapely.union_all(kids), parent).area
        assert difference < 1e-12, code


def test_each_region_is_one_connected_polygon(full_city):
    assert {f["geometry"]["type"] for f in full_city["features"]} == {"Polygon"}


def test_codes_follow_the_administrative_scheme(full_city):
    for feature in full_city["features"]:
        properties = feature["properties"]
        code = properties["code"]
        assert code.isdigit() and len(code) == CODE_LENGTHS[properties["level"]], code
        if properties["level"] not in ("city", "district"):
            assert code.startswith(properties["parent_code"]), code
    assert len({f["properties"]["code"] for f in full_city["features"]}) == len(full_city["features"])


def test_only_the_city_has_no_parent_code(full_city):
    orphans = [f["properties"] for f in full_city["features"] if "parent_code" not in f["properties"]]
    assert [p["level"] for p in orphans] == ["city"]


def test_names_say_what_they_are(full_city):
    by_level = {}
    for feature in full_city["features"]:
        by_level.setdefault(feature["properties"]["level"], feature["properties"]["name"])
    assert by_level["district"] == "合成区01"
    assert by_level["street"].endswith("街道")
    assert by_level["community"].endswith("社区")
    assert by_level["grid"].endswith("第1网格")


def test_the_city_lies_near_linyi(shapes):
    lon, lat = _by_level(shapes, "city")[0].centroid.coords[0]
    assert abs(lon - 118.35) < 0.3 and abs(lat - 35.05) < 0.3


@pytest.mark.parametrize("counts", [
    {"districts": 1, "streets": 1, "communities": 1, "grids": 1},
    {"districts": 2, "streets": 3, "communities": 7, "grids": 20},
    {"districts": 3, "streets": 9, "communities": 40, "grids": 41},
])
def test_small_cities_have_exactly_the_requested_counts(counts):
    collection = synthesize_city(**counts)
    found = Counter(f["properties"]["level"] for f in collection["features"])
    assert found == {"city": 1, "district": counts["districts"], "street": counts["streets"],
                     "community": counts["communities"], "grid": counts["grids"]}


@pytest.mark.parametrize("counts", [
    {"districts": 0},
    {"districts": 5, "streets": 4},
    {"streets": 10, "communities": 9},
    {"communities": 10, "grids": 9},
])
def test_impossible_counts_are_refused(counts):
    sizes = {"districts": 2, "streets": 4, "communities": 8, "grids": 16} | counts
    with pytest.raises(ValueError):
        synthesize_city(**sizes)


def test_the_same_seed_gives_the_same_city():
    sizes = {"districts": 2, "streets": 3, "communities": 7, "grids": 20}
    assert synthesize_city(seed=5, **sizes) == synthesize_city(seed=5, **sizes)


def test_another_seed_gives_another_city():
    sizes = {"districts": 2, "streets": 3, "communities": 7, "grids": 20}
    assert synthesize_city(seed=5, **sizes) != synthesize_city(seed=6, **sizes)


def test_written_file_has_one_feature_per_line(tmp_path):
    collection = synthesize_city(districts=2, streets=3, communities=7, grids=20)
    path = tmp_path / "city.geojson"
    write_feature_collection(collection, path)
    features = read_features(path.read_text(encoding="utf-8"))
    assert [f.line for f in features] == [i + 2 for i in range(len(collection["features"]))]
    assert [f.properties for f in features] == [f["properties"] for f in collection["features"]]


LATTICE = {"origin_lon": 118.0, "origin_lat": 35.0, "cell_lon": 0.01, "cell_lat": 0.01,
           "rows": 2, "cols": 2}
NAMES = {"D": "区", "S": "街道", "C1": "社区一", "C2": "社区二",
         "G1": "一", "G2": "二", "G3": "三", "G4": "四"}


def test_lattice_city_builds_the_hierarchy_from_each_cells_chain():
    cells = {(0, 0): ["D", "S", "C1", "G1"], (0, 1): ["D", "S", "C1", "G2"],
             (1, 0): ["D", "S", "C2", "G3"], (1, 1): ["D", "S", "C2", "G4"]}
    collection = lattice_city(cells=cells, names=NAMES, city_code="X", city_name="市", **LATTICE)
    parents = {f["properties"]["code"]: f["properties"].get("parent_code")
               for f in collection["features"]}
    assert parents == {"X": None, "D": "X", "S": "D", "C1": "S", "C2": "S",
                       "G1": "C1", "G2": "C1", "G3": "C2", "G4": "C2"}
    assert [f["properties"]["level"] for f in collection["features"]] == [
        "city", "district", "street", "community", "community", "grid", "grid", "grid", "grid"]


def test_lattice_city_refuses_a_code_with_two_parents():
    cells = {(0, 0): ["D", "S", "C1", "G1"], (0, 1): ["D", "S2", "C1", "G2"]}
    with pytest.raises(ValueError, match="two parents"):
        lattice_city(cells=cells, names=NAMES | {"S2": "街道二"}, city_code="X", city_name="市",
                     **LATTICE)


def test_lattice_city_refuses_a_cell_outside_the_lattice():
    with pytest.raises(ValueError, match="outside"):
        lattice_city(cells={(2, 0): ["D", "S", "C1", "G1"]}, names=NAMES, city_code="X",
                     city_name="市", **LATTICE)


def test_lattice_grids_are_jittered_quadrilaterals_not_squares():
    cells = {(0, 0): ["D", "S", "C1", "G1"]}
    collection = lattice_city(cells=cells, names=NAMES, city_code="X", city_name="市", **LATTICE)
    grid = shapely.from_geojson(_json(collection["features"][-1]["geometry"]))
    assert not grid.equals(shapely.box(118.0, 35.0, 118.01, 35.01))
    assert grid.area == pytest.approx(1e-4, rel=0.5)


def test_levels_come_parents_first(full_city):
    depths = [LEVELS.index(f["properties"]["level"]) for f in full_city["features"]]
    assert depths == sorted(depths)
