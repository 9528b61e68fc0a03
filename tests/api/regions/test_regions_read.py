"""Reading the hierarchy: scope decides everything a user may see."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import cell_center, make_user


def test_admin_reads_any_region_with_its_boundary(client, city, login_as):
    headers = login_as(make_user("root", roles=["admin"]))
    grid = city["D2S2C1G2"]
    body = client.get(f"/api/v1/regions/{grid.id}", headers=headers).get_json()
    assert body["id"] == str(grid.id) and body["parent_id"] == str(city["D2S2C1"].id)
    assert body["level"] == "grid" and body["code"] == "D2S2C1G2"
    assert body["boundary"]["type"] == "Polygon"
    assert body["updated_at"].endswith(("Z", "+00:00"))


def test_street_supervisor_reads_regions_in_the_street(client, city, login_as):
    headers = login_as(make_user("street1", roles=["supervisor"], region=city["D1S1"]))
    for code in ("D1S1", "D1S1C1", "D1S1C2G2"):
        assert client.get(f"/api/v1/regions/{city[code].id}", headers=headers).status_code == 200


@pytest.mark.parametrize("code", ["C", "D1", "D1S2", "D1S2C1G1", "D2S1C1"])
def test_street_supervisor_gets_404_outside_the_street(client, city, login_as, code):
    headers = login_as(make_user("street1", roles=["supervisor"], region=city["D1S1"]))
    response = client.get(f"/api/v1/regions/{city[code].id}", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_unknown_region_and_out_of_scope_region_look_the_same(client, city, login_as):
    headers = login_as(make_user("street1", roles=["supervisor"], region=city["D1S1"]))
    unknown = client.get(f"/api/v1/regions/{uuid.uuid4()}", headers=headers)
    hidden = client.get(f"/api/v1/regions/{city['D2'].id}", headers=headers)
    assert unknown.status_code == hidden.status_code == 404
    assert unknown.get_json() == hidden.get_json()


def test_region_list_is_limited_to_scope_and_filters(client, city, login_as):
    headers = login_as(make_user("street1", roles=["supervisor"], region=city["D1S1"]))
    body = client.get("/api/v1/regions?per_page=200", headers=headers).get_json()
    assert body["total"] == 7  # the street, 2 communities, 4 grids
    assert {r["code"] for r in body["items"]} == {
        "D1S1", "D1S1C1", "D1S1C2", "D1S1C1G1", "D1S1C1G2", "D1S1C2G1", "D1S1C2G2"}
    grids = client.get("/api/v1/regions?level=grid", headers=headers).get_json()
    assert grids["total"] == 4
    children = client.get(f"/api/v1/regions?parent_id={city['D1S1C2'].id}", headers=headers).get_json()
    assert {r["code"] for r in children["items"]} == {"D1S1C2G1", "D1S1C2G2"}
    # A parent outside the scope yields nothing rather than its children.
    outside = client.get(f"/api/v1/regions?parent_id={city['D2'].id}", headers=headers).get_json()
    assert outside["total"] == 0


def test_region_list_comes_top_down(client, city, login_as):
    headers = login_as(make_user("root", roles=["admin"]))
    items = client.get("/api/v1/regions?per_page=5", headers=headers).get_json()["items"]
    assert [r["level"] for r in items[:3]] == ["city", "district", "district"]


def test_worker_sees_only_their_own_grid(client, city, login_as):
    headers = login_as(make_user("w1", roles=["worker"], region=city["D1S1C1G1"]))
    body = client.get("/api/v1/regions", headers=headers).get_json()
    assert [r["code"] for r in body["items"]] == ["D1S1C1G1"]
    assert client.get(f"/api/v1/regions/{city['D1S1C1G2'].id}", headers=headers).status_code == 404


def test_citizen_cannot_read_regions(client, city, login_as):
    headers = login_as(make_user("c1"))
    response = client.get(f"/api/v1/regions/{city['C'].id}", headers=headers)
    assert response.status_code == 403


def test_clerk_sees_no_regions(client, city, login_as):
    headers = login_as(make_user("k1", roles=["clerk"]))
    assert client.get("/api/v1/regions", headers=headers).get_json()["total"] == 0


def test_geojson_gives_boundaries_in_scope(client, city, login_as):
    headers = login_as(make_user("street1", roles=["supervisor"], region=city["D1S1"]))
    body = client.get("/api/v1/regions/geojson?level=grid", headers=headers).get_json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 4
    feature = body["features"][0]
    assert feature["geometry"]["type"] == "Polygon" and feature["properties"]["level"] == "grid"


def test_geojson_filters_by_bbox(client, city, login_as):
    headers = login_as(make_user("root", roles=["admin"]))
    lat, lon = cell_center(3, 3)
    body = client.get(f"/api/v1/regions/geojson?level=grid&bbox={lon},{lat},{lon},{lat}",
                      headers=headers).get_json()
    assert [f["properties"]["code"] for f in body["features"]] == ["D2S2C2G2"]


def test_locate_finds_the_grid_of_a_point_with_its_path(client, city, login_as):
    headers = login_as(make_user("root", roles=["admin"]))
    lat, lon = cell_center(2, 1)  # column 2 → district 2, row 1 → street 1, community 2
    body = client.get(f"/api/v1/regions/locate?lat={lat}&lon={lon}", headers=headers).get_json()
    assert body["grid"]["code"] == "D2S1C2G1"
    assert [r["code"] for r in body["path"]] == ["C", "D2", "D2S1", "D2S1C2", "D2S1C2G1"]


def test_locate_outside_every_grid_is_404(client, city, login_as):
    headers = login_as(make_user("root", roles=["admin"]))
    response = client.get("/api/v1/regions/locate?lat=39.9&lon=116.4", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "no_grid_here"


def test_locate_does_not_reveal_grids_outside_scope(client, city, login_as):
    headers = login_as(make_user("street1", roles=["supervisor"], region=city["D1S1"]))
    lat, lon = cell_center(3, 3)
    assert client.get(f"/api/v1/regions/locate?lat={lat}&lon={lon}", headers=headers).status_code == 404
    lat, lon = cell_center(1, 1)
    assert client.get(f"/api/v1/regions/locate?lat={lat}&lon={lon}", headers=headers).status_code == 200


@pytest.mark.parametrize("query", ["lat=91&lon=118", "lat=35&lon=181", "lat=abc&lon=118", "lat=35",
                                   "lat=nan&lon=118"])
def test_locate_refuses_bad_coordinates(client, city, login_as, query):
    headers = login_as(make_user("root", roles=["admin"]))
    response = client.get(f"/api/v1/regions/locate?{query}", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
