"""Departments (职能部门): administrators manage them, staff read them, phones hold them."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.sync_client import Phone


@pytest.fixture
def admin(db, login_as):
    return login_as(make_user("root", roles=["admin"]))


def _add(client, admin, code="CGJ", name="城管局"):
    response = client.post("/api/v1/departments", headers=admin, json={"code": code, "name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_admin_adds_renames_and_removes_a_department(client, admin):
    made = _add(client, admin)
    assert made["code"] == "CGJ" and made["name"] == "城管局" and made["version"] == 1
    response = client.patch(f"/api/v1/departments/{made['id']}", headers=admin,
                            json={"name": "城市管理局"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "城市管理局" and response.get_json()["version"] == 2
    assert client.delete(f"/api/v1/departments/{made['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/departments/{made['id']}", headers=admin).status_code == 404


def test_the_list_is_paged_by_name_and_searchable(client, admin):
    for code, name in (("ZJJ", "住建局"), ("CGJ", "城管局"), ("SCJ", "市场监管局")):
        _add(client, admin, code, name)
    page = client.get("/api/v1/departments?per_page=2", headers=admin).get_json()
    assert page["total"] == 3 and page["pages"] == 2 and len(page["items"]) == 2
    found = client.get("/api/v1/departments?q=监管", headers=admin).get_json()["items"]
    assert [d["code"] for d in found] == ["SCJ"]
    found = client.get("/api/v1/departments?q=zjj", headers=admin).get_json()["items"]
    assert [d["name"] for d in found] == ["住建局"]  # letters in any case


@pytest.mark.parametrize("taken", [{"code": "CGJ", "name": "别的局"}, {"code": "OTHER", "name": "城管局"}])
def test_a_code_or_name_in_use_is_refused(client, admin, taken):
    _add(client, admin)
    response = client.post("/api/v1/departments", headers=admin, json=taken)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "department_taken"


def test_renaming_to_a_name_in_use_is_refused(client, admin):
    _add(client, admin)
    other = _add(client, admin, "ZJJ", "住建局")
    response = client.patch(f"/api/v1/departments/{other['id']}", headers=admin, json={"name": "城管局"})
    assert response.status_code == 409
    assert client.get(f"/api/v1/departments/{other['id']}", headers=admin).get_json()["name"] == "住建局"


@pytest.mark.parametrize("body", [
    {}, {"code": "CGJ"}, {"name": "城管局"}, {"code": "", "name": "城管局"},
    {"code": "has space", "name": "城管局"}, {"code": "CGJ", "name": ""},
    {"code": "CGJ", "name": "x" * 101}, {"code": 7, "name": "城管局"},
])
def test_bad_departments_are_refused_with_the_field_named(client, admin, body):
    response = client.post("/api/v1/departments", headers=admin, json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


def test_an_empty_change_is_refused(client, admin):
    made = _add(client, admin)
    response = client.patch(f"/api/v1/departments/{made['id']}", headers=admin, json={})
    assert response.status_code == 422


@pytest.mark.parametrize("role", ["supervisor", "worker", "clerk"])
def test_staff_read_departments_but_only_admins_change_them(client, city, login_as, admin, role):
    made = _add(client, admin)
    headers = login_as(make_user(f"u_{role}", roles=[role], region=city["D1S1C1G1"]))
    assert client.get("/api/v1/departments", headers=headers).status_code == 200
    assert client.get(f"/api/v1/departments/{made['id']}", headers=headers).status_code == 200
    for response in (
        client.post("/api/v1/departments", headers=headers, json={"code": "X", "name": "X局"}),
        client.patch(f"/api/v1/departments/{made['id']}", headers=headers, json={"name": "Y"}),
        client.delete(f"/api/v1/departments/{made['id']}", headers=headers),
    ):
        assert response.status_code == 403, response.get_json()


def test_citizens_and_strangers_get_no_departments(client, login_as, admin):
    _add(client, admin)
    citizen = login_as(make_user("c1", roles=["citizen"]))
    assert client.get("/api/v1/departments", headers=citizen).status_code == 403
    assert client.get("/api/v1/departments").status_code == 401


def test_phones_pull_departments_and_drop_a_removed_one(client, city, admin):
    make_user("w1", roles=["worker"], region=city["D1S1C1G1"])
    kept = _add(client, admin)
    gone = _add(client, admin, "ZJJ", "住建局")
    phone = Phone(client, "w1")
    phone.sync()
    assert {d["name"] for d in phone.held("departments").values()} == {"城管局", "住建局"}
    client.patch(f"/api/v1/departments/{kept['id']}", headers=admin, json={"name": "城市管理局"})
    client.delete(f"/api/v1/departments/{gone['id']}", headers=admin)
    phone.sync()
    held = phone.held("departments")
    assert list(held) == [kept["id"]]
    assert held[kept["id"]]["name"] == "城市管理局" and held[kept["id"]]["code"] == "CGJ"


def test_phones_cannot_write_departments(client, city, admin):
    make_user("w1", roles=["worker"], region=city["D1S1C1G1"])
    phone = Phone(client, "w1")
    phone.create("departments", {"code": "X", "name": "X局"})
    results = phone.push()["results"]
    assert results[0]["status"] == "rejected", results
    assert client.get("/api/v1/departments", headers=admin).get_json()["total"] == 0
