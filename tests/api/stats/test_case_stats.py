"""Assessment figures checked against a fixed data set counted by hand: every figure at every
level (city → district → street → community → grid), per grid worker and per department,
the trend's buckets across a week's and a month's edge in the city's time zone, and the
CSV and Excel exports holding exactly the rows and columns of the JSON.

The expected numbers are literals worked out on paper from the table of cases below (the
reasoning is in the comments), never recomputed by the code under test.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.incidents.cases import act
from backend.incidents.models import Report
from backend.stats.models import CaseRollupState, case_rollup
from backend.stats.rollup import rebuild
from tests.factories import make_department, make_user
from tests.helpers import assert_json_error, report_fields
from tests.sync_client import Phone

SHANGHAI = ZoneInfo("Asia/Shanghai")
FAR = datetime(2099, 1, 1, tzinfo=UTC)  # a deadline nobody misses


def local(text: str) -> datetime:
    """'03-09 00:30' in 2026, the city's clock, as UTC."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI).astimezone(UTC)


# name: grid, reported (city time), status, deadline, closed, handler, dispatched, handled,
#       send-backs, satisfaction, reporter. Times are the city's ('MM-DD HH:MM').
CASES = {
    # D1S1C1G1 (w1's grid)
    "A": ("D1S1C1G1", "03-02 09:00", "closed", "03-04 09:00", "03-02 11:00", None, None, None, 0, "satisfied", "w1"),
    "B": ("D1S1C1G1", "03-02 10:00", "closed", "03-05 10:00", "03-03 10:00", "CGJ", "03-02 12:00", "03-02 20:00", 0, "unsatisfied", "w1"),
    "C": ("D1S1C1G1", "03-03 09:00", "registered", "03-05 09:00", None, None, None, None, 0, None, "w1"),
    # Monday 00:30 in the city is still Sunday in UTC: it belongs to the week of 03-09.
    "D": ("D1S1C1G1", "03-09 00:30", "closed", "03-11 00:30", "03-12 12:30", "CGJ", "03-09 08:00", "03-10 10:00", 1, "satisfied", "w1"),
    "E": ("D1S1C1G1", "03-10 09:00", "handled", FAR, None, "w1", "03-10 10:00", "03-10 14:00", 0, None, "w2"),
    "F": ("D1S1C1G1", "03-31 23:50", "cancelled", FAR, None, None, None, None, 0, None, "w1"),
    # 1 April 00:05 in the city is 31 March in UTC: April's.
    "G": ("D1S1C1G1", "04-01 00:05", "merged", FAR, None, None, None, None, 0, None, "w1"),
    # D1S1C1G2 (w2's grid)
    "H": ("D1S1C1G2", "03-04 09:00", "closed", "03-06 09:00", "03-04 10:00", None, None, None, 0, None, "w2"),
    "I": ("D1S1C1G2", "03-05 09:00", "verified", "03-06 12:00", None, "ZJJ", "03-05 10:00", "03-06 09:00", 0, None, "w2"),
    "J": ("D1S1C1G2", "04-02 09:00", "closed", "04-04 09:00", "04-03 09:00", "w2", "04-02 10:00", "04-02 16:00", 2, "satisfied", "cz"),
    # D1S1C2G1
    "K": ("D1S1C2G1", "03-15 09:00", "reported", FAR, None, None, None, None, 0, None, "cz"),
    "L": ("D1S1C2G1", "03-16 09:00", "dispatched", "03-18 09:00", None, "CGJ", "03-16 10:00", None, 0, None, "cz"),
    # D1S2C1G1
    "M": ("D1S2C1G1", "03-20 09:00", "closed", "03-21 09:00", "03-22 09:00", "ZJJ", "03-20 11:00", "03-21 11:00", 0, "unsatisfied", "cz"),
    "N": ("D1S2C1G1", "04-30 23:59", "reported", FAR, None, None, None, None, 0, None, "cz"),
    "O": ("D1S2C1G1", "05-01 00:01", "reported", FAR, None, None, None, None, 0, None, "cz"),  # after the period
    # D2S1C1G1 (w3's grid)
    "P": ("D2S1C1G1", "03-01 00:10", "closed", "03-03 00:10", "03-01 01:10", None, None, None, 0, None, "w3"),
    "Q": ("D2S1C1G1", "02-28 23:30", "closed", "03-02 23:30", "03-01 01:00", None, None, None, 0, None, "w3"),  # before it
    "R": ("D2S1C1G1", "03-25 09:00", "cancelled", FAR, None, None, None, None, 0, None, "w3"),
    "S": ("D2S1C1G1", "04-10 09:00", "closed", "04-12 09:00", "04-10 21:00", "CGJ", "04-10 10:00", "04-10 12:00", 1, "satisfied", "w3"),
    # Reopened: registered again, still CGJ's, handled once.
    "T": ("D2S1C1G1", "04-11 09:00", "registered", FAR, None, "CGJ", "04-11 10:00", "04-11 12:00", 0, None, "w3"),
    # D2S2C1G1: handled by CGJ, sent back, then dispatched to ZJJ, which has not handled it.
    "U": ("D2S2C1G1", "04-20 09:00", "dispatched", FAR, None, "ZJJ", "04-20 15:00", "04-20 12:00", 1, None, "cz"),
    "V": ("D1S1C1G1", "03-03 09:00", "reported", FAR, None, None, None, None, 0, None, "w1"),  # deleted
}
PERIOD = {"from": "2026-03-01", "to": "2026-04-30"}


