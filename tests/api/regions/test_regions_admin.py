"""Admins create, redraw and delete regions; the boundaries must keep fitting."""

from __future__ import annotations

import pytest
from shapely.geometry import box, mapping

from tests.factories import cell_box, cell_center, make_user


@pytest.fixture
def admin(db, login_as):
    return login_as(make_user("root", roles=["admin"]))


def _grid_inside(city, code="D1S1C1G1", shrink=0.25):
    """A small square inside the given grid."""
    minx, miny, maxx, maxy = city[code].min_lon, city[code].min_lat, city[code].max_lon, city[code].max_lat
    dx, dy = (maxx - minx) * shrink, (maxy - miny) * shrink
    return box(minx + dx, miny + dy, maxx - dx, maxy - dy)


def test_admin_splits_a_community_by_adding_a_grid(client, city, admin):
    # Shrink an existing grid first, then add a new one in the freed space.
    g1 = city["D1S1C1G1"]
    left_half = box(g1.min_lon, g1.min_lat, (g1.min_lon + g1.max_lon) / 2, g1.max_lat)
    right_half = box((g1.min_lon + g1.max_lon) / 2, g1.min_lat, g1.max_lon, g1.max_lat)
    response = client.patch(f"/api/v1/regions/{g1.id}", headers=admin, json={"boundary": mapping(left_half)})
    assert response.status_code == 200, response.get_json()
    response = client.post("/api/v1/regions", headers=admin, json={
        "parent_id": str(city["D1S1C1"].id), "code": "D1S1C1G3", "name": "新网格",
        "boundary": mapping(right_half)})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["level"] == "grid" and body["parent_id"] == str(city["D1S1C1"].id)
    # The point-in-grid index follows the change.
    lon = (right_half.bounds[0] + right_half.bounds[2]) / 2
    lat = (right_half.bounds[1] + right_half.bounds[3]) / 2
    located = client.get(f"/api/v1/regions/locate?lat={lat}&lon={lon}", headers=admin).get_json()
    assert located["grid"]["code"] == "D1S1C1G3"


@pytest.mark.parametrize("change,status,code", [
    ({"boundary": {"type": "Point", "coordinates": [118, 35]}}, 422, "invalid_boundary"),
    ({"boundary": [1, 2]}, 422, "validation_error"),
    ({"boundary": {"type": "Polygon", "coordinates": [[[118.33, 35.03], [118.34, 35.03],
                                                       [118.34, 35.04]]]}}, 422, "invalid_boundary"),
    ({"boundary": {"type": "Polygon", "coordinates": [[[118.33, 35.03], [118.34, 35.04],
                                                       [118.34, 35.03], [118.33, 35.04],
                                                       [118.33, 35.03]]]}}, 422, "invalid_boundary"),
    ({"boundary": "outside"}, 422, "outside_parent"),
    ({"boundary": "overlap"}, 422, "overlaps_sibling"),
    ({"code": "D1S1C1G2"}, 409, "code_taken"),
    ({"code": ""}, 422, "validation_error"),
])
def test_new_region_that_does_not_fit_is_refused_and_nothing_written(client, city, admin, change, status, code):
    payload = {"parent_id": str(city["D1S1C1"].id), "code": "NEW1", "name": "新网格",
               "boundary": mapping(_grid_inside(city))}
    if change.get("boundary") == "outside":
        change = {"boundary": mapping(cell_box(3, 3))}
    elif change.get("boundary") == "overlap":
        change = {"boundary": mapping(_grid_inside(city, shrink=0.1))}
    payload.update(change)
    before = client.get("/api/v1/regions", headers=admin).get_json()["total"]
    response = client.post("/api/v1/regions", headers=admin, json=payload)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code
    assert client.get("/api/v1/regions", headers=admin).get_json()["total"] == before


def test_a_grid_cannot_have_children(client, city, admin):
    response = client.post("/api/v1/regions", headers=admin, json={
        "parent_id": str(city["D1S1C1G1"].id), "code": "X", "name": "x",
        "boundary": mapping(_grid_inside(city))})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "grid_has_no_children"


def test_only_one_city(client, city, admin):
    response = client.post("/api/v1/regions", headers=admin, json={
        "code": "C2", "name": "another", "boundary": mapping(cell_box(10, 10))})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "city_exists"


def test_redrawing_a_parent_must_keep_its_children_inside(client, city, admin):
    response = client.patch(f"/api/v1/regions/{city['D1S1C1'].id}", headers=admin,
                            json={"boundary": mapping(cell_box(0, 0))})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "child_outside"


def test_rename_region(client, city, admin):
    response = client.patch(f"/api/v1/regions/{city['D1'].id}", headers=admin, json={"name": "兰山区"})
    assert response.status_code == 200 and response.get_json()["name"] == "兰山区"


def test_delete_leaf_region(client, city, admin):
    grid = city["D2S2C2G2"]
    assert client.delete(f"/api/v1/regions/{grid.id}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/regions/{grid.id}", headers=admin).status_code == 404
    lat, lon = cell_center(3, 3)
    assert client.get(f"/api/v1/regions/locate?lat={lat}&lon={lon}", headers=admin).status_code == 404


def test_delete_refuses_a_region_with_children_or_accounts(client, city, admin):
    response = client.delete(f"/api/v1/regions/{city['D1'].id}", headers=admin)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "has_children"
    make_user("w1", roles=["worker"], region=city["D1S1C1G1"])
    response = client.delete(f"/api/v1/regions/{city['D1S1C1G1'].id}", headers=admin)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "region_in_use"


def test_supervisor_cannot_edit_regions(client, city, login_as):
    headers = login_as(make_user("boss", roles=["supervisor"], region=city["C"]))
    response = client.patch(f"/api/v1/regions/{city['D1'].id}", headers=headers, json={"name": "x"})
    assert response.status_code == 403
