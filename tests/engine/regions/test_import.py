"""Importing a city file: all of it after every check, or nothing and every problem listed."""

from __future__ import annotations

import copy
import json
import uuid

import pytest
import shapely
import shapely.affinity
from sqlalchemy import func, select

from backend.regions.importer import ImportRejected, import_regions, read_features
from backend.regions.models import LEVELS, Region, RegionsRevision
from backend.regions.synthetic import synthesize_city, write_feature_collection

TOLERANCE = 0.01
SMALL = {"districts": 2, "streets": 4, "communities": 10, "grids": 30}


@pytest.fixture(scope="module")
def small_city() -> dict:
    return synthesize_city(**SMALL)


def features_of(collection: dict, tmp_path) -> list:
    """Through a real file, so that line numbers are those a person would see."""
    path = tmp_path / f"{uuid.uuid4().hex}.geojson"
    write_feature_collection(collection, path)
    return read_features(path.read_text(encoding="utf-8"))


def load(collection: dict, tmp_path, **kwargs):
    return import_regions(features_of(collection, tmp_path), tolerance=TOLERANCE, **kwargs)


def refused(collection: dict, tmp_path) -> list:
    with pytest.raises(ImportRejected) as caught:
        load(collection, tmp_path)
    return caught.value.problems


def region_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Region))


def revision(db) -> int | None:
    return db.session.scalar(select(RegionsRevision.revision).where(RegionsRevision.id == 1))


def line_of(collection: dict, code: str) -> int:
    """Line of a feature in a file written one feature per line (line 1 opens the collection)."""
    codes = [f["properties"]["code"] for f in collection["features"]]
    return codes.index(code) + 2


def features_at(collection: dict, level: str) -> list[dict]:
    return [f for f in collection["features"] if f["properties"]["level"] == level]


def two_grids_of_one_community(collection: dict) -> tuple[dict, dict]:
    grids = features_at(collection, "grid")
    for first, second in zip(grids, grids[1:], strict=False):
        if first["properties"]["parent_code"] == second["properties"]["parent_code"]:
            return first, second
    raise AssertionError("no community with two grids")


# -- a good city ---------------------------------------------------------------------------

def test_a_good_city_loads_every_region(db, small_city, tmp_path):
    summary = load(small_city, tmp_path)
    counts = dict(db.session.execute(select(Region.level, func.count()).group_by(Region.level)).all())
    expected = {"city": 1, "district": 2, "street": 4, "community": 10, "grid": 30}
    assert counts == expected
    assert summary.counts == expected and summary.total == 47


def test_each_region_hangs_under_its_parent_with_the_parents_path(db, small_city, tmp_path):
    load(small_city, tmp_path)
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    for feature in small_city["features"]:
        region = regions[feature["properties"]["code"]]
        parent_code = feature["properties"].get("parent_code")
        if parent_code is None:
            assert region.parent_id is None and region.path == f"/{region.id}/"
        else:
            parent = regions[parent_code]
            assert region.parent_id == parent.id
            assert region.path == f"{parent.path}{region.id}/"
        assert len(region.ancestor_ids()) == LEVELS.index(region.level) + 1


def test_each_region_keeps_its_boundary_and_bbox(db, small_city, tmp_path):
    load(small_city, tmp_path)
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    for feature in small_city["features"]:
        region = regions[feature["properties"]["code"]]
        assert region.boundary == feature["geometry"]
        assert region.name == feature["properties"]["name"]
        shape = shapely.from_geojson(region.boundary_geojson)
        assert (region.min_lon, region.min_lat, region.max_lon, region.max_lat) == shape.bounds


def test_loaded_regions_carry_utc_timestamps(db, small_city, tmp_path):
    load(small_city, tmp_path)
    region = db.session.scalars(select(Region).limit(1)).one()
    assert region.created_at.utcoffset().total_seconds() == 0
    assert region.updated_at == region.created_at


def test_a_load_bumps_the_regions_revision(db, small_city, tmp_path):
    assert revision(db) is None
    load(small_city, tmp_path)
    assert revision(db) == 1


def test_progress_is_reported_for_every_stage_up_to_its_total(db, small_city, tmp_path):
    seen: dict[str, tuple[int, int]] = {}
    order: list[str] = []

    def progress(stage, done, total):
        if stage not in seen:
            order.append(stage)
        seen[stage] = (done, total)

    load(small_city, tmp_path, progress=progress)
    assert order == ["check", "containment", "overlaps", "write"]
    assert all(done == total for done, total in seen.values())
    assert seen["write"] == (47, 47)


def test_regions_can_be_added_under_a_stored_parent(db, small_city, tmp_path):
    load(small_city, tmp_path)
    community = features_at(small_city, "community")[0]
    inside = shapely.from_geojson(json.dumps(community["geometry"])).buffer(-0.0005)
    street_code = community["properties"]["parent_code"]
    addition = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": json.loads(shapely.to_geojson(inside)),
        "properties": {"level": "community", "code": "NEW-COMMUNITY", "name": "新社区",
                       "parent_code": street_code},
    }]}
    load(addition, tmp_path)
    street = db.session.scalars(select(Region).where(Region.code == street_code)).one()
    added = db.session.scalars(select(Region).where(Region.code == "NEW-COMMUNITY")).one()
    assert added.parent_id == street.id and added.path == f"{street.path}{added.id}/"
    assert revision(db) == 2


