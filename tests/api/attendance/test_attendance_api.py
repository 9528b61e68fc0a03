"""Attendance over HTTP: shifts set within scope, a month of days, summaries and CSV."""

from __future__ import annotations

import pytest

from tests.factories import make_punch, make_shift

MONTH = "2026-11"


@pytest.fixture
def shifted(field_city):
    make_shift(region=field_city.city["C"], starts_at="08:30", ends_at="17:30", grace_min=5)
    make_punch(field_city.w1, "2026-11-10T00:34:00Z", "in")
    make_punch(field_city.w1, "2026-11-10T09:31:00Z", "out", inside_fence=False, reason="开会")
    return field_city


def test_a_supervisor_sets_the_shift_of_a_grid_in_their_region(client, field_city, login_as):
    grid = field_city.city["D1S1C1G1"]
    response = client.put("/api/v1/attendance/shifts", headers=login_as("boss"), json={
        "region_id": str(grid.id), "starts_at": "08:00", "ends_at": "17:00", "grace_min": 10})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["starts_at"] == "08:00:00"
    again = client.put("/api/v1/attendance/shifts", headers=login_as("boss"), json={
        "region_id": str(grid.id), "starts_at": "09:00", "ends_at": "18:00"})
    assert again.get_json()["id"] == response.get_json()["id"]  # replaced, not added
    listed = client.get("/api/v1/attendance/shifts", headers=login_as("boss")).get_json()["items"]
    assert [s["starts_at"] for s in listed] == ["09:00:00"]


def test_a_supervisor_cannot_set_a_shift_outside_their_region(client, field_city, login_as):
    response = client.put("/api/v1/attendance/shifts", headers=login_as("boss"), json={
        "region_id": str(field_city.city["D2S1"].id), "starts_at": "08:00", "ends_at": "17:00"})
    assert response.status_code == 404


def test_a_worker_cannot_set_shifts(client, field_city, login_as):
    response = client.put("/api/v1/attendance/shifts", headers=login_as("w1"), json={
        "worker_id": str(field_city.w1.id), "starts_at": "08:00", "ends_at": "17:00"})
    assert response.status_code == 403


@pytest.mark.parametrize("body, code", [
    ({"starts_at": "08:00", "ends_at": "17:00"}, "region_or_worker"),
    ({"starts_at": "08:00", "ends_at": "08:00", "region": True}, "empty_shift"),
    ({"starts_at": "25:00", "ends_at": "17:00", "region": True}, "validation_error"),
    ({"starts_at": "08:00", "ends_at": "17:00", "grace_min": -1, "region": True}, "validation_error"),
    ({"starts_at": "08:00", "ends_at": "17:00", "weekdays": "089", "region": True}, "validation_error"),
])
def test_bad_shifts_are_refused_with_a_code(client, field_city, login_as, body, code):
    if body.pop("region", False):
        body["region_id"] = str(field_city.city["D1S1"].id)
    response = client.put("/api/v1/attendance/shifts", headers=login_as("boss"), json=body)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == code


def test_a_worker_reads_their_own_month(client, shifted, login_as):
    body = client.get(f"/api/v1/attendance/days?month={MONTH}", headers=login_as("w1")).get_json()
    tenth = next(d for d in body["days"] if d["date"] == "2026-11-10")
    assert tenth["statuses"] == ["outside_fence"]
    assert [p["kind"] for p in tenth["punches"]] == ["in", "out"]
    assert tenth["punches"][1]["reason"] == "开会"


def test_a_worker_cannot_read_anothers_month(client, shifted, login_as):
    response = client.get(f"/api/v1/attendance/days?month={MONTH}&worker_id={shifted.w2.id}",
                          headers=login_as("w1"))
    assert response.status_code == 403


def test_a_supervisor_reads_workers_in_scope_only(client, shifted, login_as):
    headers = login_as("boss")
    ok = client.get(f"/api/v1/attendance/days?month={MONTH}&worker_id={shifted.w1.id}",
                    headers=headers)
    assert ok.status_code == 200
    other = client.get(f"/api/v1/attendance/days?month={MONTH}&worker_id={shifted.w3.id}",
                       headers=headers)
    assert other.status_code == 404


def test_the_summary_covers_the_supervisors_workers_and_regions(client, shifted, login_as):
    body = client.get(f"/api/v1/attendance/summary?month={MONTH}", headers=login_as("boss")).get_json()
    assert {r["worker"]["username"] for r in body["workers"]} == {"w1", "w2"}
    w1 = next(r for r in body["workers"] if r["worker"]["username"] == "w1")
    assert w1["outside_fence"] == 1
    assert {r["region"]["code"] for r in body["regions"]} == {"D1S1C1", "D1S1C2"}


def test_an_admin_summary_groups_by_district(client, shifted, login_as):
    body = client.get(f"/api/v1/attendance/summary?month={MONTH}", headers=login_as("root")).get_json()
    assert {r["region"]["code"]: r["workers"] for r in body["regions"]} == {"D1": 2, "D2": 1}


