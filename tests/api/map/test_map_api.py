"""The one map over HTTP: the cases in a view (points or clusters) in the caller's sight, its
filters and box, the workers' day, the map's settings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from backend.incidents.cases import act
from backend.incidents.models import Report
from backend.regions.models import Region
from tests.factories import G1, G2, G3, ORIGIN_LAT, ORIGIN_LON, make_category, make_patrol, make_user
from tests.helpers import assert_json_error, report_fields
from tests.sync_client import Phone

# The whole small city and around it, at a district's zoom.
CITY_BOX = {"bbox": "118.30,35.00,118.40,35.08", "zoom": 13}


@pytest.fixture
def four_cases(client, field_city):
    """a (w1, fresh, road.pothole), late (w1, January, past its deadline), b (w2,
    sanitation.garbage, cancelled), c (w3, the other district)."""
    make_category("sanitation.garbage", time_limit_h=24)
    w1, w2, w3 = Phone(client, "w1"), Phone(client, "w2"), Phone(client, "w3")
    now = datetime.now(UTC).isoformat()
    ids = {"a": w1.create("reports", report_fields(reported_at=now)),
           "late": w1.create("reports", report_fields(reported_at="2026-01-05T08:00:00Z")),
           "b": w2.create("reports", report_fields(G2, category="sanitation.garbage",
                                                   reported_at=now)),
           "c": w3.create("reports", report_fields(G3, reported_at=now))}
    for phone in (w1, w2, w3):
        phone.push()
    act(field_city.boss, uuid.UUID(ids["b"]), "cancel", note="重复")
    return ids


def in_view(client, headers, **query):
    response = client.get("/api/v1/map/cases", headers=headers, query_string={**CITY_BOX, **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids_of(body) -> set[str]:
    return {p["id"] for p in body["points"]}


def test_a_street_supervisor_sees_only_the_cases_of_their_street(client, field_city, login_as,
                                                                  four_cases):
    body = in_view(client, login_as(field_city.boss))
    assert body["mode"] == "points" and body["total"] == 3
    assert ids_of(body) == {four_cases["a"], four_cases["late"], four_cases["b"]}
    assert ids_of(in_view(client, login_as(field_city.admin))) == set(four_cases.values())


def test_a_point_says_what_the_popup_shows(client, field_city, login_as, four_cases):
    points = {p["id"]: p for p in in_view(client, login_as(field_city.admin))["points"]}
    late = points[four_cases["late"]]
    assert set(late) == {"id", "code", "status", "overdue", "category", "lat", "lon", "deadline_at"}
    assert late["overdue"] is True and late["status"] == "reported" and late["code"]
    assert (late["lat"], late["lon"]) == pytest.approx(G1)
    assert points[four_cases["a"]]["overdue"] is False


@pytest.mark.parametrize("query,expected", [
    ({"status": "cancelled"}, {"b"}),
    ({"status": ["reported", "cancelled"]}, {"a", "late", "b", "c"}),
    ({"overdue": "true"}, {"late"}),
    ({"overdue": "false"}, {"a", "b", "c"}),
    ({"category": "sanitation"}, {"b"}),
    ({"category": "road.pothole"}, {"a", "late", "c"}),
    ({"from": "2026-01-01", "to": "2026-01-31"}, {"late"}),
    ({"from": "2026-02-01"}, {"a", "b", "c"}),
])
def test_filters_narrow_the_view(client, field_city, login_as, four_cases, query, expected):
    body = in_view(client, login_as(field_city.admin), **query)
    assert ids_of(body) == {four_cases[name] for name in expected}


def test_a_region_filter_keeps_its_subtree(client, field_city, login_as, four_cases):
    district = field_city.city["D2"]
    body = in_view(client, login_as(field_city.admin), region_id=str(district.id))
    assert ids_of(body) == {four_cases["c"]}


def test_the_box_keeps_what_lies_inside_it(client, field_city, login_as, four_cases):
    lat, lon = G3
    box = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    body = in_view(client, login_as(field_city.admin), bbox=box, zoom=18)
    assert ids_of(body) == {four_cases["c"]}
    far = in_view(client, login_as(field_city.admin), bbox="10,10,11,11", zoom=10)
    assert far["total"] == 0 and far["points"] == [] and far["clusters"] == []


def test_a_view_of_many_cases_comes_as_clusters_counted_by_status(app, client, field_city, login_as,
                                                                  four_cases, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_POINTS_MAX", 3)
    admin = login_as(field_city.admin)
    body = in_view(client, admin, zoom=10)
    assert body["mode"] == "clusters" and body["points"] == [] and body["total"] == 4
    # At zoom 10 a cell is about 0.08° wide: the whole small city (0.04°) is one or two cells.
    assert sum(c["count"] for c in body["clusters"]) == 4
    assert sum(c["overdue"] for c in body["clusters"]) == 1
    by_status: dict[str, int] = {}
    for cluster in body["clusters"]:
        for status, n in cluster["by_status"].items():
            by_status[status] = by_status.get(status, 0) + n
        assert ORIGIN_LAT <= cluster["lat"] <= ORIGIN_LAT + 0.04
        assert ORIGIN_LON <= cluster["lon"] <= ORIGIN_LON + 0.04
    assert by_status == {"reported": 3, "cancelled": 1}
    # Zoomed in far enough for each case to have a cell of its own; the limit still holds.
    fine = in_view(client, admin, zoom=18)
    assert fine["mode"] == "clusters" and sorted(c["count"] for c in fine["clusters"]) == [1, 1, 2]
    # At most the limit: points again.
    assert in_view(client, admin, status="reported", overdue="false")["mode"] == "points"


def test_clusters_keep_to_the_callers_sight(app, client, field_city, login_as, four_cases,
                                           monkeypatch):
    monkeypatch.setitem(app.config, "MAP_POINTS_MAX", 1)
    body = in_view(client, login_as(field_city.boss), zoom=10)
    assert body["mode"] == "clusters" and body["total"] == 3


def test_zoomed_out_a_street_is_one_cluster_from_the_daily_roll_up(app, client, field_city,
                                                                    login_as, four_cases,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "MAP_POINTS_MAX", 1)
    body = in_view(client, login_as(field_city.admin), zoom=12)
    assert body["mode"] == "clusters" and body["cluster_by"] == "street"
    # D1S1 holds a, late (G1) and b (G2, cancelled); D2S1 holds c (G3).
    first, second = body["clusters"]
    assert (first["count"], first["overdue"], first["by_status"]) == (
        3, 1, {"reported": 2, "cancelled": 1})
    assert (first["lat"], first["lon"]) == pytest.approx(((2 * G1[0] + G2[0]) / 3,
                                                          (2 * G1[1] + G2[1]) / 3))
    assert (second["count"], second["overdue"], second["by_status"]) == (1, 0, {"reported": 1})
    assert (second["lat"], second["lon"]) == pytest.approx(G3)
    assert body["total"] == 4
    # Filters the roll-up holds: status, period, region; the streets' positions follow.
    open_only = in_view(client, login_as(field_city.admin), zoom=12, status="reported")
    assert [(c["count"], c["by_status"]) for c in open_only["clusters"]] == [
        (2, {"reported": 2}), (1, {"reported": 1})]
    assert (open_only["clusters"][0]["lat"], open_only["clusters"][0]["lon"]) == pytest.approx(G1)
    january = in_view(client, login_as(field_city.admin), zoom=12, **{"from": "2026-01-01",
                                                                       "to": "2026-01-31"})
    assert january["mode"] == "points"  # one case: at most the limit
    district = in_view(client, login_as(field_city.admin), zoom=12,
                       region_id=str(field_city.city["D1"].id))
    assert district["cluster_by"] == "street" and district["total"] == 3
    # A street outside the view is left out, as its cases are.
    lat, lon = G3
    assert in_view(client, login_as(field_city.admin), zoom=12,
                   bbox=f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}")["total"] == 1


@pytest.mark.parametrize("query", [{"zoom": 13}, {"zoom": 12, "category": "road"},
                                   {"zoom": 12, "overdue": "true"}])
def test_closer_or_filtered_by_what_the_roll_up_lacks_the_cells_are_counted_live(
        app, client, field_city, login_as, four_cases, monkeypatch, query):
    monkeypatch.setitem(app.config, "MAP_POINTS_MAX", 0)
    body = in_view(client, login_as(field_city.admin), **query)
    assert body["mode"] == "clusters" and body["cluster_by"] == "cell"


def test_street_clusters_hold_what_the_sight_adds_outside_the_region(app, client, field_city,
                                                                     login_as, four_cases,
                                                                     monkeypatch):
    """The street's supervisor sees their street whole (from the roll-up) and, counted live,
    a report of their own in the other district."""
    monkeypatch.setitem(app.config, "MAP_POINTS_MAX", 1)
    boss = Phone(client, "boss")
    boss.create("reports", report_fields(G3, reported_at=datetime.now(UTC).isoformat()))
    boss.push()
    body = in_view(client, login_as(field_city.boss), zoom=12)
    assert body["cluster_by"] == "street"
    assert [(c["count"], c["by_status"]) for c in body["clusters"]] == [
        (3, {"reported": 2, "cancelled": 1}), (1, {"reported": 1})]
    assert (body["clusters"][1]["lat"], body["clusters"][1]["lon"]) == pytest.approx(G3)


def test_a_status_change_moves_the_street_cluster_at_once(app, client, field_city, login_as,
                                                          four_cases, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_POINTS_MAX", 1)
    act(field_city.boss, uuid.UUID(four_cases["a"]), "register")
    first = in_view(client, login_as(field_city.admin), zoom=12)["clusters"][0]
    assert first["by_status"] == {"reported": 1, "registered": 1, "cancelled": 1}


@pytest.mark.parametrize("query,code", [
    ({"bbox": "118.4,35.0,118.3,35.1", "zoom": 12}, "bad_bbox"),      # west after east
    ({"bbox": "118.3,35.1,118.4,35.0", "zoom": 12}, "bad_bbox"),      # south after north
    ({"bbox": "-190,35.0,118.4,35.1", "zoom": 12}, "bad_bbox"),
    ({"bbox": "118.3,35.0,118.4,95", "zoom": 12}, "bad_bbox"),
    ({"bbox": "118.3,35.0,118.4", "zoom": 12}, "bad_bbox"),
    ({"bbox": "118.3,35.0,118.4,nan", "zoom": 12}, None),
    ({"bbox": "a,b,c,d", "zoom": 12}, None),
    ({"zoom": 12}, None),
    ({"bbox": "118.3,35.0,118.4,35.1"}, None),
    ({"bbox": "118.3,35.0,118.4,35.1", "zoom": 30}, None),
    ({"bbox": "118.3,35.0,118.4,35.1", "zoom": -1}, None),
    ({"bbox": "118.3,35.0,118.4,35.1", "zoom": "far"}, None),
    ({**CITY_BOX, "from": "2026-03-02", "to": "2026-03-01"}, None),
    ({**CITY_BOX, "status": "lost"}, None),
    ({**CITY_BOX, "region_id": str(uuid.uuid4())}, "unknown_region"),
])
def test_a_bad_view_or_filter_is_422(client, field_city, login_as, query, code):
    response = client.get("/api/v1/map/cases", headers=login_as(field_city.admin),
                          query_string=query)
    assert_json_error(response, 422, code)


@pytest.mark.parametrize("path", ["/api/v1/map/cases", "/api/v1/map/workers",
                                  "/api/v1/map/settings"])
def test_only_supervisors_and_admins_open_the_map(client, field_city, login_as, path):
    query = CITY_BOX if path.endswith("cases") else {}
    assert_json_error(client.get(path, query_string=query), 401)
    for user in (field_city.w1, make_user("citizen9")):
        assert_json_error(client.get(path, headers=login_as(user), query_string=query), 403)
    for user in (field_city.boss, field_city.admin):
        assert client.get(path, headers=login_as(user), query_string=query).status_code == 200


# -- the workers' day ----------------------------------------------------------------------

def _walk(lat: float, lon: float, start: datetime, n: int = 12) -> list[tuple]:
    return [(lat, lon + 0.0002 * i, (start + timedelta(seconds=10 * i)).isoformat())
            for i in range(n)]


def test_the_workers_day_gives_last_positions_and_tracks_in_scope(client, field_city, login_as):
    morning = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in the city
    make_patrol(field_city.w1, _walk(ORIGIN_LAT + 0.002, ORIGIN_LON + 0.001, morning))
    make_patrol(field_city.w1, _walk(ORIGIN_LAT + 0.004, ORIGIN_LON + 0.001,
                                     morning + timedelta(hours=2), n=5))
    make_patrol(field_city.w3, _walk(G3[0], G3[1] - 0.003, morning))
    body = client.get("/api/v1/map/workers?date=2026-11-23",
                      headers=login_as(field_city.boss)).get_json()
    assert body["date"] == "2026-11-23"
    [w1] = body["items"]
    assert w1["username"] == "w1" and len(w1["tracks"]) == 2
    assert [len(t) for t in w1["tracks"]] == [12, 5]
    last = w1["last"]
    assert (last["lat"], last["lon"]) == pytest.approx((ORIGIN_LAT + 0.004, ORIGIN_LON + 0.0018))
    assert last["at"].startswith("2026-11-23T03:00:40") and last["under_way"] is False
    everyone = client.get("/api/v1/map/workers?date=2026-11-23",
                          headers=login_as(field_city.admin)).get_json()["items"]
    assert {w["username"] for w in everyone} == {"w1", "w3"}
    other_day = client.get("/api/v1/map/workers?date=2026-11-24",
                           headers=login_as(field_city.admin)).get_json()
    assert other_day["items"] == []


def test_a_long_track_is_thinned_for_the_map(client, field_city, login_as):
    morning = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    points = [(ORIGIN_LAT + 0.002 + 0.00001 * (i % 50), ORIGIN_LON + 0.001 + 0.00001 * (i // 50),
               (morning + timedelta(seconds=5 * i)).isoformat()) for i in range(1000)]
    make_patrol(field_city.w1, points)
    [w1] = client.get("/api/v1/map/workers?date=2026-11-23",
                      headers=login_as(field_city.boss)).get_json()["items"]
    [track] = w1["tracks"]
    assert len(track) == 300
    assert track[0] == pytest.approx(list(points[0][:2])) and track[-1] == pytest.approx(list(points[-1][:2]))


def test_a_bad_day_is_422(client, field_city, login_as):
    assert_json_error(client.get("/api/v1/map/workers?date=2026-13-01",
                                 headers=login_as(field_city.boss)), 422)


# -- settings: the optional base map --------------------------------------------------------

def test_no_base_map_unless_the_operator_sets_one(app, client, field_city, login_as, monkeypatch):
    boss = login_as(field_city.boss)
    response = client.get("/api/v1/map/settings", headers=boss)
    assert response.get_json() == {"tile_url": None, "tile_attribution": ""}
    assert "img-src 'self' blob: data:;" in response.headers["Content-Security-Policy"]
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    response = client.get("/api/v1/map/settings", headers=boss)
    assert response.get_json()["tile_url"] == app.config["MAP_TILE_URL"]
    assert ("img-src 'self' blob: data: https://*.tiles.example.org;"
            in response.headers["Content-Security-Policy"])


def test_a_tile_url_cannot_write_into_the_policy(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "https://evil.example.org;script-src *;/{z}/{x}/{y}.png")
    policy = client.get("/healthz").headers["Content-Security-Policy"]
    assert "evil" not in policy and "script-src 'self';" in policy


# -- the demo city ---------------------------------------------------------------------------

def test_street1_sees_the_cases_of_lanshan_street_only(client, demo, demo_login, db):
    street = db.session.scalar(select(Region).where(Region.name == "兰山街道"))
    inside = {str(i) for i in db.session.scalars(select(Report.id).where(
        Report.deleted.is_(False), Report.scope_path.startswith(street.path)))}
    assert inside
    whole = {"bbox": "118.0,34.8,118.7,35.3", "zoom": 12}
    street1 = client.get("/api/v1/map/cases", headers=demo_login("street1"),
                         query_string=whole).get_json()
    assert street1["mode"] == "points" and ids_of(street1) == inside
    city = client.get("/api/v1/map/cases", headers=demo_login("supervisor"),
                      query_string=whole).get_json()
    assert ids_of(city) > inside
