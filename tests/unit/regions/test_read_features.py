"""Reading a city file: each feature keeps the line it starts on, however the file is laid out."""

from __future__ import annotations

import json

import pytest

from backend.regions.importer import ImportRejected, read_features

GEOMETRY = {"type": "Polygon", "coordinates": [[[118.0, 35.0], [118.1, 35.0], [118.1, 35.1],
                                                [118.0, 35.0]]]}


def feature(code: str) -> dict:
    return {"type": "Feature", "properties": {"level": "grid", "code": code, "name": code,
                                              "parent_code": "C"}, "geometry": GEOMETRY}


FEATURES = [feature("A"), feature("B"), feature("C")]


def one_per_line(features) -> str:
    lines = ",\n".join(json.dumps(f) for f in features)
    return '{"type": "FeatureCollection", "features": [\n' + lines + "\n]}\n"


def rejected(text: str) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        read_features(text)
    return caught.value


def test_one_feature_per_line_gives_each_its_own_line():
    features = read_features(one_per_line(FEATURES))
    assert [(f.index, f.line) for f in features] == [(0, 2), (1, 3), (2, 4)]


def test_features_keep_their_properties_and_geometry():
    features = read_features(one_per_line(FEATURES))
    assert features[1].properties["code"] == "B"
    assert features[1].geometry == GEOMETRY


def test_pretty_printed_features_start_on_their_opening_brace():
    text = json.dumps({"type": "FeatureCollection", "features": FEATURES}, indent=2)
    lines = text.splitlines()
    expected = [i + 1 for i, line in enumerate(lines) if line == "    {"]
    assert [f.line for f in read_features(text)] == expected


def test_everything_on_one_line_is_line_one():
    text = json.dumps({"type": "FeatureCollection", "features": FEATURES})
    assert [f.line for f in read_features(text)] == [1, 1, 1]


def test_a_features_key_nested_in_another_member_is_not_read_as_features():
    decoy = {"features": [{"not": "a region"}], "note": "features: [ {"}
    text = ('{"type": "FeatureCollection",\n"metadata": ' + json.dumps(decoy, indent=1) + ",\n"
            '"features": [\n' + json.dumps(FEATURES[0]) + "\n]}")
    features = read_features(text)
    assert [(f.properties["code"], f.line) for f in features] == [("A", text.count("\n"))]


def test_type_may_come_after_the_features():
    text = '{"features": [\n' + json.dumps(FEATURES[0]) + '\n], "type": "FeatureCollection"}'
    assert [f.line for f in read_features(text)] == [2]


def test_a_byte_order_mark_is_ignored():
    assert len(read_features("\ufeff" + one_per_line(FEATURES))) == 3


def test_an_empty_collection_has_no_features():
    assert read_features('{"type": "FeatureCollection", "features": []}') == []


@pytest.mark.parametrize("text,line,reason", [
    ('{"type": "FeatureCollection", "features": [\n{"type": "Feature"},\n{"type": }\n]}', 3,
     "not valid JSON"),
    ('{"type": "FeatureCollection", "features": [\n{"type": "Feature"}\n{"type": "Feature"}]}', 3,
     "not valid JSON"),
    ('{"type": "FeatureCollection", "features": [\n{"type": "Feature"},\n]}', 3, "not valid JSON"),
    ('{"type": "FeatureCollection", "features": [\n{"type": "Feature"}\n', 3, "not valid JSON"),
    ('{"type": "FeatureCollection",\n"features": []\n}\n}', 4, "extra data"),
    ("", 1, "one GeoJSON FeatureCollection object"),
    ("\n\n[1, 2]", 3, "one GeoJSON FeatureCollection object"),
    ('{"type": "Feature", "geometry": null}', 1, "FeatureCollection"),
    ('{"features": []}', 1, "FeatureCollection"),
    ('{"type": "FeatureCollection"}', 1, "FeatureCollection"),
    ('{"type": "FeatureCollection", "features": {}}', 1, "FeatureCollection"),
])
def test_a_file_that_is_not_a_feature_collection_is_refused_with_its_line(text, line, reason):
    problems = rejected(text).problems
    assert len(problems) == 1
    assert problems[0].line == line and reason in problems[0].reason


def test_every_feature_that_is_not_an_object_is_listed_with_its_line():
    text = one_per_line([FEATURES[0], 7, FEATURES[1], "grid", None])
    problems = rejected(text).problems
    assert [(p.line, p.index, p.kind) for p in problems] == [
        (3, 1, "not_an_object"), (5, 3, "not_an_object"), (6, 4, "not_an_object")]


def test_the_rejection_carries_its_problems_as_json_details():
    error = rejected('{"type": "FeatureCollection", "features": [\n1]}')
    assert error.code == "import_rejected" and error.status == 422
    assert error.details == {"problems": [
        {"line": 2, "index": 0, "code": None, "reason": "a feature must be a JSON object",
         "kind": "not_an_object"}]}
    json.dumps(error.details)
