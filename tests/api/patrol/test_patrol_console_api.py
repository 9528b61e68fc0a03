"""Patrols in the console over HTTP: a worker's day of tracks, coverage per grid, scope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import ORIGIN_LAT, ORIGIN_LON, make_patrol

DAY = "2026-11-23"
# 09:00 on DAY in the city (Asia/Shanghai, UTC+8).
MORNING = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def walk(lat: float, lon_from: float, lon_to: float, start: datetime, *, step_deg: float = 0.0002,
         step_s: float = 10) -> list[tuple]:
    """Points along a parallel, about 18 m and 10 s apart (a stroll, never jitter)."""
    n = max(1, round(abs(lon_to - lon_from) / step_deg))
    return [(lat, lon_from + (lon_to - lon_from) * i / n, iso(start + timedelta(seconds=step_s * i)))
            for i in range(n + 1)]


def lawnmower(lat_from: float, lat_to: float, start: datetime) -> list[tuple]:
    """Back and forth across grid D1S1C1G1 (the lattice's cell 0, 0), lines about 28 m
    apart from lat_from up to lat_to."""
    points, lat, eastward = [], lat_from, True
    west, east = ORIGIN_LON + 0.0001, ORIGIN_LON + 0.0099
    while lat <= lat_to:
        line = walk(lat, west, east, start) if eastward else walk(lat, east, west, start)
        points += line
        start = datetime.fromisoformat(line[-1][2].replace("Z", "+00:00")) + timedelta(seconds=20)
        lat += 0.00025
        eastward = not eastward
    return points


def tracks(client, headers, worker, date=DAY):
    return client.get(f"/api/v1/patrol/tracks?worker_id={worker.id}&date={date}", headers=headers)


def coverage(client, headers, query=f"date={DAY}"):
    return client.get(f"/api/v1/patrol/coverage?{query}", headers=headers)


# -- a worker's tracks of a day ----------------------------------------------------------------

def test_a_supervisor_reads_a_workers_day_of_tracks_in_time_order(client, field_city, login_as):
    lat = ORIGIN_LAT + 0.005
    points = walk(lat, ORIGIN_LON + 0.001, ORIGIN_LON + 0.003, MORNING)
    make_patrol(field_city.w1, points[::-1])  # synced out of order
    response = tracks(client, login_as("boss"), field_city.w1)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["worker"]["username"] == "w1" and body["date"] == DAY
    assert body["time_zone"] == "Asia/Shanghai"
    assert body["point_fields"] == ["lat", "lon", "recorded_at_ms", "accuracy_m", "is_jitter"]
    assert body["grid"]["code"] == "D1S1C1G1" and body["grid"]["boundary"]["type"] == "Polygon"
    [patrol] = body["patrols"]
    assert len(patrol["points"]) == 11
    times = [p[2] for p in patrol["points"]]
    assert times == sorted(times) and times[0] == MORNING.timestamp() * 1000
    assert patrol["distance_m"] == pytest.approx(0.002 * 91_190, rel=0.01)
    assert patrol["inside_share"] == 1.0 and patrol["duration_s"] == 100


def test_the_day_is_cut_at_midnight_in_the_citys_time_zone(client, field_city, login_as):
    # 23:50 on the 22nd to 00:10 on the 23rd, city time: 15:50Z to 16:10Z.
    lat = ORIGIN_LAT + 0.005
    make_patrol(field_city.w1, walk(lat, ORIGIN_LON + 0.001, ORIGIN_LON + 0.007,
                                    datetime(2026, 11, 22, 15, 50, tzinfo=UTC), step_s=40))
    headers = login_as("boss")
    midnight_ms = datetime(2026, 11, 22, 16, 0, tzinfo=UTC).timestamp() * 1000
    [before] = tracks(client, headers, field_city.w1, "2026-11-22").get_json()["patrols"]
    [after] = tracks(client, headers, field_city.w1, "2026-11-23").get_json()["patrols"]
    assert before["id"] == after["id"]  # one patrol, its points split by day
    assert before["points"] and all(p[2] < midnight_ms for p in before["points"])
    assert after["points"] and all(p[2] >= midnight_ms for p in after["points"])
    assert len(before["points"]) + len(after["points"]) == 31
    assert tracks(client, headers, field_city.w1, "2026-11-24").get_json()["patrols"] == []


def test_jitter_points_are_listed_and_flagged(client, field_city, login_as):
    lat = ORIGIN_LAT + 0.005
    points = walk(lat, ORIGIN_LON + 0.001, ORIGIN_LON + 0.002, MORNING)
    points.insert(3, (lat, ORIGIN_LON + 0.0015, points[3][2], 300.0))  # a poor fix
    make_patrol(field_city.w1, points)
    [patrol] = tracks(client, login_as("boss"), field_city.w1).get_json()["patrols"]
    assert [p[4] for p in patrol["points"]].count(True) == 1
    assert next(p for p in patrol["points"] if p[4])[3] == 300.0


def test_a_worker_outside_the_supervisors_region_is_not_found(client, field_city, login_as):
    assert tracks(client, login_as("boss"), field_city.w3).status_code == 404


def test_an_unknown_worker_is_not_found(client, field_city, login_as):
    response = client.get(f"/api/v1/patrol/tracks?worker_id={uuid.uuid4()}&date={DAY}",
                          headers=login_as("boss"))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_an_admin_reads_any_worker(client, field_city, login_as):
    assert tracks(client, login_as("root"), field_city.w3).status_code == 200


@pytest.mark.parametrize("path", ["tracks?worker_id={w}&date=2026-11-23", "coverage?date=2026-11-23"])
def test_workers_may_not_read_the_console(client, field_city, login_as, path):
    response = client.get(f"/api/v1/patrol/{path.format(w=field_city.w1.id)}", headers=login_as("w1"))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden_role"


@pytest.mark.parametrize("path", ["tracks?worker_id={w}&date=2026-11-23", "coverage?date=2026-11-23"])
def test_without_a_token_it_is_401(client, field_city, path):
    response = client.get(f"/api/v1/patrol/{path.format(w=field_city.w1.id)}")
    assert response.status_code == 401 and "error" in response.get_json()


@pytest.mark.parametrize("query", ["date=2026-11-23", "worker_id={w}", "worker_id={w}&date=2026-13-01",
                                   "worker_id={w}&date=2026-11-31", "worker_id={w}&date=23.11.2026",
                                   "worker_id={w}&date=", "worker_id=nope&date=2026-11-23",
                                   "worker_id={w}&date=0001-01-01", "worker_id={w}&date=9999-12-31"])
def test_bad_tracks_queries_are_422(client, field_city, login_as, query):
    response = client.get(f"/api/v1/patrol/tracks?{query.format(w=field_city.w1.id)}",
                          headers=login_as("boss"))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_error"


# -- coverage per grid -------------------------------------------------------------------------

def test_coverage_lists_the_grids_of_the_supervisors_region(client, field_city, login_as):
    body = coverage(client, login_as("boss")).get_json()
    assert body["region"]["code"] == "D1S1" and body["cell_m"] == 50
    assert [g["code"] for g in body["grids"]] == ["D1S1C1G1", "D1S1C1G2", "D1S1C2G1", "D1S1C2G2"]
    # 0.01° × 0.01° near 35° N: about 912 m × 1109 m, so 19 × 23 cells of 50 m.
    assert {g["cells_total"] for g in body["grids"]} == {19 * 23}
    assert {g["covered_share"] for g in body["grids"]} == {0.0}
    assert body["grids"][0]["boundary"]["type"] == "Polygon"


def test_an_admin_gets_every_grid_without_a_region(client, field_city, login_as):
    body = coverage(client, login_as("root")).get_json()
    assert body["region"] is None and len(body["grids"]) == 16


def test_a_straight_walk_across_a_grid_covers_one_row_of_cells(client, field_city, login_as):
    lat = ORIGIN_LAT + 0.0051  # inside row 11 of the grid's lattice
    make_patrol(field_city.w1, walk(lat, ORIGIN_LON + 0.0001, ORIGIN_LON + 0.0099, MORNING))
    body = coverage(client, login_as("boss"), f"date={DAY}&include_cells=true").get_json()
    grid = body["grids"][0]
    assert (grid["code"], grid["cells_covered"]) == ("D1S1C1G1", 19)
    assert grid["covered_share"] == pytest.approx(1 / (0.01 * 110_950 / 50), rel=0.02)
    assert len(grid["cells"]) == 19
    assert all(s <= lat <= n for _, s, _, n in grid["cells"])
    assert [g["cells_covered"] for g in body["grids"][1:]] == [0, 0, 0]


def test_walking_the_south_half_of_a_grid_covers_about_half(client, field_city, login_as):
    make_patrol(field_city.w1, lawnmower(ORIGIN_LAT + 0.000125, ORIGIN_LAT + 0.004875, MORNING))
    grid = coverage(client, login_as("boss")).get_json()["grids"][0]
    assert grid["covered_share"] == pytest.approx(0.5, abs=0.03)
    assert grid["cells_covered"] == 19 * 11  # rows 0 to 10, each whole


def test_coverage_counts_only_the_days_points(client, field_city, login_as):
    make_patrol(field_city.w1, walk(ORIGIN_LAT + 0.0051, ORIGIN_LON + 0.0001, ORIGIN_LON + 0.0099,
                                    MORNING - timedelta(days=1)))
    assert coverage(client, login_as("boss")).get_json()["grids"][0]["cells_covered"] == 0


def test_jitter_points_do_not_count_towards_coverage(client, field_city, login_as):
    lat = ORIGIN_LAT + 0.0051
    points = walk(lat, ORIGIN_LON + 0.0001, ORIGIN_LON + 0.0099, MORNING)
    # Poor fixes in the north of the grid, and one impossible jump to the south edge.
    points += [(ORIGIN_LAT + 0.009, ORIGIN_LON + 0.005, iso(MORNING + timedelta(minutes=30)), 400.0),
               (ORIGIN_LAT + 0.0095, ORIGIN_LON + 0.006, iso(MORNING + timedelta(minutes=31)), 400.0),
               (ORIGIN_LAT + 0.0002, ORIGIN_LON + 0.0098,
                iso(datetime.fromisoformat(points[-1][2].replace("Z", "+00:00")) + timedelta(seconds=5)))]
    make_patrol(field_city.w1, points)
    grid = coverage(client, login_as("boss"), f"date={DAY}&include_cells=true").get_json()["grids"][0]
    assert grid["cells_covered"] == 19
    assert all(s <= lat <= n for _, s, _, n in grid["cells"])


def test_a_gap_in_the_recording_is_not_walked(client, field_city, login_as):
    # Two fixes 800 m apart, ten minutes apart: signal lost, not a walk through every cell.
    lat = ORIGIN_LAT + 0.0051
    make_patrol(field_city.w1, [(lat, ORIGIN_LON + 0.0005, iso(MORNING)),
                                (lat, ORIGIN_LON + 0.0095, iso(MORNING + timedelta(minutes=10)))])
    assert coverage(client, login_as("boss")).get_json()["grids"][0]["cells_covered"] == 2


def test_a_larger_cell_size_gives_fewer_cells(client, field_city, login_as):
    grid = coverage(client, login_as("boss"), f"date={DAY}&cell_m=100").get_json()["grids"][0]
    assert grid["cells_total"] == 10 * 12


def test_a_region_outside_the_supervisors_is_not_found(client, field_city, login_as):
    region = field_city.city["D2S1"]
    assert coverage(client, login_as("boss"), f"date={DAY}&region_id={region.id}").status_code == 404


def test_a_region_within_scope_narrows_the_grids(client, field_city, login_as):
    region = field_city.city["D1S1C2"]
    body = coverage(client, login_as("boss"), f"date={DAY}&region_id={region.id}").get_json()
    assert [g["code"] for g in body["grids"]] == ["D1S1C2G1", "D1S1C2G2"]


@pytest.mark.parametrize("query", ["", "date=2026-02-30", "date=today", "date=2026-11-23&cell_m=5",
                                   "date=2026-11-23&cell_m=abc", "date=2026-11-23&region_id=nope",
                                   "date=2026-11-23&include_cells=maybe",
                                   # a day so far out that shifting it to UTC overflows
                                   "date=0001-01-01", "date=9999-12-31"])
def test_bad_coverage_queries_are_422(client, field_city, login_as, query):
    response = coverage(client, login_as("boss"), query)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_error"
