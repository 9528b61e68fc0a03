"""Each step's own time limit (环节时限): set when a case arrives at a step — by sync for a new
report, by every action after — counted in working hours from then on the city's calendar;
the category's own limits before the city's; the overdue job marks a late step once and tells
that step's people once, and the next step clears the mark."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from backend.common import working_time
from backend.extensions import db
from backend.incidents.models import Category
from backend.incidents.overdue import mark_overdue
from tests.factories import make_department, make_user
from tests.helpers import report_fields
from tests.sync_client import Phone
from tests.sync_entries import stored_as_if_so

CITY_LIMITS = {"register": 2, "dispatch": 4, "verify": 8, "close": 4}


def _due(at: str, hours: float) -> datetime:
    calendar, day = working_time.city_working_time()
    return working_time.add_working_hours(datetime.fromisoformat(at), hours, calendar, day)


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _act(client, headers, case_id, **action) -> dict:
    answer = client.post(f"/api/v1/cases/{case_id}/actions", headers=headers, json=action)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _report(client, who="w1", **fields) -> str:
    phone = Phone(client, who)
    case_id = phone.create("reports", report_fields(**fields))
    phone.push()
    return case_id


def test_each_step_gets_its_own_deadline_from_when_it_began(client, field_city, login_as, app):
    assert app.config["STEP_LIMITS_H"] == "register=2,dispatch=4,verify=8,close=4"
    dept = make_user("dept1", roles=["department"], department=make_department())
    case_id = _report(client)
    boss = login_as(field_city.boss)
    case = client.get(f"/api/v1/cases/{case_id}", headers=boss).get_json()
    received = next(e["at"] for e in case["timeline"] if e["event"] == "received")
    # Registration's clock starts when the report reached the server, not when it was made.
    assert case["step"] == "register"
    assert _at(case["step_deadline_at"]) == _due(received, CITY_LIMITS["register"])
    assert case["step_overdue"] is False
    steps = [("register", {}, "dispatch", CITY_LIMITS["dispatch"]),
             ("dispatch", {"department_id": str(dept.department_id)}, "handle", 48),
             ("handle", {"note": "已修复"}, "verify", CITY_LIMITS["verify"]),
             ("verify", {}, "close", CITY_LIMITS["close"])]
    for action, extra, next_step, hours in steps:
        headers = login_as(dept) if action == "handle" else boss
        case = _act(client, headers, case_id, action=action, **extra)
        assert case["step"] == next_step
        # Handling takes the category's own time limit (48 h for road.pothole).
        assert _at(case["step_deadline_at"]) == _due(case["timeline"][-1]["at"], hours), action
    case = _act(client, boss, case_id, action="close")
    assert case["step"] is None and case["step_deadline_at"] is None
    assert case["step_overdue"] is False


def test_a_category_may_set_its_own_step_limits(client, field_city, login_as):
    category = db.session.scalar(db.select(Category).where(Category.code == "road.pothole"))
    category.step_limits_h = {"register": 1, "dispatch": 0.5}
    db.session.commit()
    case_id = _report(client)
    boss = login_as(field_city.boss)
    case = client.get(f"/api/v1/cases/{case_id}", headers=boss).get_json()
    received = next(e["at"] for e in case["timeline"] if e["event"] == "received")
    assert _at(case["step_deadline_at"]) == _due(received, 1)
    case = _act(client, boss, case_id, action="register")
    assert _at(case["step_deadline_at"]) == _due(case["timeline"][-1]["at"], 0.5)


def test_a_phone_closing_on_the_spot_ends_the_steps(client, field_city, login_as):
    phone = Phone(client, "w1")
    case_id = phone.create("reports", report_fields())
    phone.push()
    phone.pull()
    assert phone.held("reports")[case_id]["step_deadline_at"] is not None
    phone.update("reports", case_id, {"status": "closed", "after_photos": ["a" * 64]})
    phone.push()
    phone.pull()
    held = phone.held("reports")[case_id]
    assert held["status"] == "closed" and held["step_deadline_at"] is None


@pytest.fixture
def waiting_cases(client, field_city, login_as):
    """Two cases of w1's grid reported now: one waiting to be registered, one dispatched to
    a department, whose category gives handling 8 working hours and the whole case 500 (so
    that weeks later, holidays or not, the steps are late and the cases not)."""
    category = db.session.scalar(db.select(Category).where(Category.code == "road.pothole"))
    category.step_limits_h = {"handle": 8}
    category.time_limit_h = 500
    stored_as_if_so(db, "categories", category.id)
    dept = make_user("dept1", roles=["department"], department=make_department())
    now = datetime.now().astimezone().isoformat()
    waiting, dispatched = _report(client, reported_at=now), _report(client, reported_at=now)
    boss = login_as(field_city.boss)
    _act(client, boss, dispatched, action="register")
    _act(client, boss, dispatched, action="dispatch", department_id=str(dept.department_id))
    return waiting, dispatched, dept


def _kinds(client, login_as, user) -> list[tuple[str, str]]:
    items = client.get("/api/v1/notifications", headers=login_as(user)).get_json()["items"]
    return sorted((n["kind"], n["subject_id"]) for n in items)


def test_a_late_step_is_marked_once_and_its_people_told_once(client, field_city, login_as,
                                                              waiting_cases):
    waiting, dispatched, dept = waiting_cases
    boss = login_as(field_city.boss)
    later = datetime.now().astimezone() + timedelta(days=20)
    assert mark_overdue(now=later) == {"marked": 0, "notified": 2, "steps_marked": 2}
    assert _kinds(client, login_as, field_city.boss) == [("step_overdue_register", waiting)]
    assert _kinds(client, login_as, dept) == [("step_overdue_handle", dispatched)]
    assert mark_overdue(now=later) == {"marked": 0, "notified": 0, "steps_marked": 0}
    case = client.get(f"/api/v1/cases/{waiting}", headers=boss).get_json()
    assert case["timeline"][-1]["event"] == "step_overdue"
    assert case["timeline"][-1]["step"] == "register"
    # The next step starts clean, and is marked in its turn when it is late too.
    case = _act(client, boss, waiting, action="register")
    assert case["step"] == "dispatch" and case["step_overdue"] is False
    later = datetime.now().astimezone() + timedelta(days=25)
    result = mark_overdue(now=later)
    assert result["steps_marked"] == 1
    assert ("step_overdue_dispatch", waiting) in _kinds(client, login_as, field_city.boss)