# -- refused files ----------------------------------------------------------------------------

BOW_TIE = {"type": "Polygon", "coordinates": [[[118.0, 35.0], [118.1, 35.1], [118.1, 35.0],
                                               [118.0, 35.1], [118.0, 35.0]]]}


def _bow_tie(collection, grid, _other):
    grid["geometry"] = BOW_TIE


def _open_ring(collection, grid, _other):
    grid["geometry"]["coordinates"][0].pop()


def _duplicate_code(collection, grid, other):
    grid["properties"]["code"] = other["properties"]["code"]


def _orphan(collection, grid, _other):
    grid["properties"]["parent_code"] = "999999999999"


def _wrong_level(collection, grid, _other):
    grid["properties"]["parent_code"] = features_at(collection, "street")[0]["properties"]["code"]


def _far_outside(collection, grid, _other):
    shape = shapely.from_geojson(json.dumps(grid["geometry"]))
    grid["geometry"] = json.loads(shapely.to_geojson(shapely.affinity.translate(shape, xoff=0.5)))


def _overlapping(collection, grid, other):
    shape = shapely.from_geojson(json.dumps(other["geometry"]))
    grid["geometry"] = json.loads(shapely.to_geojson(shape.buffer(-shape.length / 40)))


def _unknown_level(collection, grid, _other):
    grid["properties"]["level"] = "village"


def _no_name(collection, grid, _other):
    del grid["properties"]["name"]


def _long_code(collection, grid, _other):
    grid["properties"]["code"] = "9" * 33


def _numeric_code(collection, grid, _other):
    grid["properties"]["code"] = 371300


def _no_parent(collection, grid, _other):
    del grid["properties"]["parent_code"]


def _properties_not_an_object(collection, grid, _other):
    grid["properties"] = ["grid"]


def _point(collection, grid, _other):
    grid["geometry"] = {"type": "Point", "coordinates": [118.3, 35.0]}


MUTATIONS = [
    (_bow_tie, "invalid_geometry", "Self-intersection"),
    (_open_ring, "invalid_geometry", "not closed"),
    (_point, "invalid_geometry", "Polygon or MultiPolygon"),
    (_duplicate_code, "duplicate_code", "already used on line"),
    (_orphan, "orphan", "matches no region"),
    (_wrong_level, "wrong_parent_level", "must be a community"),
    (_far_outside, "outside_parent", "outside its parent"),
    (_overlapping, "overlapping_grids", "overlaps grid"),
    (_unknown_level, "invalid_level", "'village'"),
    (_no_name, "invalid_name", "name must be a non-empty string"),
    (_long_code, "invalid_code", "longer than 32"),
    (_numeric_code, "invalid_code", "code must be a non-empty string"),
    (_no_parent, "missing_parent", "parent_code is required"),
    (_properties_not_an_object, "invalid_properties", "must be an object"),
]


@pytest.mark.parametrize("mutate,kind,reason", MUTATIONS, ids=[m[1] + m[0].__name__ for m in MUTATIONS])
def test_a_bad_feature_is_refused_with_its_line_and_nothing_is_written(
        db, small_city, tmp_path, mutate, kind, reason):
    collection = copy.deepcopy(small_city)
    other, grid = two_grids_of_one_community(collection)
    line = line_of(collection, grid["properties"]["code"])
    mutate(collection, grid, other)
    problems = refused(collection, tmp_path)
    assert [(p.line, p.kind) for p in problems] == [(line, kind)], problems
    assert reason in problems[0].reason
    assert region_count(db) == 0 and revision(db) is None


def test_every_problem_of_a_file_is_listed_at_once(db, small_city, tmp_path):
    collection = copy.deepcopy(small_city)
    grids = features_at(collection, "grid")
    other, victim = two_grids_of_one_community(collection)
    others = [g for g in grids if g is not other and g is not victim]
    expected = []
    for mutate, kind, _ in MUTATIONS:
        if mutate is _overlapping:
            grid = victim
        else:
            grid = others.pop()
        expected.append((line_of(collection, grid["properties"]["code"]), kind))
        mutate(collection, grid, other if mutate is _overlapping else grids[0])
    problems = refused(collection, tmp_path)
    assert sorted((p.line, p.kind) for p in problems) == sorted(expected)
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    assert region_count(db) == 0


def test_a_second_city_in_the_file_is_refused(db, small_city, tmp_path):
    collection = copy.deepcopy(small_city)
    twin = copy.deepcopy(collection["features"][0])
    twin["properties"]["code"] = "371400"
    collection["features"].append(twin)
    problems = refused(collection, tmp_path)
    assert [(p.line, p.kind, p.code) for p in problems] == [
        (len(collection["features"]) + 1, "second_city", "371400")]


