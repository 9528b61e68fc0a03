"""The case list and one case: who sees what, the filters, overdue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from backend.common.time import utcnow
from backend.incidents.models import Report
from tests.factories import G3, make_department, make_user
from tests.helpers import assert_json_error, report_fields
from tests.sync_client import Phone
from tests.sync_entries import stored_as_if_so


@pytest.fixture
def three_cases(client, field_city, login_as):
    w1, w3 = Phone(client, "w1"), Phone(client, "w3")
    now = datetime.now(UTC).isoformat()
    late = w1.create("reports", report_fields(reported_at="2026-01-05T08:00:00Z"))
    fresh = w1.create("reports", report_fields(reported_at=now))
    elsewhere = w3.create("reports", report_fields(G3, reported_at=now))
    w1.push()
    w3.push()
    return {"late": late, "fresh": fresh, "elsewhere": elsewhere}


def _ids(client, headers, **query) -> set[str]:
    response = client.get("/api/v1/cases", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def test_each_role_sees_its_own_cases(client, field_city, three_cases, login_as):
    everything = set(three_cases.values())
    assert _ids(client, login_as(field_city.admin)) == everything
    assert _ids(client, login_as(field_city.boss)) == {three_cases["late"], three_cases["fresh"]}
    assert _ids(client, login_as(field_city.w3)) == {three_cases["elsewhere"]}
    assert _ids(client, login_as(make_user("citizen9"))) == set()


def test_a_department_sees_what_is_dispatched_to_it_only(client, field_city, three_cases,
                                                        login_as):
    cgj = make_department()
    staff = login_as(make_user("dept1", roles=["department"], department=cgj))
    assert _ids(client, staff) == set()
    boss = login_as(field_city.boss)
    case = three_cases["fresh"]
    for action in ({"action": "register"}, {"action": "dispatch", "department_id": str(cgj.id)}):
        assert client.post(f"/api/v1/cases/{case}/actions", headers=boss,
                           json=action).status_code == 200
    assert _ids(client, staff) == {case}
    assert _ids(client, boss, department_id=str(cgj.id)) == {case}
    assert client.get(f"/api/v1/cases/{three_cases['late']}", headers=staff).status_code == 404


def test_filters_overdue_status_region_and_code(client, field_city, three_cases, login_as):
    admin = login_as(field_city.admin)
    assert _ids(client, admin, overdue="true") == {three_cases["late"]}
    assert three_cases["late"] not in _ids(client, admin, overdue="false")
    assert _ids(client, admin, status="registered") == set()
    assert _ids(client, admin, status=["reported", "closed"]) == set(three_cases.values())
    assert _ids(client, admin, region_id=str(field_city.city["D2"].id)) == {three_cases["elsewhere"]}
    assert _ids(client, admin, category="road") == set(three_cases.values())
    one = client.get(f"/api/v1/cases/{three_cases['late']}", headers=admin).get_json()
    assert one["overdue"] is True and one["timeline"][0]["event"] == "reported"
    assert _ids(client, admin, q=one["code"][-6:]) >= {three_cases["late"]}
    assert_json_error(client.get("/api/v1/cases", headers=admin, query_string={
        "status": "lost"}), 422, "validation_error")
    assert_json_error(client.get("/api/v1/cases", headers=admin, query_string={
        "region_id": "00000000-0000-0000-0000-000000000001"}), 422, "unknown_region")


def test_deadlines_count_working_hours_and_flag_due_soon(client, field_city, login_as, db):
    """A 48-hour category reported on Friday 6 March at 16:00 (Shanghai): 1.5 h that Friday,
    37.5 h the next week, 7.5 h on Monday 16th, 1.5 h on Tuesday 17th → 10:00 that day;
    weekends, nights and lunch are not counted."""
    phone = Phone(client, "w1")
    rid = phone.create("reports", report_fields(reported_at="2026-03-06T08:00:00Z"))
    record = phone.push()["results"][0]["record"]
    assert record["deadline_at"] == "2026-03-17T02:00:00Z"
    # Due soon: an open case within DUE_SOON_WORKING_H working hours of its deadline.
    report = db.session.get(Report, uuid.UUID(rid))
    report.deadline_at = utcnow() + timedelta(minutes=30)
    stored_as_if_so(db, "reports", report.id)
    case = client.get(f"/api/v1/cases/{rid}", headers=login_as(field_city.admin)).get_json()
    # Half an hour of clock time holds at most half an hour of working time.
    assert case["due_soon"] is True and case["overdue"] is False
