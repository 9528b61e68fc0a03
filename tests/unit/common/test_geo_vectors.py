"""The server's geometry against the vectors the phone's geometry is checked against too
(tests/js/geo-vectors.test.mjs): the two cannot drift apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from geopy.distance import geodesic

from backend.common import geo

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "geo_vectors.json").read_text())
TOLERANCE_M = VECTORS["tolerance_m"]


def _ids(cases: list[dict]) -> list[str]:
    assert cases, "the vectors file has no cases of this kind"
    return [str(i) for i in range(len(cases))]


@pytest.mark.parametrize("case", VECTORS["metres_per_degree"], ids=_ids(VECTORS["metres_per_degree"]))
def test_metres_per_degree(case):
    per_lon, per_lat = geo.metres_per_degree(case["lat"])
    assert float(per_lon) == pytest.approx(case["per_lon_m"], abs=1e-3)
    assert float(per_lat) == pytest.approx(case["per_lat_m"], abs=1e-3)


@pytest.mark.parametrize("case", VECTORS["distance_m"], ids=_ids(VECTORS["distance_m"]))
def test_local_distance(case):
    (lat1, lon1), (lat2, lon2) = case["from"], case["to"]
    assert float(geo.local_distance_m(lat1, lon1, lat2, lon2)) == pytest.approx(
        case["metres"], abs=TOLERANCE_M)


@pytest.mark.parametrize("case", VECTORS["distance_m"], ids=_ids(VECTORS["distance_m"]))
def test_local_distance_is_the_geodesic_within_gps_noise(case):
    # The vectors are not just what the code said once: they are the geodesic, within a
    # few parts in 1e8 over these lengths.
    assert case["metres"] == pytest.approx(geodesic(case["from"], case["to"]).m, rel=1e-7, abs=1e-4)


@pytest.mark.parametrize("case", VECTORS["circle"], ids=_ids(VECTORS["circle"]))
def test_circle_verdict(case):
    inside, distance = geo.circle_verdict(*case["centre"], case["radius_m"], *case["point"])
    assert inside is case["inside"]
    assert distance == pytest.approx(case["distance_m"], abs=TOLERANCE_M)


@pytest.mark.parametrize("case", VECTORS["polygon"], ids=_ids(VECTORS["polygon"]))
def test_polygon_verdict(case):
    fence = shapely.from_geojson(json.dumps(case["boundary"]))
    inside, distance = geo.fence_verdict(fence, *case["point"])
    assert inside is case["inside"]
    assert distance == pytest.approx(case["distance_m"], abs=TOLERANCE_M)


@pytest.mark.parametrize("case", VECTORS["region_path"], ids=_ids(VECTORS["region_path"]))
def test_region_path(case):
    assert [str(i) for i in geo.region_ids_of_path(case["path"])] == case["ids"]
    last = geo.region_id_of_path(case["path"])
    assert (str(last) if last else None) == case["last"]