@pytest.fixture
def cases(field_city):
    """The table above as rows (the figures read rows; how actions write them is tested
    below and in the case tests)."""
    city = field_city.city
    people = {"w1": field_city.w1, "w2": field_city.w2, "w3": field_city.w3,
              "cz": make_user("cz", roles=["citizen"])}
    departments = {"CGJ": make_department("CGJ", "城管局"), "ZJJ": make_department("ZJJ", "住建局")}
    rows = []
    for n, (name, (grid, reported, status, deadline, closed, handler, dispatched, handled,
                   send_backs, satisfaction, reporter)) in enumerate(CASES.items()):
        at = local(reported)
        rows.append({
            "id": uuid.uuid4(), "version": 1, "created_at": at, "updated_at": at,
            "deleted": name == "V", "field_clock": {}, "scope_path": city[grid].path,
            "category": "road.pothole", "description": name, "lat": 35.0, "lon": 118.3,
            "photos": [], "after_photos": [], "reported_at": at, "code": f"T{n:03d}",
            "grid_id": city[grid].id, "status": status,
            "deadline_at": deadline if isinstance(deadline, datetime) else local(deadline),
            "reporter_id": people[reporter].id, "note": "", "timeline": [], "tier": "street",
            "department_id": departments[handler].id if handler in departments else None,
            "assignee_id": people[handler].id if handler in people else None,
            "closed_at": local(closed) if closed else None,
            "dispatched_at": local(dispatched) if dispatched else None,
            "handled_at": local(handled) if handled else None, "send_backs": send_backs,
            "satisfaction": satisfaction, "location_adjusted": False})
    db.session.execute(sa.insert(Report.__table__), rows)
    db.session.commit()
    return field_city


