"""Assessment figures checked against a small data set counted by hand, at the city and a
district, and the CSV and Excel exports holding exactly the same rows."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from backend.incidents.cases import act
from tests.factories import G3, make_department, make_user
from tests.helpers import assert_json_error, report_fields
from tests.sync_client import Phone

PHOTO = "ef" * 32
MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def five_cases(client, field_city):
    """D1 (w1's grid): A closed on the spot after 2 h, B through the loop and closed after
    5 h, C registered and left past its deadline. D2 (w3's grid): D cancelled, E fresh."""
    cgj = make_department()
    staff = make_user("dept1", roles=["department"], department=cgj)
    w1, w3 = Phone(client, "w1"), Phone(client, "w3")
    at = MONDAY.isoformat()
    ids = {"A": w1.create("reports", report_fields(reported_at=at)),
           "B": w1.create("reports", report_fields(reported_at=at)),
           "C": w1.create("reports", report_fields(reported_at=at)),
           "D": w3.create("reports", report_fields(G3, reported_at=at)),
           "E": w3.create("reports", report_fields(G3, reported_at=datetime.now(UTC).isoformat()))}
    w1.push()
    w3.push()
    ids = {name: uuid.UUID(value) for name, value in ids.items()}
    boss, hour = field_city.boss, timedelta(hours=1)
    act(field_city.w1, ids["A"], "close_on_spot", photos=[PHOTO], now=MONDAY + 2 * hour)
    act(boss, ids["B"], "register", now=MONDAY + hour)
    act(boss, ids["B"], "dispatch", department_id=cgj.id, now=MONDAY + 2 * hour)
    act(staff, ids["B"], "handle", note="修好了", now=MONDAY + 3 * hour)
    act(boss, ids["B"], "verify", now=MONDAY + 4 * hour)
    act(boss, ids["B"], "close", now=MONDAY + 5 * hour)
    act(boss, ids["C"], "register", now=MONDAY + hour)
    city_boss = make_user("citywide", roles=["supervisor"], region=field_city.city["C"])
    act(city_boss, ids["D"], "cancel", note="重复上报", now=MONDAY + hour)
    return ids


# To the city's today (Shanghai's date runs eight hours ahead of UTC's).
PERIOD = {"from": "2026-03-01", "to": datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()}


def test_figures_per_district_and_for_the_city(client, field_city, login_as, five_cases):
    body = client.get("/api/v1/stats/cases", headers=login_as(field_city.admin),
                      query_string=PERIOD).get_json()
    assert body["region"]["level"] == "city" and body["from"] == "2026-03-01"
    d1, d2 = body["items"]
    assert (d1["code"], d2["code"]) == ("D1", "D2")
    assert {k: d1[k] for k in ("total", "registered", "closed", "closed_on_spot", "cancelled",
                               "open", "overdue", "closed_on_time", "on_time_rate",
                               "avg_handling_h")} == {
        "total": 3, "registered": 2, "closed": 2, "closed_on_spot": 1, "cancelled": 0,
        "open": 1, "overdue": 1, "closed_on_time": 2, "on_time_rate": 1.0, "avg_handling_h": 3.5}
    assert {k: d2[k] for k in ("total", "registered", "closed", "cancelled", "open", "overdue",
                               "on_time_rate", "avg_handling_h")} == {
        "total": 2, "registered": 0, "closed": 0, "cancelled": 1, "open": 1, "overdue": 0,
        "on_time_rate": None, "avg_handling_h": None}
    total = body["total"]
    assert (total["total"], total["closed"], total["overdue"], total["avg_handling_h"]) == (5, 2, 1, 3.5)


def test_a_street_supervisor_sees_their_street_and_nothing_above(client, field_city, login_as,
                                                                five_cases):
    boss = login_as(field_city.boss)
    body = client.get("/api/v1/stats/cases", headers=boss, query_string=PERIOD).get_json()
    assert body["region"]["code"] == "D1S1"
    assert sum(item["total"] for item in body["items"]) == 3
    assert_json_error(client.get("/api/v1/stats/cases", headers=boss, query_string={
        **PERIOD, "region_id": str(field_city.city["D2"].id)}), 404)
    # A period before everything counts nothing.
    empty = client.get("/api/v1/stats/cases", headers=boss, query_string={
        "from": "2026-01-01", "to": "2026-01-31"}).get_json()
    assert empty["total"]["total"] == 0 and empty["total"]["on_time_rate"] is None


def test_the_exports_hold_the_rows_on_screen(client, field_city, login_as, five_cases):
    admin = login_as(field_city.admin)
    shown = client.get("/api/v1/stats/cases", headers=admin, query_string=PERIOD).get_json()
    as_csv = client.get("/api/v1/stats/cases.csv", headers=admin, query_string=PERIOD)
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["区域编码", "区域", "上报"]
    assert [row[0] for row in rows[1:]] == [i["code"] for i in shown["items"]] + ["C"]
    assert [int(row[2]) for row in rows[1:]] == [i["total"] for i in shown["items"]] + [5]
    as_xlsx = client.get("/api/v1/stats/cases.xlsx", headers=admin,
                         query_string={**PERIOD, "lang": "en"})
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.data)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][:3] == ["code", "region", "reported"]
    assert [row[2] for row in cells[1:]] == [i["total"] for i in shown["items"]] + [5]
    assert cells[-1][1].endswith("(total)")


@pytest.mark.parametrize("query", [{"from": "2026-03-10", "to": "2026-03-01"},
                                   {"from": "2020-01-01", "to": "2026-01-01"},
                                   {"from": "0000-01-01"}])
def test_bad_periods_are_422(client, field_city, login_as, query):
    assert_json_error(client.get("/api/v1/stats/cases", headers=login_as(field_city.admin),
                                 query_string=query), 422)