def test_the_summary_exports_as_csv(client, shifted, login_as):
    response = client.get(f"/api/v1/attendance/summary.csv?month={MONTH}", headers=login_as("boss"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("month,username,display_name,region_code")
    assert sorted(line.split(",")[1] for line in lines[1:]) == ["w1", "w2"]


def test_the_days_export_as_csv_one_row_per_worker_and_day(client, shifted, login_as):
    response = client.get(f"/api/v1/attendance/days.csv?month={MONTH}", headers=login_as("boss"))
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert len(lines) == 1 + 2 * 30
    assert "2026-11-10,w1,,08:30-17:30,08:34,17:31,outside_fence,0,0" in lines


@pytest.mark.parametrize("query", ["", "month=2026-13", "month=2026-1", "month=abc",
                                   "month=2026-11&region_id=nope"])
def test_a_bad_month_or_region_is_422(client, shifted, login_as, query):
    response = client.get(f"/api/v1/attendance/summary?{query}", headers=login_as("boss"))
    assert response.status_code == 422


@pytest.mark.parametrize("report", ["days", "summary", "calendar", "summary.csv", "days.csv",
                                    "month.xlsx"])
@pytest.mark.parametrize("month", ["0000-01", "0001-01", "3000-01"])
def test_a_month_outside_the_calendar_the_app_handles_is_422_not_a_500(client, shifted, login_as,
                                                                      report, month):
    response = client.get(f"/api/v1/attendance/{report}?month={month}&worker_id={shifted.w1.id}",
                          headers=login_as("root"))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "validation_error"


def test_workers_cannot_read_summaries(client, shifted, login_as):
    response = client.get(f"/api/v1/attendance/summary?month={MONTH}", headers=login_as("w1"))
    assert response.status_code == 403


def test_the_calendar_gives_every_worker_every_day(client, shifted, login_as):
    body = client.get(f"/api/v1/attendance/calendar?month={MONTH}", headers=login_as("boss")).get_json()
    rows = {r["worker"]["username"]: r["days"] for r in body["workers"]}
    assert set(rows) == {"w1", "w2"} and len(rows["w1"]) == 30
    assert rows["w1"][9]["date"] == "2026-11-10" and rows["w1"][9]["statuses"] == ["outside_fence"]
    assert "punches" not in rows["w1"][9]


def test_the_month_exports_as_an_excel_workbook(client, shifted, login_as):
    import io

    from openpyxl import load_workbook

    response = client.get(f"/api/v1/attendance/month.xlsx?month={MONTH}", headers=login_as("boss"))
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["summary", "days"]
    summary = list(book["summary"].values)
    assert summary[0][:2] == ("month", "username") and len(summary) == 3
    days = list(book["days"].values)
    assert ("2026-11-10", "w1", None, "08:30-17:30", "08:34", "17:31", "outside_fence", 0, 0) in days


def test_a_new_shift_is_judged_from_today_unless_told(client, field_city, login_as):
    from datetime import date

    grid = str(field_city.city["D1S1C1G1"].id)
    body = client.put("/api/v1/attendance/shifts", headers=login_as("boss"), json={
        "region_id": grid, "starts_at": "08:00", "ends_at": "17:00"}).get_json()
    assert date.fromisoformat(body["starts_on"]) >= date(2026, 11, 23)
    body = client.put("/api/v1/attendance/shifts", headers=login_as("boss"), json={
        "region_id": grid, "starts_at": "08:00", "ends_at": "17:00",
        "starts_on": "2026-11-01"}).get_json()
    assert body["starts_on"] == "2026-11-01"


HOSTILE_NAMES = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1:A9)",
                 "\t=1+1", "\r=1+1"]


@pytest.fixture
def hostile_workers(shifted):
    from tests.factories import make_user

    for i, name in enumerate(HOSTILE_NAMES):
        make_user(f"h{i}", roles=["worker"], region=shifted.city["D1S1C1G1"], display_name=name)
    return shifted


@pytest.mark.parametrize("export", ["summary.csv", "days.csv"])
def test_names_a_spreadsheet_would_run_are_written_as_text_in_csv(client, hostile_workers,
                                                                  login_as, export):
    import csv
    import io

    response = client.get(f"/api/v1/attendance/{export}?month={MONTH}", headers=login_as("boss"))
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    names = {row[rows[0].index("display_name")] for row in rows[1:]}
    assert {"'" + name for name in HOSTILE_NAMES} <= names
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


def test_names_a_spreadsheet_would_run_are_written_as_text_in_excel(client, hostile_workers, login_as):
    import io

    from openpyxl import load_workbook

    response = client.get(f"/api/v1/attendance/month.xlsx?month={MONTH}", headers=login_as("boss"))
    book = load_workbook(io.BytesIO(response.data))
    for sheet in book.worksheets:
        cells = [cell for row in sheet.iter_rows() for cell in row]
        assert not any(cell.data_type == "f" for cell in cells), sheet.title
        texts = {cell.value for cell in cells if isinstance(cell.value, str)}
        # XML reads a carriage return back as a line feed.
        assert {"'" + name.replace("\r", "\n") for name in HOSTILE_NAMES} <= texts, sheet.title


def test_control_characters_in_a_name_are_left_out_of_the_excel_export(client, shifted, login_as):
    import io

    from openpyxl import load_workbook

    from tests.factories import make_user

    make_user("bell", roles=["worker"], region=shifted.city["D1S1C1G1"], display_name="王\x07芳\x1b")
    response = client.get(f"/api/v1/attendance/month.xlsx?month={MONTH}", headers=login_as("boss"))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    summary = list(load_workbook(io.BytesIO(response.data), read_only=True)["summary"].values)
    assert "王芳" in {row[2] for row in summary}