def test_a_city_with_a_parent_is_refused(db, small_city, tmp_path):
    collection = copy.deepcopy(small_city)
    collection["features"][0]["properties"]["parent_code"] = "370000"
    assert [(p.line, p.kind) for p in refused(collection, tmp_path)] == [(2, "city_has_parent")]


def test_a_child_slightly_outside_its_parent_is_within_tolerance(db, small_city, tmp_path):
    collection = copy.deepcopy(small_city)
    grid = features_at(collection, "grid")[0]
    shape = shapely.from_geojson(json.dumps(grid["geometry"]))
    # Moving a grid by a thousandth of its width pushes well under 1 % of it outside.
    width = shape.bounds[2] - shape.bounds[0]
    grid["geometry"] = json.loads(shapely.to_geojson(
        shapely.affinity.translate(shape, xoff=-width / 1000)))
    load(collection, tmp_path)
    assert region_count(db) == len(collection["features"])


def test_a_code_already_in_the_database_is_refused(db, small_city, tmp_path):
    load(small_city, tmp_path)
    street = features_at(small_city, "street")[0]
    taken = features_at(small_city, "community")[0]["properties"]["code"]
    addition = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": features_at(small_city, "community")[0]["geometry"],
        "properties": {"level": "community", "code": taken, "name": "重复社区",
                       "parent_code": street["properties"]["code"]},
    }]}
    problems = refused(addition, tmp_path)
    assert [(p.line, p.kind, p.code) for p in problems] == [(2, "code_taken", taken)]
    assert region_count(db) == len(small_city["features"]) and revision(db) == 1


def test_a_city_when_the_database_has_one_is_refused(db, small_city, tmp_path):
    load(small_city, tmp_path)
    city = copy.deepcopy(small_city["features"][0])
    city["properties"]["code"] = "371400"
    problems = refused({"type": "FeatureCollection", "features": [city]}, tmp_path)
    assert [(p.line, p.kind) for p in problems] == [(2, "city_exists")]


def test_a_grid_overlapping_a_stored_grid_is_refused(db, small_city, tmp_path):
    load(small_city, tmp_path)
    stored = features_at(small_city, "grid")[0]
    community = stored["properties"]["parent_code"]
    addition = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": stored["geometry"],
        "properties": {"level": "grid", "code": "NEW-GRID", "name": "新网格",
                       "parent_code": community},
    }]}
    problems = refused(addition, tmp_path)
    assert [(p.line, p.kind) for p in problems] == [(2, "overlapping_grids")]
    assert stored["properties"]["code"] in problems[0].reason


def test_an_empty_file_is_refused(db, tmp_path):
    problems = refused({"type": "FeatureCollection", "features": []}, tmp_path)
    assert [p.kind for p in problems] == ["empty"]


# -- the command line ------------------------------------------------------------------------

def test_the_import_command_loads_a_file_and_prints_a_summary(app, db, small_city, tmp_path):
    path = tmp_path / "city.geojson"
    write_feature_collection(small_city, path)
    result = app.test_cli_runner().invoke(args=["regions", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 47 regions" in result.stdout
    assert region_count(db) == 47


def test_the_import_command_prints_every_problem_and_exits_1(app, db, small_city, tmp_path):
    collection = copy.deepcopy(small_city)
    other, grid = two_grids_of_one_community(collection)
    _orphan(collection, grid, other)
    _bow_tie(collection, other, grid)
    path = tmp_path / "city.geojson"
    write_feature_collection(collection, path)
    result = app.test_cli_runner().invoke(args=["regions", "import", str(path)])
    assert result.exit_code == 1
    for feature, text in ((grid, "matches no region"), (other, "Self-intersection")):
        code = feature["properties"]["code"]
        assert f"line {line_of(collection, code)}: code {code}: " in result.stderr
        assert text in result.stderr
    assert "2 problem(s); nothing was imported." in result.stderr
    assert region_count(db) == 0


def test_the_synthesize_command_writes_a_city_that_imports(app, db, tmp_path):
    path = tmp_path / "synthetic.geojson"
    result = app.test_cli_runner().invoke(args=[
        "regions", "synthesize", str(path), "--districts", "2", "--streets", "3",
        "--communities", "5", "--grids", "9"])
    assert result.exit_code == 0, result.output
    result = app.test_cli_runner().invoke(args=["regions", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert region_count(db) == 1 + 2 + 3 + 5 + 9


# -- the full-size city ----------------------------------------------------------------------

def test_the_full_size_synthetic_city_imports_whole(db, tmp_path):
    """Correctness at full size; the time it takes is printed by bench/import_city.py."""
    collection = synthesize_city()
    path = tmp_path / "full.geojson"
    write_feature_collection(collection, path)
    summary = import_regions(read_features(path.read_text(encoding="utf-8")), tolerance=TOLERANCE)
    assert summary.counts == {"city": 1, "district": 13, "street": 160, "community": 4701,
                              "grid": 12387}
    assert region_count(db) == 17262
