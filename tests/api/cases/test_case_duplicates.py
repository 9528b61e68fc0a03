"""Duplicates (重复上报): a new report of the same category near an open case, reported near
in time, is offered to the supervisor who may register it as a possible duplicate; merging
it (合并) ends the report (status merged), points it to the case, notes it on both timelines
and lets its reporter follow the case: read it, and learn when it closes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.incidents import overdue
from backend.incidents.models import Report
from backend.notifications.models import Notification
from tests.factories import G1, ORIGIN_LAT, make_category, make_department, make_user
from tests.helpers import assert_json_error, report_fields
from tests.sync_client import Phone

PHOTO = "ab" * 32
T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
# About 1.11 m of latitude per 1e-5 degree here: north of G1 by so many metres.
M_PER_DEG_LAT = 110_950.0


def north_of(point, metres: float) -> tuple[float, float]:
    return point[0] + metres / M_PER_DEG_LAT, point[1]


@pytest.fixture
def near(client, field_city, login_as):
    """report() files a report by w1 (or another phone) and returns its id; people's headers."""
    people = SimpleNamespace(**vars(field_city),
                             district=make_user("district1", roles=["supervisor"],
                                                region=field_city.city["D1"]),
                             other_street=make_user("street2", roles=["supervisor"],
                                                    region=field_city.city["D1S2"]),
                             citizen=make_user("citizen9"), cgj=make_department())
    phones = {}

    def report(point=G1, at=T0, who="w1", **extra):
        phone = phones.setdefault(who, Phone(client, who))
        rid = phone.create("reports", report_fields(point, reported_at=at.isoformat(), **extra))
        result = phone.push()["results"][0]
        assert result["status"] == "applied", result
        return rid

    people.report = report
    people.headers = {name: login_as(name) for name in (
        "w1", "w2", "boss", "root", "district1", "street2", "citizen9")}
    return people


def detail(client, near, case_id, who="boss") -> dict:
    response = client.get(f"/api/v1/cases/{case_id}", headers=near.headers[who])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def act(client, near, case_id, who, action, **fields):
    return client.post(f"/api/v1/cases/{case_id}/actions", headers=near.headers[who],
                       json={"action": action, **fields})


