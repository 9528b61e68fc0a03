"""Citizens report too (from the same phone app, through sync), and 结果反馈: once a case is
finished its reporter says whether the result satisfies them, once per closing, through
POST /api/v1/cases/{id}/feedback (the phone's offline way is in tests/engine/incidents/)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from tests.factories import make_user
from tests.helpers import assert_json_error, report_fields
from tests.sync_client import Phone

PHOTO = "ab" * 32


@pytest.fixture
def citizen_case(client, field_city, login_as):
    """A report by a citizen (no region, no grid of their own) in D1S1C1G1, and headers."""
    from types import SimpleNamespace

    citizen = make_user("citizen9", roles=["citizen"])
    other = make_user("citizen8", roles=["citizen"])
    phone = Phone(client, "citizen9")
    case_id = phone.create("reports", report_fields())
    result = phone.push()["results"][0]
    assert result["status"] == "applied", result
    return SimpleNamespace(**vars(field_city), citizen=citizen, phone=phone, case_id=case_id,
                           headers={name: login_as(name) for name in (
                               "citizen9", "citizen8", "w1", "boss", "root")},
                           other=other)


def act(client, case, who: str, action: str, **fields):
    return client.post(f"/api/v1/cases/{case.case_id}/actions", headers=case.headers[who],
                       json={"action": action, **fields})


def feedback(client, case, who: str, **body):
    return client.post(f"/api/v1/cases/{case.case_id}/feedback", headers=case.headers[who],
                       json=body)


def ok(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def close(client, case) -> None:
    """Through the grid loop: registered, dispatched back to w1, handled, verified, closed."""
    ok(act(client, case, "boss", "register"))
    ok(act(client, case, "boss", "dispatch", worker_id=str(case.w1.id)))
    ok(act(client, case, "w1", "handle", note="已处理"))
    ok(act(client, case, "boss", "verify"))
    ok(act(client, case, "boss", "close"))


def test_a_citizens_report_gets_the_grid_of_its_point_a_code_and_a_deadline(client, citizen_case):
    record = citizen_case.phone.results[1]["record"]
    assert record["grid_id"] == str(citizen_case.city["D1S1C1G1"].id)
    assert record["code"] and record["deadline_at"] and record["status"] == "reported"
    assert record["reporter_id"] == str(citizen_case.citizen.id)
    assert record["satisfaction"] is None and record["satisfaction_note"] == ""
    # The citizen sees their own report, and only that; the grid's supervisor sees it too.
    mine = client.get("/api/v1/cases", headers=citizen_case.headers["citizen9"]).get_json()
    assert [c["id"] for c in mine["items"]] == [citizen_case.case_id]
    assert client.get("/api/v1/cases", headers=citizen_case.headers["citizen8"]).get_json()[
        "items"] == []
    ok(client.get(f"/api/v1/cases/{citizen_case.case_id}", headers=citizen_case.headers["boss"]))


def test_a_citizen_may_withdraw_their_report_before_registration_only(client, citizen_case):
    case = ok(client.get(f"/api/v1/cases/{citizen_case.case_id}",
                         headers=citizen_case.headers["citizen9"]))
    assert case["actions"] == ["cancel"]
    ok(act(client, citizen_case, "boss", "register"))
    assert_json_error(act(client, citizen_case, "citizen9", "cancel"), 409, "invalid_transition")


def test_a_citizen_withdraws_a_fresh_report(client, citizen_case):
    assert ok(act(client, citizen_case, "citizen9", "cancel"))["status"] == "cancelled"


def test_a_citizen_never_closes_on_the_spot(client, citizen_case):
    assert_json_error(act(client, citizen_case, "citizen9", "close_on_spot", photos=[PHOTO]),
                      403, "forbidden_action")


def test_the_reporter_gives_feedback_on_a_closed_case_once(client, citizen_case, db):
    assert_json_error(feedback(client, citizen_case, "citizen9", satisfaction="satisfied"), 409,
                      "case_not_finished")
    close(client, citizen_case)
    case = ok(feedback(client, citizen_case, "citizen9", satisfaction="unsatisfied",
                       note=" 路面还是不平 "))
    assert (case["satisfaction"], case["satisfaction_note"]) == ("unsatisfied", "路面还是不平")
    assert case["status"] == "closed"
    last = case["timeline"][-1]
    assert (last["event"], last["satisfaction"], last["note"], last["by"]) == (
        "feedback", "unsatisfied", "路面还是不平", str(citizen_case.citizen.id))
    error = assert_json_error(feedback(client, citizen_case, "citizen9", satisfaction="satisfied"),
                              409, "feedback_given")
    assert error["current"] == {"status": "closed", "satisfaction": "unsatisfied"}
    audited = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "case.feedback")).all()
    assert [(a.actor_id, a.details["satisfaction"]) for a in audited] == [
        (citizen_case.citizen.id, "unsatisfied")]
    # The reporter's phone pulls it.
    citizen_case.phone.pull()
    held = citizen_case.phone.held("reports")[citizen_case.case_id]
    assert (held["satisfaction"], held["timeline"][-1]["event"]) == ("unsatisfied", "feedback")


def test_a_cancelled_case_takes_feedback_too(client, citizen_case):
    ok(act(client, citizen_case, "boss", "cancel"))
    assert ok(feedback(client, citizen_case, "citizen9", satisfaction="satisfied"))[
        "satisfaction"] == "satisfied"


def test_only_the_reporter_gives_feedback(client, citizen_case):
    close(client, citizen_case)
    for who in ("boss", "w1", "root"):
        assert_json_error(feedback(client, citizen_case, who, satisfaction="satisfied"), 403,
                          "forbidden_action")
    # Another citizen does not even see the case.
    assert_json_error(feedback(client, citizen_case, "citizen8", satisfaction="satisfied"), 404)


@pytest.mark.parametrize("body", [{}, {"satisfaction": "meh"}, {"satisfaction": None},
                                  {"satisfaction": "satisfied", "note": "x" * 501}])
def test_feedback_that_is_not_satisfied_or_unsatisfied_is_422(client, citizen_case, body):
    close(client, citizen_case)
    assert_json_error(feedback(client, citizen_case, "citizen9", **body), 422)


def test_a_reopened_case_asks_its_reporter_again_once_closed_again(client, citizen_case):
    close(client, citizen_case)
    ok(feedback(client, citizen_case, "citizen9", satisfaction="unsatisfied"))
    case = ok(act(client, citizen_case, "boss", "reopen", note="居民不满意"))
    assert (case["satisfaction"], case["satisfaction_note"]) == (None, "")
    assert_json_error(feedback(client, citizen_case, "citizen9", satisfaction="satisfied"), 409,
                      "case_not_finished")
    ok(act(client, citizen_case, "boss", "dispatch", worker_id=str(citizen_case.w1.id)))
    ok(act(client, citizen_case, "w1", "handle", note="重新修补"))
    ok(act(client, citizen_case, "boss", "verify"))
    ok(act(client, citizen_case, "boss", "close"))
    case = ok(feedback(client, citizen_case, "citizen9", satisfaction="satisfied"))
    given = [e["satisfaction"] for e in case["timeline"] if e["event"] == "feedback"]
    assert given == ["unsatisfied", "satisfied"]
