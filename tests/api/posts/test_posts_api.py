"""Posts (岗位) over HTTP: supervisors and admins place posts in grids of their scope and
put workers on them; phones learn of every change through sync."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import cell_center, make_user
from tests.sync_client import Phone

URL = "/api/v1/attendance/posts"
G1 = cell_center(0, 0)  # D1S1C1G1, w1's grid


def post_body(field_city, **extra) -> dict:
    return {"name": "学校门口", "region_id": str(field_city.city["D1S1C1G1"].id),
            "lat": G1[0], "lon": G1[1], "radius_m": 80, **extra}


@pytest.fixture
def post(client, field_city, login_as) -> dict:
    response = client.post(URL, headers=login_as("boss"), json=post_body(field_city))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def assign(client, headers, post_id, worker):
    return client.post(f"{URL}/{post_id}/workers", headers=headers, json={"worker_id": str(worker.id)})


def test_a_supervisor_places_a_post_in_a_grid_of_their_region(client, field_city, post, login_as):
    assert (post["name"], post["radius_m"], post["workers"], post["version"]) == ("学校门口", 80, [], 1)
    listed = client.get(URL, headers=login_as("boss")).get_json()["items"]
    assert [p["id"] for p in listed] == [post["id"]]
    one = client.get(f"{URL}/{post['id']}", headers=login_as("root")).get_json()
    assert one["region_id"] == str(field_city.city["D1S1C1G1"].id)


@pytest.mark.parametrize("method, path", [("post", ""), ("patch", "/{id}"), ("post", "/{id}/workers")])
def test_a_body_that_is_not_json_is_400_with_no_per_field_problems(client, post, login_as,
                                                                   method, path):
    response = client.open(URL + path.format(id=post["id"]), method=method, headers=login_as("boss"),
                           data="{", content_type="application/json")
    assert response.status_code == 400
    error = response.get_json()["error"]
    # The documented envelope: `fields`, when given, maps field names to their problems.
    assert error["code"] == "malformed_json" and "fields" not in error


def test_a_supervisor_puts_workers_of_the_grid_on_a_post(client, field_city, post, login_as):
    headers = login_as("boss")
    response = assign(client, headers, post["id"], field_city.w1)
    assert response.status_code == 200
    assert [w["username"] for w in response.get_json()["workers"]] == ["w1"]
    again = assign(client, headers, post["id"], field_city.w1)  # idempotent
    assert again.status_code == 200 and again.get_json()["version"] == post["version"]


def test_several_workers_share_a_post(client, field_city, post, login_as):
    mate = make_user("w1b", roles=["worker"], region=field_city.city["D1S1C1G1"])
    headers = login_as("boss")
    assign(client, headers, post["id"], field_city.w1)
    body = assign(client, headers, post["id"], mate).get_json()
    assert [w["username"] for w in body["workers"]] == ["w1", "w1b"]


def test_a_worker_holds_one_post_so_assigning_again_moves_them(client, field_city, post, login_as):
    headers = login_as("boss")
    gate = client.post(URL, headers=headers, json=post_body(field_city, name="菜市场")).get_json()
    assign(client, headers, post["id"], field_city.w1)
    assign(client, headers, gate["id"], field_city.w1)
    first = client.get(f"{URL}/{post['id']}", headers=headers).get_json()
    second = client.get(f"{URL}/{gate['id']}", headers=headers).get_json()
    assert first["workers"] == [] and [w["username"] for w in second["workers"]] == ["w1"]
    phone = Phone(client, "w1")
    phone.pull()
    assert [a["post_id"] for a in phone.held("post_assignments").values()] == [gate["id"]]


def test_unassigning_gives_the_worker_their_grid_again(client, field_city, post, login_as):
    headers = login_as("boss")
    assign(client, headers, post["id"], field_city.w1)
    response = client.delete(f"{URL}/{post['id']}/workers/{field_city.w1.id}", headers=headers)
    assert response.status_code == 204
    assert client.get(f"{URL}/{post['id']}", headers=headers).get_json()["workers"] == []
    again = client.delete(f"{URL}/{post['id']}/workers/{field_city.w1.id}", headers=headers)
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "not_assigned"


def test_editing_a_post_bumps_its_version_and_reaches_phones(client, field_city, post, login_as):
    phone = Phone(client, "w1")
    phone.pull()
    response = client.patch(f"{URL}/{post['id']}", headers=login_as("boss"),
                            json={"name": "小学南门", "radius_m": 120})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["name"], response.get_json()["version"]) == ("小学南门", 2)
    changes = phone.pull()
    assert [(c["collection"], c["version"]) for c in changes] == [("posts", 2)]
    assert phone.held("posts")[post["id"]]["radius_m"] == 120


def test_deleting_a_post_nobody_holds_removes_it_from_phones(client, field_city, post, login_as):
    phone = Phone(client, "w1")
    phone.pull()
    response = client.delete(f"{URL}/{post['id']}", headers=login_as("boss"))
    assert response.status_code == 204
    assert client.get(f"{URL}/{post['id']}", headers=login_as("boss")).status_code == 404
    phone.pull()
    assert phone.held("posts") == {}


def test_a_post_with_workers_cannot_be_deleted(client, field_city, post, login_as):
    headers = login_as("boss")
    assign(client, headers, post["id"], field_city.w1)
    response = client.delete(f"{URL}/{post['id']}", headers=headers)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "post_has_workers"


def test_two_posts_of_a_grid_cannot_share_a_name(client, field_city, post, login_as):
    response = client.post(URL, headers=login_as("boss"), json=post_body(field_city))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "post_name_taken"
    other = client.post(URL, headers=login_as("boss"), json=post_body(field_city, name="菜市场"))
    renamed = client.patch(f"{URL}/{other.get_json()['id']}", headers=login_as("boss"),
                           json={"name": "学校门口"})
    assert renamed.status_code == 409


def test_a_supervisor_sees_and_touches_no_post_outside_their_region(client, field_city, login_as):
    outside = post_body(field_city, region_id=str(field_city.city["D2S1C1G1"].id),
                        lat=cell_center(2, 0)[0], lon=cell_center(2, 0)[1])
    created = client.post(URL, headers=login_as("root"), json=outside)
    assert created.status_code == 201
    post_id = created.get_json()["id"]
    headers = login_as("boss")
    assert client.post(URL, headers=headers, json=outside).status_code == 404
    assert client.get(URL, headers=headers).get_json()["items"] == []
    assert client.get(f"{URL}/{post_id}", headers=headers).status_code == 404
    assert client.patch(f"{URL}/{post_id}", headers=headers, json={"radius_m": 50}).status_code == 404
    assert client.delete(f"{URL}/{post_id}", headers=headers).status_code == 404
    assert assign(client, headers, post_id, field_city.w3).status_code == 404


def test_a_supervisor_cannot_assign_a_worker_outside_their_region(client, field_city, post, login_as):
    assert assign(client, login_as("boss"), post["id"], field_city.w3).status_code == 404


@pytest.mark.parametrize("who, code", [("w2", "worker_outside_post_grid"), ("boss", "not_a_worker")])
def test_only_workers_of_the_posts_grid_hold_it(client, field_city, post, login_as, who, code):
    response = assign(client, login_as("root"), post["id"], getattr(field_city, who))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code


@pytest.mark.parametrize("method, path", [
    ("get", ""), ("post", ""), ("get", "/{id}"), ("patch", "/{id}"), ("delete", "/{id}"),
    ("post", "/{id}/workers"), ("delete", "/{id}/workers/{w}")])
def test_workers_cannot_manage_posts(client, field_city, post, login_as, method, path):
    url = URL + path.format(id=post["id"], w=field_city.w1.id)
    body = {"worker_id": str(field_city.w1.id)} if path.endswith("workers") else post_body(field_city)
    kwargs = {"json": body} if method in ("post", "patch") else {}
    response = getattr(client, method)(url, headers=login_as("w1"), **kwargs)
    assert response.status_code == 403


@pytest.mark.parametrize("change, code", [
    ({"radius_m": 9.9}, "validation_error"),
    ({"radius_m": 2000.5}, "validation_error"),
    ({"radius_m": None}, "validation_error"),
    ({"name": ""}, "validation_error"),
    ({"name": "x" * 101}, "validation_error"),
    ({"lat": 91}, "validation_error"),
    ({"lat": "NaN"}, "validation_error"),
    ({"lat": cell_center(1, 0)[0], "lon": cell_center(1, 0)[1]}, "post_outside_grid"),
    ({"region": "D1S1C1"}, "post_not_in_grid"),
    ({"region": None}, "validation_error"),
])
def test_bad_posts_are_422_with_a_code(client, field_city, login_as, change, code):
    body = post_body(field_city, **change)
    if "region" in change:
        region = body.pop("region")
        body["region_id"] = str(field_city.city[region].id) if region else None
    response = client.post(URL, headers=login_as("boss"), json=body)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code


@pytest.mark.parametrize("change, code", [
    ({}, "validation_error"),
    ({"radius_m": 5}, "validation_error"),
    ({"lon": cell_center(1, 0)[1]}, "post_outside_grid"),
    ({"region_id": str(uuid.uuid4())}, "validation_error"),  # a post stays in its grid
])
def test_bad_edits_are_422_with_a_code(client, field_city, post, login_as, change, code):
    response = client.patch(f"{URL}/{post['id']}", headers=login_as("boss"), json=change)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code


def test_unknown_posts_and_workers_are_404(client, field_city, post, login_as):
    headers = login_as("root")
    assert client.get(f"{URL}/{uuid.uuid4()}", headers=headers).status_code == 404
    nobody = {"worker_id": str(uuid.uuid4())}
    assert client.post(f"{URL}/{post['id']}/workers", headers=headers, json=nobody).status_code == 404
    assert assign(client, headers, uuid.uuid4(), field_city.w1).status_code == 404
    bad = client.post(f"{URL}/{post['id']}/workers", headers=headers, json={"worker_id": "w1"})
    assert bad.status_code == 422


def test_posts_list_narrows_to_a_region(client, field_city, post, login_as):
    headers = login_as("root")
    mine = client.get(f"{URL}?region_id={field_city.city['D1S1C1'].id}", headers=headers)
    elsewhere = client.get(f"{URL}?region_id={field_city.city['D2'].id}", headers=headers)
    assert [p["id"] for p in mine.get_json()["items"]] == [post["id"]]
    assert elsewhere.get_json()["items"] == []


def test_a_grid_with_a_post_cannot_be_deleted(client, field_city, login_as):
    empty_grid = field_city.city["D1S2C1G1"]  # nobody is bound to it
    lat, lon = cell_center(0, 2)
    headers = login_as("root")
    created = client.post(URL, headers=headers, json=post_body(
        field_city, region_id=str(empty_grid.id), lat=lat, lon=lon))
    assert created.status_code == 201
    response = client.delete(f"/api/v1/regions/{empty_grid.id}", headers=headers)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "region_in_use"