def ok(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def offered(client, near, case_id, who="boss") -> list[str]:
    return [d["id"] for d in detail(client, near, case_id, who)["possible_duplicates"]]


# -- possible duplicates ----------------------------------------------------------------------

def test_open_cases_of_the_category_nearby_and_near_in_time_are_offered_nearest_first(
        client, near):
    far_one = near.report(north_of(G1, 80), T0)
    close_one = near.report(north_of(G1, 20), T0 + timedelta(hours=30))
    new = near.report(G1, T0 + timedelta(hours=40))
    found = detail(client, near, new)["possible_duplicates"]
    assert [d["id"] for d in found] == [close_one, far_one]
    assert 19 < found[0]["distance_m"] < 21 and 79 < found[1]["distance_m"] < 81
    assert set(found[0]) == {"id", "code", "status", "distance_m", "reported_at"}
    assert found[0]["status"] == "reported" and found[0]["code"]


def test_a_case_farther_than_the_radius_is_not_offered(client, near, app):
    assert app.config["DUPLICATE_RADIUS_M"] == 100
    near.report(north_of(G1, 110), T0)
    assert offered(client, near, near.report(G1, T0)) == []


@pytest.mark.parametrize("hours, shown", [(-71, True), (71, True), (-73, False), (73, False)])
def test_only_cases_reported_within_the_window_either_side_are_offered(client, near, hours,
                                                                       shown):
    other = near.report(north_of(G1, 10), T0 + timedelta(hours=hours))
    assert offered(client, near, near.report(G1, T0)) == ([other] if shown else [])


def test_a_case_of_another_category_is_not_offered(client, near):
    make_category("road.manhole")
    near.report(north_of(G1, 10), T0, category="road.manhole")
    assert offered(client, near, near.report(G1, T0)) == []


def test_finished_cases_are_not_offered_but_open_ones_in_any_step_are(client, near):
    closed, cancelled, registered = (near.report(north_of(G1, m), T0) for m in (10, 20, 30))
    ok(act(client, near, closed, "w1", "close_on_spot", photos=[PHOTO]))
    ok(act(client, near, cancelled, "boss", "cancel"))
    ok(act(client, near, registered, "boss", "register"))
    assert offered(client, near, near.report(G1, T0)) == [registered]


def test_only_cases_in_the_readers_sight_are_offered(client, near):
    # Two points 40 m apart on either side of the line between street S1 and street S2.
    edge = ORIGIN_LAT + 0.02
    in_s2 = near.report((edge + 0.00018, 118.335), T0, who="w1")
    in_s1 = near.report((edge - 0.00018, 118.335), T0, who="w1")
    assert offered(client, near, in_s1, "boss") == []            # S1's: S2 is not in sight
    assert offered(client, near, in_s1, "district1") == [in_s2]  # the district sees both


def test_duplicates_are_offered_only_to_who_may_merge_a_reported_case(client, near):
    other = near.report(north_of(G1, 10), T0)
    new = near.report(G1, T0)
    assert offered(client, near, new, "boss") == [other]
    assert offered(client, near, new, "w1") == []      # the reporter may not merge
    assert offered(client, near, new, "root") == []    # nor an administrator
    ok(act(client, near, new, "boss", "register"))
    assert offered(client, near, new, "boss") == []    # registered: no longer a candidate


def test_a_merged_case_is_not_offered_again(client, near):
    first, second = near.report(north_of(G1, 10), T0), near.report(north_of(G1, 20), T0)
    ok(act(client, near, second, "boss", "merge", target_id=first))
    assert offered(client, near, near.report(G1, T0)) == [first]


# -- merging ------------------------------------------------------------------------------------

def test_merging_ends_the_report_points_it_to_the_case_and_notes_it_on_both(client, near, db):
    case = near.report(north_of(G1, 30), T0)
    dup = near.report(G1, T0 + timedelta(hours=2), who="citizen9")
    merged = ok(act(client, near, dup, "boss", "merge", target_id=case, note="同一处坑洼"))
    assert merged["status"] == "merged" and merged["merged_into_id"] == case
    assert merged["actions"] == [] and merged["possible_duplicates"] == []
    target = detail(client, near, case)
    assert merged["merged_into_code"] == target["code"]
    last = merged["timeline"][-1]
    assert (last["action"], last["from"], last["status"], last["role"]) == (
        "merge", "reported", "merged", "supervisor")
    assert last["merged_into_id"] == case and last["merged_into_code"] == target["code"]
    assert last["note"] == "同一处坑洼"
    noted = target["timeline"][-1]
    assert noted["event"] == "merged_in" and noted["report_id"] == dup
    assert noted["report_code"] == merged["code"]
    assert noted["reporter_id"] == str(near.citizen.id) and noted["by"] == str(near.boss.id)
    assert target["status"] == "reported"
    audited = db.session.execute(select(AuditEvent.target_id, AuditEvent.details).where(
        AuditEvent.action == "case.action")).all()
    assert {(str(t), d["action"]) for t, d in audited} == {(dup, "merge"), (case, "merged_in")}


def test_the_reporter_of_a_merged_report_follows_the_case(client, near, db):
    case = near.report(north_of(G1, 30), T0)
    dup = near.report(G1, T0, who="citizen9")
    citizen = near.headers["citizen9"]
    assert client.get(f"/api/v1/cases/{case}", headers=citizen).status_code == 404
    ok(act(client, near, dup, "boss", "merge", target_id=case))
    followed = client.get(f"/api/v1/cases/{case}", headers=citizen)
    assert followed.status_code == 200 and followed.get_json()["actions"] == []
    listed = client.get("/api/v1/cases", headers=citizen).get_json()["items"]
    assert {item["id"] for item in listed} == {case, dup}
    # Nobody else gains sight of it.
    assert client.get(f"/api/v1/cases/{case}", headers=near.headers["street2"]).status_code == 404
    # They are told when it closes, about their own report (which their phone holds).
    ok(act(client, near, case, "boss", "register"))
    ok(act(client, near, case, "boss", "dispatch", department_id=str(near.cgj.id)))
    dept = make_user("dept1", roles=["department"], department=near.cgj)
    dept_headers = {"Authorization": Phone(client, dept.username).headers["Authorization"]}
    assert client.post(f"/api/v1/cases/{case}/actions", headers=dept_headers, json={
        "action": "handle", "note": "已修复"}).status_code == 200
    ok(act(client, near, case, "boss", "verify"))
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == near.citizen.id)) is None
    ok(act(client, near, case, "boss", "close"))
    notices = client.get("/api/v1/notifications", headers=citizen).get_json()["items"]
    assert [(n["kind"], n["subject_id"]) for n in notices] == [("followed_case_closed", dup)]
    assert notices[0]["params"]["code"] == detail(client, near, case)["code"]


