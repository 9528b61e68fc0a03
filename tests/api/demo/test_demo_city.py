"""The demo city that `make run` loads: every account signs in and sees what it should."""

from __future__ import annotations

import pytest

from backend.demo.services import DEMO_ACCOUNTS
from backend.extensions import db as _db
from backend.regions.models import Region
from tests.sync_client import Phone


def test_demo_city_has_the_promised_size(demo, db):
    from sqlalchemy import func, select

    counts = {level: n for level, n in db.session.execute(select(Region.level, func.count()).group_by(Region.level))}
    assert counts == {"city": 1, "district": 2, "street": 4, "community": 8, "grid": 24}


def test_loading_again_with_if_empty_changes_nothing(app, demo):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "nothing loaded" in result.output


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.username)
def test_each_demo_account_signs_in_with_its_role_and_region(client, demo, demo_login, account):
    me = client.get("/api/v1/me", headers=demo_login(account.username)).get_json()
    assert me["roles"] == sorted(account.roles)
    if account.region_code:
        assert me["region"]["code"] == account.region_code
    else:
        assert me["region_id"] is None


def test_demo_workers_are_in_grids_of_different_streets(client, demo, demo_login):
    streets = set()
    for name in ("worker1", "worker2"):
        me = client.get("/api/v1/me", headers=demo_login(name)).get_json()
        assert me["region"]["level"] == "grid"
        streets.add(me["region"]["path"][2]["code"])
    assert len(streets) == 2


def test_street1_cannot_read_anything_outside_its_street(client, demo, demo_login):
    headers = demo_login("street1")
    admin = demo_login("admin")
    everything = client.get("/api/v1/regions?per_page=200", headers=admin).get_json()["items"]
    mine = {r["id"] for r in client.get("/api/v1/regions?per_page=200", headers=headers).get_json()["items"]}
    assert len(mine) == 1 + 2 + 6  # the street, its 2 communities and 6 grids
    for region in everything:
        status = client.get(f"/api/v1/regions/{region['id']}", headers=headers).status_code
        assert status == (200 if region["id"] in mine else 404), region["code"]
    accounts = client.get("/api/v1/accounts?per_page=200", headers=admin).get_json()["items"]
    visible = {a["username"] for a in client.get("/api/v1/accounts", headers=headers).get_json()["items"]}
    assert visible == {"street1", "worker1"}
    for account in accounts:
        status = client.get(f"/api/v1/accounts/{account['id']}", headers=headers).status_code
        assert status == (200 if account["username"] in visible else 404), account["username"]


@pytest.mark.parametrize("method,url", [
    ("get", "/api/v1/accounts"), ("post", "/api/v1/accounts"), ("post", "/api/v1/regions"),
    ("get", "/api/v1/regions"), ("get", "/api/v1/regions/geojson"),
])
def test_citizen_cannot_reach_admin_endpoints(client, demo, demo_login, method, url):
    response = getattr(client, method)(url, headers=demo_login("citizen1"),
                                       **({"json": {}} if method == "post" else {}))
    assert response.status_code == 403


def test_the_example_point_is_in_a_demo_grid(client, demo, demo_login):
    body = client.get("/api/v1/regions/locate?lat=35.051&lon=118.352",
                      headers=demo_login("supervisor")).get_json()
    assert body["grid"]["level"] == "grid" and body["path"][0]["code"] == "371300"


def test_demo_grids_tile_the_city_without_gaps(demo):
    import shapely

    grids = _db.session.scalars(_db.select(Region.boundary_geojson).where(Region.level == "grid")).all()
    city = _db.session.scalar(_db.select(Region.boundary_geojson).where(Region.level == "city"))
    shapes = shapely.from_geojson(grids)
    assert abs(sum(s.area for s in shapes) - shapely.from_geojson(city).area) < 1e-12


def test_demo_workers_have_the_default_shift_from_the_day_it_was_loaded(client, demo, demo_login):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    body = client.get(f"/api/v1/attendance/days?month={today:%Y-%m}",
                      headers=demo_login("worker1")).get_json()
    day = next(d for d in body["days"] if d["date"] == today.isoformat())
    assert day["shift_starts_at"].endswith("T00:30:00+00:00")  # 08:30 in Shanghai


def test_demo_departments_are_listed_for_staff_and_synced_to_phones(client, demo, demo_login):
    page = client.get("/api/v1/departments", headers=demo_login("supervisor")).get_json()
    names = {item["name"] for item in page["items"]}
    assert {"城管局", "住建局", "市场监管局"} <= names
    phone = Phone(client, "worker1", client.application.config["DEMO_PASSWORD"])
    phone.pull()
    assert {d["name"] for d in phone.held("departments").values()} == names