def _get(client, headers, path="/api/v1/stats/cases", **query):
    response = client.get(path, headers=headers, query_string={**PERIOD, **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


REGION_KEYS = ("total", "registered", "dispatched", "handled", "closed", "closed_on_spot", "open",
               "overdue", "closed_on_time", "closed_late", "on_time_rate", "avg_handling_h",
               "sent_back", "satisfied", "unsatisfied", "satisfaction_rate", "cancelled", "merged")


def figures(*values) -> dict:
    return dict(zip(REGION_KEYS, values, strict=True))


#                   total reg disp hand closed spot open overdue on_time late rate  hours sb sat unsat srate canc merged
CITY = figures(16, 11, 10, 9, 8, 3, 8, 3, 6, 2, 0.75, 24.5, 4, 4, 2, 0.6667, 2, 1)
# D1: A B C D E H I J K L M N (F cancelled, G merged). Hours 2+24+84+1+24+48 = 183 over 6.
D1 = figures(12, 8, 7, 6, 6, 2, 6, 3, 4, 2, 0.6667, 30.5, 2, 3, 2, 0.6, 1, 1)
# D2: P S T U (R cancelled). Hours 1+12 over 2.
D2 = figures(4, 3, 3, 3, 2, 1, 2, 0, 2, 0, 1.0, 6.5, 2, 1, 0, 1.0, 1, 0)
# D1S1: A B C D E H I J K L. Hours 2+24+84+1+24 = 135 over 5.
D1S1 = figures(10, 7, 6, 5, 5, 2, 5, 3, 4, 1, 0.8, 27.0, 2, 3, 1, 0.75, 1, 1)
D1S2 = figures(2, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0.0, 48.0, 0, 0, 1, 0.0, 0, 0)
D1S1C1 = figures(8, 6, 5, 5, 5, 2, 3, 2, 4, 1, 0.8, 27.0, 2, 3, 1, 0.75, 1, 1)
D1S1C2 = figures(2, 1, 1, 0, 0, 0, 2, 1, 0, 0, None, None, 0, 0, 0, None, 0, 0)
# G1: A B C D E (F, G). Hours 2+24+84 = 110 over 3 = 36.67. G2: H I J, hours 1+24 over 2.
G1 = figures(5, 4, 3, 3, 3, 1, 2, 1, 2, 1, 0.6667, 36.7, 1, 2, 1, 0.6667, 1, 1)
G2 = figures(3, 2, 2, 2, 2, 1, 1, 1, 2, 0, 1.0, 12.5, 1, 1, 0, 1.0, 0, 0)


def _shown(row: dict) -> dict:
    return {key: row[key] for key in REGION_KEYS}


@pytest.mark.parametrize(("region", "children", "total"), [
    (None, {"D1": D1, "D2": D2}, CITY),
    ("D1", {"D1S1": D1S1, "D1S2": D1S2}, D1),
    ("D1S1", {"D1S1C1": D1S1C1, "D1S1C2": D1S1C2}, D1S1),
    ("D1S1C1", {"D1S1C1G1": G1, "D1S1C1G2": G2}, D1S1C1),
    ("D1S1C1G1", {"D1S1C1G1": G1}, G1),  # a grid: itself
])
def test_every_figure_at_every_level(client, login_as, cases, region, children, total):
    query = {"region_id": str(cases.city[region].id)} if region else {}
    body = _get(client, login_as(cases.admin), **query)
    assert body["group_by"] == "region"
    assert body["columns"] == ["code", "name", *REGION_KEYS]
    assert {item["code"]: _shown(item) for item in body["items"]} == children
    assert _shown(body["total"]) == total


def test_per_grid_worker(client, login_as, cases):
    body = _get(client, login_as(cases.admin), group_by="worker")
    keys = ("reported", "closed_on_spot", "dispatched", "handled", "handled_on_time",
            "handled_on_time_rate", "avg_dispatch_to_handled_h", "sent_back", "overdue",
            "closed", "satisfied", "unsatisfied", "satisfaction_rate")
    assert body["columns"] == ["code", "name", "region_name", *keys]
    rows = {item["code"]: tuple(item[k] for k in keys) for item in body["items"]}
    # w1 reported A B C D (F, G not work), closed A on the spot, handled E (4 h after its
    # dispatch); w2 reported E H I, closed H on the spot, handled J (6 h, sent back, closed,
    # satisfied); w3 reported P S T, closed P on the spot, was dispatched nothing.
    assert rows == {"w1": (4, 1, 1, 1, 1, 1.0, 4.0, 0, 0, 0, 0, 0, None),
                    "w2": (3, 1, 1, 1, 1, 1.0, 6.0, 1, 0, 1, 1, 0, 1.0),
                    "w3": (3, 1, 0, 0, 0, None, None, 0, 0, 0, 0, 0, None)}
    assert [item["region_name"] for item in body["items"]] == [
        "grid D1S1C1G1", "grid D1S1C1G2", "grid D2S1C1G1"]
    assert tuple(body["total"][k] for k in keys) == (10, 3, 2, 2, 2, 1.0, 5.0, 1, 0, 1, 1, 0, 1.0)
    # A street lists its own workers only.
    street = _get(client, login_as(cases.admin), group_by="worker",
                  region_id=str(cases.city["D1S1"].id))
    assert [item["code"] for item in street["items"]] == ["w1", "w2"]


DEPARTMENT_KEYS = ("dispatched", "handled", "handled_on_time", "handled_on_time_rate",
                   "avg_dispatch_to_handled_h", "sent_back", "overdue", "closed", "satisfied",
                   "unsatisfied", "satisfaction_rate")


@pytest.mark.parametrize(("region", "expected", "total"), [
    # CGJ: B (8 h), D (26 h, sent back), L (not handled, overdue), S (2 h, sent back), T (2 h,
    # reopened). ZJJ: I (23 h, on time, overdue now), M (24 h, late), U (dispatched to ZJJ
    # after CGJ handled it: not ZJJ's handling).
    (None, {"CGJ": (5, 4, 4, 1.0, 9.5, 2, 1, 3, 2, 1, 0.6667),
            "ZJJ": (3, 2, 1, 0.5, 23.5, 1, 1, 1, 0, 1, 0.0)},
     (8, 6, 5, 0.8333, 14.2, 3, 2, 4, 2, 2, 0.5)),
    ("D2", {"CGJ": (2, 2, 2, 1.0, 2.0, 1, 0, 1, 1, 0, 1.0),
            "ZJJ": (1, 0, 0, None, None, 1, 0, 0, 0, 0, None)},
     (3, 2, 2, 1.0, 2.0, 2, 0, 1, 1, 0, 1.0)),
])
def test_per_department(client, login_as, cases, region, expected, total):
    query = {"region_id": str(cases.city[region].id)} if region else {}
    body = _get(client, login_as(cases.admin), group_by="department", **query)
    assert body["columns"] == ["code", "name", *DEPARTMENT_KEYS]
    assert {item["code"]: tuple(item[k] for k in DEPARTMENT_KEYS) for item in body["items"]} == expected
    assert tuple(body["total"][k] for k in DEPARTMENT_KEYS) == total


def _series(body) -> list[tuple]:
    return [(p["period"], p["from"], p["to"], p["reported"], p["closed"], p["overdue"],
             p["on_time_rate"]) for p in body["series"]]


@pytest.mark.parametrize(("query", "expected"), [
    # March: A B C D E H I K L M P (F, R cancelled); closed A B D H M P, on time A B H P.
    # April: J N S T U (G merged); closed J S, both on time. Together: the city's 16 and 8.
    ({"bucket": "month"}, [("2026-03", "2026-03-01", "2026-03-31", 11, 6, 3, 0.6667),
                           ("2026-04", "2026-04-01", "2026-04-30", 5, 2, 0, 1.0)]),
    # D (Monday 00:30 in the city, Sunday in UTC) falls in the second week.
    ({"bucket": "week", "from": "2026-03-02", "to": "2026-03-15"},
     [("2026-03-02", "2026-03-02", "2026-03-08", 5, 3, 2, 1.0),
      ("2026-03-09", "2026-03-09", "2026-03-15", 3, 1, 0, 0.0)]),
    # A week cut by the period keeps its Monday as its name, its days within the period.
    ({"bucket": "week", "from": "2026-03-04", "to": "2026-03-10"},
     [("2026-03-02", "2026-03-04", "2026-03-08", 2, 1, 1, 1.0),
      ("2026-03-09", "2026-03-09", "2026-03-10", 2, 1, 0, 0.0)]),
    # P (1 March 00:10 in the city, 28 February in UTC) is the 1st's; Q (23:30) is not.
    ({"bucket": "day", "from": "2026-02-28", "to": "2026-03-03"},
     [("2026-02-28", "2026-02-28", "2026-02-28", 1, 1, 0, 1.0),
      ("2026-03-01", "2026-03-01", "2026-03-01", 1, 1, 0, 1.0),
      ("2026-03-02", "2026-03-02", "2026-03-02", 2, 2, 0, 1.0),
      ("2026-03-03", "2026-03-03", "2026-03-03", 1, 0, 1, None)]),
])
def test_trend_buckets_in_the_city_time_zone(client, login_as, cases, query, expected):
    body = _get(client, login_as(cases.admin), "/api/v1/stats/cases/trend", **query)
    assert _series(body) == expected


def test_trend_within_a_region(client, login_as, cases):
    body = _get(client, login_as(cases.admin), "/api/v1/stats/cases/trend", bucket="month",
                region_id=str(cases.city["D2"].id))
    assert body["region"]["code"] == "D2" and body["bucket"] == "month"
    # P in March; S T U in April (R cancelled).
    assert _series(body) == [("2026-03", "2026-03-01", "2026-03-31", 1, 1, 0, 1.0),
                             ("2026-04", "2026-04-01", "2026-04-30", 3, 1, 0, 1.0)]


@pytest.mark.parametrize("query", [
    {"from": "2026-03-10", "to": "2026-03-01"},
    {"bucket": "day", "from": "2026-01-01", "to": "2026-04-30"},   # 120 days by day
    {"bucket": "week", "from": "2025-01-01", "to": "2026-04-30"},  # over a year by week
    {"bucket": "month", "from": "2020-01-01", "to": "2026-04-30"},
    {"bucket": "hour"},
    {"from": "0000-01-01"},
])
def test_bad_trend_periods_are_422(client, login_as, cases, query):
    assert_json_error(client.get("/api/v1/stats/cases/trend", headers=login_as(cases.admin),
                                 query_string={**PERIOD, **query}), 422)


@pytest.mark.parametrize("query", [{"from": "2026-03-10", "to": "2026-03-01"},
                                   {"from": "2020-01-01", "to": "2026-01-01"},
                                   {"from": "0000-01-01"}, {"group_by": "grid"},
                                   {"sort": "password"}, {"dir": "up"}])
def test_bad_queries_are_422(client, login_as, cases, query):
    assert_json_error(client.get("/api/v1/stats/cases", headers=login_as(cases.admin),
                                 query_string={**PERIOD, **query}), 422)


def test_a_street_supervisor_sees_their_street_and_nothing_above(client, login_as, cases):
    boss = login_as(cases.boss)
    body = _get(client, boss)
    assert body["region"]["code"] == "D1S1" and _shown(body["total"]) == D1S1
    for path in ("/api/v1/stats/cases", "/api/v1/stats/cases/trend", "/api/v1/stats/cases.csv"):
        assert_json_error(client.get(path, headers=boss, query_string={
            **PERIOD, "region_id": str(cases.city["D2"].id)}), 404)
    trend = _get(client, boss, "/api/v1/stats/cases/trend", bucket="month")
    assert [p["reported"] for p in trend["series"]] == [9, 1]  # D1S1's 10: J in April
    assert_json_error(client.get("/api/v1/stats/cases", headers=login_as(cases.w1),
                                 query_string=PERIOD), 403)


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _xlsx(response) -> list[list]:
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _as_text(value) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize("group_by", ["region", "worker", "department"])
def test_the_exports_hold_the_rows_and_columns_on_screen(client, login_as, cases, group_by):
    admin = login_as(cases.admin)
    shown = _get(client, admin, group_by=group_by)
    # (An empty text cell reads back from Excel as None.)
    expected = [[row.get(key) if row.get(key) != "" else None for key in shown["columns"]]
                for row in [*shown["items"], shown["total"]]]
    cells = _xlsx(client.get("/api/v1/stats/cases.xlsx", headers=admin,
                             query_string={**PERIOD, "group_by": group_by, "lang": "en"}))
    assert len(cells[0]) == len(shown["columns"])
    # The total's name says it is the total; every other cell is the JSON's value.
    assert cells[-1][1] == f"{shown['total']['name']} (total)"
    cells[-1][1] = shown["total"]["name"]
    assert cells[1:] == expected
    rows = _csv(client.get("/api/v1/stats/cases.csv", headers=admin,
                           query_string={**PERIOD, "group_by": group_by}))
    assert rows[-1][1] == f"{shown['total']['name']}（合计）"
    rows[-1][1] = shown["total"]["name"]
    assert rows[1:] == [[_as_text(value) for value in row] for row in expected]


def test_export_headers_name_the_figures(client, login_as, cases):
    admin = login_as(cases.admin)
    zh = _csv(client.get("/api/v1/stats/cases.csv", headers=admin, query_string=PERIOD))[0]
    assert zh[:4] == ["区域编码", "区域", "上报", "立案"] and "满意率" in zh and "退回" in zh
    en = _xlsx(client.get("/api/v1/stats/cases.xlsx", headers=admin,
                          query_string={**PERIOD, "group_by": "department", "lang": "en"}))[0]
    assert en[:4] == ["code", "department", "dispatched", "handled"]


def test_exports_keep_the_order_the_console_sorted_by(client, login_as, cases):
    admin = login_as(cases.admin)
    query = {**PERIOD, "region_id": str(cases.city["D1S1C1"].id)}
    by_rate = _csv(client.get("/api/v1/stats/cases.csv", headers=admin,
                              query_string={**query, "sort": "on_time_rate", "dir": "desc"}))
    assert [row[0] for row in by_rate[1:]] == ["D1S1C1G2", "D1S1C1G1", "D1S1C1"]  # 1.0, 0.6667
    by_total = _csv(client.get("/api/v1/stats/cases.csv", headers=admin,
                               query_string={**query, "sort": "total", "dir": "asc"}))
    assert [row[0] for row in by_total[1:]] == ["D1S1C1G2", "D1S1C1G1", "D1S1C1"]  # 3, 5


def test_a_name_that_looks_like_a_formula_is_exported_as_text(client, login_as, cases):
    cases.w1.display_name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    admin = login_as(cases.admin)
    cells = _xlsx(client.get("/api/v1/stats/cases.xlsx", headers=admin,
                             query_string={**PERIOD, "group_by": "worker"}))
    assert cells[1][1] == "'=HYPERLINK(\"http://x\")"
    rows = _csv(client.get("/api/v1/stats/cases.csv", headers=admin,
                           query_string={**PERIOD, "group_by": "worker"}))
    assert rows[1][1].startswith("'=")


MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in the city
PHOTO = "ef" * 32


def test_the_loop_leaves_what_the_figures_count(client, field_city):
    """Dispatch, handling and send-backs by the API and by a phone's sync set the columns the
    figures read."""
    cgj = make_department()
    staff = make_user("dept1", roles=["department"], department=cgj)
    w1 = Phone(client, "w1")
    ids = [uuid.UUID(w1.create("reports", report_fields(reported_at=MONDAY.isoformat())))
           for _ in range(2)]
    w1.push()
    boss, hour = field_city.boss, timedelta(hours=1)
    act(boss, ids[0], "register", now=MONDAY + hour)
    act(boss, ids[0], "dispatch", department_id=cgj.id, now=MONDAY + 2 * hour)
    act(staff, ids[0], "handle", note="修好了", now=MONDAY + 3 * hour)
    act(boss, ids[0], "send_back", note="没修好", now=MONDAY + 4 * hour)
    act(staff, ids[0], "handle", note="再修", now=MONDAY + 5 * hour)
    act(boss, ids[1], "register", now=MONDAY + hour)
    act(boss, ids[1], "dispatch", worker_id=field_city.w1.id, now=MONDAY + 2 * hour)
    w1.update("reports", str(ids[1]), {"status": "handled", "note": "处理完毕"})
    w1.push()
    first, second = (db.session.get(Report, case_id) for case_id in ids)
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.dispatched_at, first.handled_at, first.send_backs) == (
        MONDAY + 2 * hour, MONDAY + 5 * hour, 1)
    assert second.dispatched_at == MONDAY + 2 * hour and second.handled_at is not None
    assert second.send_backs == 0


# -- the daily roll-up: the same figures as counting case by case ---------------------------

def _read_live(client, headers, path, query) -> dict:
    """The same request with the roll-up marked as not built: every figure counted live."""
    db.session.execute(sa.delete(CaseRollupState))
    db.session.execute(sa.insert(CaseRollupState).values(id=1, built_at=None))
    db.session.commit()
    try:
        return _get(client, headers, path, **query)
    finally:
        db.session.execute(sa.delete(CaseRollupState))
        db.session.commit()


@pytest.mark.parametrize(("path", "query"), [
    ("/api/v1/stats/cases", {}),
    ("/api/v1/stats/cases", {"region": "D1"}),
    ("/api/v1/stats/cases", {"region": "D2", "from": "2026-04-01"}),
    ("/api/v1/stats/cases", {"from": "2026-02-01", "to": "2026-12-31"}),
    ("/api/v1/stats/cases/trend", {"bucket": "day", "from": "2026-02-27", "to": "2026-04-30"}),
    ("/api/v1/stats/cases/trend", {"bucket": "week", "region": "D1"}),
    ("/api/v1/stats/cases/trend", {"bucket": "month", "from": "2026-01-01", "to": "2026-06-30"}),
])
def test_the_roll_up_gives_what_counting_case_by_case_gives(client, login_as, cases, path,
                                                            query):
    headers = login_as(cases.admin)
    if "region" in query:
        query = {**query, "region_id": str(cases.city[query.pop("region")].id)}
    rolled_up = _get(client, headers, path, **query)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(case_rollup)) > 0
    assert rolled_up == _read_live(client, headers, path, query)


def test_the_citys_figures_are_read_from_the_roll_up(client, login_as, cases):
    """A roll-up row altered behind the cases' back shows (then a rebuild mends it): the
    city's table and trend are read from it, a street's from the cases."""
    headers = login_as(cases.admin)
    db.session.execute(sa.update(case_rollup).where(
        case_rollup.c.street_path == cases.city["D2S1"].path,
        case_rollup.c.day == datetime(2026, 3, 1).date()).values(total=case_rollup.c.total + 100))
    db.session.commit()
    assert _get(client, headers)["total"]["total"] == 116
    assert _get(client, headers, "/api/v1/stats/cases/trend", bucket="month",
                region_id=str(cases.city["D2"].id))["series"][0]["reported"] == 101
    street = _get(client, headers, region_id=str(cases.city["D2S1"].id))
    assert street["total"]["total"] == 3  # P S T, by community: counted live
    rebuild()
    assert _shown(_get(client, headers)["total"]) == CITY