def test_reports_merged_into_a_report_move_along_when_it_is_merged(client, near):
    case = near.report(north_of(G1, 30), T0)
    middle = near.report(north_of(G1, 10), T0)
    first = near.report(G1, T0, who="citizen9")
    ok(act(client, near, first, "boss", "merge", target_id=middle))
    ok(act(client, near, middle, "boss", "merge", target_id=case))
    moved = detail(client, near, first)
    assert moved["merged_into_id"] == case
    assert moved["timeline"][-1]["event"] == "merged_along"
    assert client.get(f"/api/v1/cases/{case}", headers=near.headers["citizen9"]).status_code == 200


def test_merge_refusals_say_why_with_the_right_status(client, near):
    make_category("road.manhole")
    case = near.report(north_of(G1, 30), T0)
    dup = near.report(G1, T0)
    other_kind = near.report(G1, T0, category="road.manhole")
    closed = near.report(G1, T0)
    ok(act(client, near, closed, "w1", "close_on_spot", photos=[PHOTO]))
    elsewhere = near.report((ORIGIN_LAT + 0.025, 118.335), T0)   # street S2, not boss's

    def merge(who="boss", **body):
        return act(client, near, dup, who, "merge", **body)

    assert_json_error(merge("w1", target_id=case), 403, "forbidden_action")
    assert_json_error(merge("root", target_id=case), 403, "forbidden_action")
    assert_json_error(merge("street2", target_id=case), 404)
    assert_json_error(merge("w2", target_id=case), 404)
    assert_json_error(merge(), 422, "merge_target_required")
    assert_json_error(merge(target_id=dup), 422, "merge_into_itself")
    assert_json_error(merge(target_id=other_kind), 422, "merge_category_differs")
    assert_json_error(merge(target_id=elsewhere), 422, "unknown_merge_target")
    assert_json_error(merge(target_id=str(uuid.uuid4())), 422, "unknown_merge_target")
    assert_json_error(merge(target_id="not-a-uuid"), 422, "validation_error")
    error = assert_json_error(merge(target_id=closed), 409, "merge_target_not_open")
    assert error["target"]["status"] == "closed"
    assert_json_error(act(client, near, dup, "boss", "register", target_id=case), 422,
                      "unexpected_target")
    ok(act(client, near, dup, "boss", "register"))
    error = assert_json_error(merge(target_id=case), 409, "invalid_transition")
    assert error["current"] == {"status": "registered"}
    # Into a merged report: not open.
    again = near.report(G1, T0)
    ok(act(client, near, again, "boss", "merge", target_id=case))
    third = near.report(G1, T0)
    assert_json_error(act(client, near, third, "boss", "merge", target_id=again), 409,
                      "merge_target_not_open")


def test_a_phone_cannot_merge_by_writing_the_status(client, near):
    dup = near.report(G1, T0)
    for who in ("boss", "w1"):
        phone = Phone(client, who)
        phone.pull()
        phone.update("reports", dup, {"status": "merged"})
        result = phone.push()["results"][0]
        assert result["status"] == "rejected" and result["error"]["code"] in (
            "invalid_transition", "forbidden_action"), result
    assert detail(client, near, dup)["status"] == "reported"


def test_the_merged_report_syncs_to_its_reporters_phone(client, near):
    case = near.report(north_of(G1, 30), T0)
    dup = near.report(G1, T0)
    ok(act(client, near, dup, "boss", "merge", target_id=case))
    phone = Phone(client, "w1")
    phone.pull()
    held = phone.held("reports")[dup]
    assert held["status"] == "merged" and held["merged_into_id"] == case
    assert held["timeline"][-1]["merged_into_code"]


def test_merged_reports_are_neither_overdue_nor_counted(client, near, db, login_as):
    case = near.report(north_of(G1, 30), datetime(2026, 1, 5, 8, tzinfo=UTC))
    dup = near.report(G1, datetime(2026, 1, 5, 9, tzinfo=UTC))
    ok(act(client, near, dup, "boss", "merge", target_id=case))
    merged = detail(client, near, dup)
    assert merged["overdue"] is False
    overdue.mark_overdue()
    assert db.session.get(Report, uuid.UUID(dup)).overdue_at is None
    assert db.session.get(Report, uuid.UUID(case)).overdue_at is not None
    figures = client.get("/api/v1/stats/cases", headers=near.headers["boss"], query_string={
        "from": "2026-01-01", "to": "2026-01-31"}).get_json()
    assert figures["total"]["total"] == 1
