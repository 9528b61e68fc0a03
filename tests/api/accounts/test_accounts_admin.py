"""Account administration: admins manage everyone; supervisors read their region's accounts."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import make_department, make_user
from tests.helpers import assert_json_error


@pytest.fixture
def admin_headers(db, login_as):
    return login_as(make_user("root", roles=["admin"]))


def test_admin_creates_a_worker_bound_to_a_grid(client, city, admin_headers, login_as):
    grid = city["D1S2C1G2"]
    response = client.post("/api/v1/accounts", headers=admin_headers, json={
        "username": "NewWorker", "password": "field work 1", "roles": ["worker"],
        "display_name": "赵六", "region_id": str(grid.id)})
    assert response.status_code == 201
    body = response.get_json()
    assert body["username"] == "newworker" and body["region_id"] == str(grid.id)
    assert login_as("newworker", "field work 1")


@pytest.mark.parametrize("payload,status,code", [
    ({"roles": ["worker"]}, 422, "region_required"),
    ({"roles": ["supervisor"]}, 422, "region_required"),
    ({"roles": ["worker"], "region": "D1S1"}, 422, "worker_needs_grid"),
    ({"roles": ["citizen"], "region": "D1"}, 422, "region_not_allowed"),
    ({"roles": ["wizard"]}, 422, "validation_error"),
    ({"roles": []}, 422, "validation_error"),
    ({"roles": ["citizen"], "password": "short"}, 422, "weak_password"),
    ({"roles": ["citizen"], "username": "has space"}, 422, "invalid_username"),
    ({"roles": ["citizen"], "username": "root"}, 409, "username_taken"),
    ({"roles": ["worker"], "region_id": str(uuid.uuid4())}, 422, "unknown_region"),
])
def test_account_creation_refuses_bad_bindings(client, city, admin_headers, payload, status, code):
    body = {"username": "someone", "password": "long enough 1", **payload}
    if "region" in body:
        body["region_id"] = str(city[body.pop("region")].id)
    response = client.post("/api/v1/accounts", headers=admin_headers, json=body)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code


def test_admin_moves_a_worker_to_another_grid(client, city, admin_headers):
    worker = make_user("w1", roles=["worker"], region=city["D1S1C1G1"])
    response = client.patch(f"/api/v1/accounts/{worker.id}", headers=admin_headers,
                            json={"region_id": str(city["D2S2C2G2"].id)})
    assert response.status_code == 200
    assert response.get_json()["region_id"] == str(city["D2S2C2G2"].id)


def test_admin_resets_a_password_and_old_sessions_end(client, db, admin_headers, login_as):
    alice = make_user("alice")
    old = login_as(alice)
    response = client.patch(f"/api/v1/accounts/{alice.id}", headers=admin_headers,
                            json={"password": "reset by admin 1"})
    assert response.status_code == 200
    assert client.get("/api/v1/me", headers=old).status_code == 401
    assert login_as("alice", "reset by admin 1")


def test_admin_cannot_disable_or_demote_themselves(client, db, login_as):
    root = make_user("root", roles=["admin"])
    headers = login_as(root)
    for change in ({"is_active": False}, {"roles": ["citizen"]}):
        response = client.patch(f"/api/v1/accounts/{root.id}", headers=headers, json=change)
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "cannot_demote_self"


def test_supervisor_lists_only_accounts_bound_inside_their_region(client, city, login_as):
    inside = make_user("inside", roles=["worker"], region=city["D1S1C2G1"])
    make_user("outside", roles=["worker"], region=city["D1S2C1G1"])
    make_user("citizen9")
    boss = make_user("boss", roles=["supervisor"], region=city["D1S1"])
    body = client.get("/api/v1/accounts", headers=login_as(boss)).get_json()
    assert {a["username"] for a in body["items"]} == {"inside", "boss"}
    assert body["total"] == 2 and body["page"] == 1
    assert client.get(f"/api/v1/accounts/{inside.id}", headers=login_as(boss)).status_code == 200


def test_supervisor_cannot_read_an_account_outside_their_region(client, city, login_as):
    outside = make_user("outside", roles=["worker"], region=city["D2S1C1G1"])
    boss = make_user("boss", roles=["supervisor"], region=city["D1S1"])
    response = client.get(f"/api/v1/accounts/{outside.id}", headers=login_as(boss))
    assert response.status_code == 404


def test_supervisor_cannot_create_or_edit_accounts(client, city, login_as):
    boss = make_user("boss", roles=["supervisor"], region=city["D1S1"])
    worker = make_user("w1", roles=["worker"], region=city["D1S1C1G1"])
    headers = login_as(boss)
    assert client.post("/api/v1/accounts", headers=headers, json={}).status_code == 403
    assert client.patch(f"/api/v1/accounts/{worker.id}", headers=headers,
                        json={"display_name": "x"}).status_code == 403


@pytest.mark.parametrize("roles", [["citizen"], ["worker"], ["clerk"]])
def test_non_admin_roles_cannot_reach_account_admin(client, city, login_as, roles):
    region = city["D1S1C1G1"] if "worker" in roles else None
    headers = login_as(make_user("someone", roles=roles, region=region))
    for method, url in (("get", "/api/v1/accounts"), ("post", "/api/v1/accounts")):
        response = getattr(client, method)(url, headers=headers, json={} if method == "post" else None)
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden_role"


def test_account_list_filters_by_role_region_and_text(client, city, admin_headers):
    make_user("w1", roles=["worker"], region=city["D1S1C1G1"], display_name="张伟")
    make_user("w2", roles=["worker"], region=city["D2S1C1G1"])
    make_user("c1")
    get = lambda qs: {a["username"] for a in  # noqa: E731
                      client.get(f"/api/v1/accounts?{qs}", headers=admin_headers).get_json()["items"]}
    assert get("role=worker") == {"w1", "w2"}
    assert get(f"region_id={city['D2'].id}") == {"w2"}
    assert get("q=张") == {"w1"}


def test_account_list_pages(client, db, admin_headers):
    for i in range(5):
        make_user(f"user{i}")
    body = client.get("/api/v1/accounts?per_page=2&page=2", headers=admin_headers).get_json()
    assert body["total"] == 6 and body["pages"] == 3 and len(body["items"]) == 2


def test_department_staff_belong_to_one_department(client, db, admin_headers, login_as):
    city_management = make_department("CGJ", "城管局")
    response = client.post("/api/v1/accounts", headers=admin_headers, json={
        "username": "dept9", "password": "handle it 99", "roles": ["department"],
        "department_id": str(city_management.id)})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["department_id"] == str(city_management.id)
    me = client.get("/api/v1/me", headers=login_as("dept9", "handle it 99")).get_json()
    assert me["department_id"] == str(city_management.id) and me["roles"] == ["department"]


@pytest.mark.parametrize("roles,department,code", [
    (["department"], None, "department_required"),
    (["department"], "unknown", "unknown_department"),
    (["citizen"], "known", "department_not_allowed"),
])
def test_department_binding_is_checked(client, db, admin_headers, roles, department, code):
    known = make_department()
    department_id = {None: None, "known": str(known.id), "unknown": str(uuid.uuid4())}[department]
    response = client.post("/api/v1/accounts", headers=admin_headers, json={
        "username": "someone", "password": "long enough 1", "roles": roles,
        "department_id": department_id})
    assert_json_error(response, 422, code)


def test_a_department_with_staff_cannot_be_removed(client, db, admin_headers):
    department = make_department()
    make_user("dept9", roles=["department"], department=department)
    response = client.delete(f"/api/v1/departments/{department.id}", headers=admin_headers)
    assert_json_error(response, 409, "department_in_use")
    assert client.get(f"/api/v1/departments/{department.id}", headers=admin_headers).status_code == 200
