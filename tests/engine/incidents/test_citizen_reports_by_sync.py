"""A citizen's phone reports as a worker's does (offline, through sync; the grid from the
point) and gives feedback (结果反馈) on a finished case by writing `satisfaction` and
`satisfaction_note`: judged when it syncs by the rule the API uses — only the reporter, only
on a closed or cancelled case, only once — and refused whole otherwise."""

from __future__ import annotations

import uuid

import pytest

from backend.incidents import cases
from tests.factories import make_user
from tests.helpers import report_fields
from tests.sync_client import Phone

PHOTO = "cd" * 32


@pytest.fixture
def citizen(client, field_city):
    make_user("citizen9", roles=["citizen"])
    make_user("citizen8", roles=["citizen"])
    phone = Phone(client, "citizen9")
    rid = phone.create("reports", report_fields())
    phone.create("photos", {"sha256": PHOTO, "record_collection": "reports", "record_id": rid})
    results = phone.push()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"], results
    return phone, rid


def _write(phone: Phone, rid: str, **fields) -> dict:
    phone.pull()
    phone.update("reports", rid, fields)
    return phone.push()["results"][0]


def _close(field_city, rid: str) -> None:
    """The street's loop, taken on the server: registered, back to w1, handled, closed."""
    boss, w1, case_id = field_city.boss, field_city.w1, uuid.UUID(rid)
    cases.act(boss, case_id, "register")
    cases.act(boss, case_id, "dispatch", worker_id=w1.id)
    cases.act(w1, case_id, "handle", note="已处理")
    cases.act(boss, case_id, "verify")
    cases.act(boss, case_id, "close")


def test_a_citizens_phone_reports_with_a_photo_and_pulls_only_its_own(client, citizen):
    phone, rid = citizen
    phone.pull()
    record = phone.held("reports")[rid]
    assert record["code"] and record["grid_id"] and record["photos"] == []
    assert list(phone.held("reports")) == [rid]
    assert [p["record_id"] for p in phone.held("photos").values()] == [rid]
    stranger = Phone(client, "citizen8")
    stranger.pull()
    assert stranger.held("reports") == {} and stranger.held("photos") == {}


def test_a_citizen_withdraws_a_fresh_report_but_never_closes_it(citizen):
    phone, rid = citizen
    refused = _write(phone, rid, status="closed", note="已清理")
    assert refused["status"] == "merged" and refused["record"]["status"] == "reported"
    assert refused["refused_fields"]["status"]["code"] == "forbidden_action"
    assert _write(phone, rid, status="cancelled")["record"]["status"] == "cancelled"


def test_a_new_report_carries_no_feedback(citizen):
    phone, _rid = citizen
    phone.create("reports", report_fields(satisfaction="satisfied"))
    result = phone.push()["results"][0]
    assert result["status"] == "rejected" and result["error"]["code"] == "case_not_finished"


def test_feedback_on_an_open_case_is_refused(citizen):
    phone, rid = citizen
    result = _write(phone, rid, satisfaction="satisfied")
    assert result["status"] == "rejected" and result["error"]["code"] == "case_not_finished"


def test_the_reporter_gives_feedback_on_a_closed_case_once(field_city, client, citizen):
    phone, rid = citizen
    _close(field_city, rid)
    given = _write(phone, rid, satisfaction="satisfied", satisfaction_note=" 很快 ")
    assert given["status"] == "applied", given
    record = given["record"]
    assert (record["satisfaction"], record["satisfaction_note"]) == ("satisfied", " 很快 ")
    last = record["timeline"][-1]
    assert (last["event"], last["satisfaction"], last["note"], last["via"]) == (
        "feedback", "satisfied", "很快", "sync")
    for again in ({"satisfaction": "unsatisfied"}, {"satisfaction_note": "其实一般"}):
        refused = _write(phone, rid, **again)
        assert refused["status"] == "rejected" and refused["error"]["code"] == "feedback_given"
    # The case over the API says the same.
    boss = Phone(client, "boss")
    case = client.get(f"/api/v1/cases/{rid}", headers=boss.headers).get_json()
    assert case["satisfaction"] == "satisfied"


def test_a_note_alone_is_not_feedback(field_city, citizen):
    phone, rid = citizen
    _close(field_city, rid)
    refused = _write(phone, rid, satisfaction_note="还行")
    assert refused["status"] == "rejected" and refused["error"]["code"] == "satisfaction_required"


def test_only_the_reporter_gives_feedback(field_city, client, citizen):
    _phone, rid = citizen
    _close(field_city, rid)
    boss = Phone(client, "boss")
    refused = _write(boss, rid, satisfaction="satisfied")
    assert refused["status"] == "rejected" and refused["error"]["code"] == "forbidden_action"


def test_feedback_given_offline_while_the_case_was_open_is_refused_when_it_syncs_open(
        field_city, citizen):
    """Judged by the case's state when it syncs, never by when it was made."""
    phone, rid = citizen
    phone.pull()
    phone.update("reports", rid, {"satisfaction": "unsatisfied"})
    cases.act(field_city.boss, uuid.UUID(rid), "register")
    result = phone.push()["results"][0]
    assert result["status"] == "rejected" and result["error"]["code"] == "case_not_finished"
