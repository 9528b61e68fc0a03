"""The overdue job: open cases past their deadline are marked once (a timeline entry the
phones pull) and whoever acts next is told once, in their notification list; a second run
changes nothing. The job's lease lets one process of several run it per period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.common.jobs import take_lease
from backend.incidents.overdue import mark_overdue
from tests.factories import make_department, make_user
from tests.helpers import assert_json_error, report_fields
from tests.sync_client import Phone

LONG_AGO = "2026-01-05T08:00:00Z"


@pytest.fixture
def late_cases(client, field_city, login_as):
    """Three overdue cases of w1's grid: one still reported (the street's supervisor acts),
    one dispatched to a department, one dispatched back to w1; and one not yet due."""
    cgj = make_department()
    dept = make_user("dept1", roles=["department"], department=cgj)
    make_user("dept_gone", roles=["department"], department=cgj, is_active=False)
    make_user("citywide", roles=["supervisor"], region=field_city.city["C"])
    phone = Phone(client, "w1")
    ids = {name: phone.create("reports", report_fields(reported_at=at)) for name, at in (
        ("reported", LONG_AGO), ("to_department", LONG_AGO), ("to_worker", LONG_AGO),
        ("on_time", datetime.now(UTC).isoformat()))}
    phone.push()
    boss = login_as(field_city.boss)
    for name, target in (("to_department", {"department_id": str(cgj.id)}),
                         ("to_worker", {"worker_id": str(field_city.w1.id)})):
        for action in ({"action": "register"}, {"action": "dispatch", **target}):
            assert client.post(f"/api/v1/cases/{ids[name]}/actions", headers=boss,
                               json=action).status_code == 200
    return ids, dept


def _notified(client, login_as, user) -> list[dict]:
    return client.get("/api/v1/notifications", headers=login_as(user)).get_json()["items"]


def test_overdue_cases_are_marked_once_and_who_acts_next_is_told(client, field_city, login_as,
                                                                 late_cases, app):
    ids, dept = late_cases
    assert mark_overdue() == {"marked": 3, "notified": 3, "steps_marked": 0}
    boss_items = _notified(client, login_as, field_city.boss)
    assert [(n["kind"], n["subject_id"]) for n in boss_items] == [("case_overdue", ids["reported"])]
    assert boss_items[0]["params"]["code"] and boss_items[0]["read_at"] is None
    assert [n["subject_id"] for n in _notified(client, login_as, dept)] == [ids["to_department"]]
    assert [n["subject_id"] for n in _notified(client, login_as, field_city.w1)] == [ids["to_worker"]]
    # Not the city's supervisor: the street's is nearest. Not a disabled department account.
    assert _notified(client, login_as, "citywide") == []
    # The phone holding the case hears of it.
    phone = Phone(client, "w1")
    phone.pull()
    held = phone.held("reports")
    assert held[ids["reported"]]["timeline"][-1]["event"] == "overdue"
    assert held[ids["reported"]]["overdue_at"] and held[ids["on_time"]]["overdue_at"] is None
    # Idempotent: nothing new, nothing told twice.
    assert mark_overdue() == {"marked": 0, "notified": 0, "steps_marked": 0}
    assert len(_notified(client, login_as, field_city.boss)) == 1


def test_the_command_line_runs_the_same_job(app, late_cases):
    result = app.test_cli_runner().invoke(args=["cases", "mark-overdue"])
    assert result.exit_code == 0 and "3 cases marked overdue, 3 notifications" in result.output


def test_notifications_are_read_one_or_all_and_only_by_their_owner(client, field_city, login_as,
                                                                   late_cases):
    ids, dept = late_cases
    mark_overdue()
    boss = login_as(field_city.boss)
    [item] = client.get("/api/v1/notifications?unread=true", headers=boss).get_json()["items"]
    assert_json_error(client.patch(f"/api/v1/notifications/{item['id']}", json={"read": True},
                                   headers=login_as(dept)), 404)
    read = client.patch(f"/api/v1/notifications/{item['id']}", json={"read": True},
                        headers=boss).get_json()
    assert read["read_at"]
    assert client.get("/api/v1/notifications?unread=true", headers=boss).get_json()["total"] == 0
    staff = login_as(dept)
    earlier = client.post("/api/v1/notifications/read", headers=staff,
                          json={"before": "2026-01-01T00:00:00Z"}).get_json()
    assert earlier == {"marked": 0}  # it arrived later than that
    assert client.post("/api/v1/notifications/read", headers=staff, json={}).get_json() == {
        "marked": 1}
    assert client.get("/api/v1/notifications?unread=true", headers=staff).get_json()["total"] == 0


def test_one_process_of_several_takes_a_jobs_lease_per_period(db):
    start = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    period = timedelta(minutes=10)
    assert take_lease("mark_overdue", period, holder="worker-a", now=start)
    assert not take_lease("mark_overdue", period, holder="worker-b", now=start)
    assert not take_lease("mark_overdue", period, holder="worker-b", now=start + timedelta(minutes=9))
    assert take_lease("mark_overdue", period, holder="worker-b", now=start + timedelta(minutes=10))
    assert not take_lease("mark_overdue", period, holder="worker-a", now=start + timedelta(minutes=11))
