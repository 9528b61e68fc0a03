"""A phone moves a case by writing its status; the role table judges the move as the API
judges an action, when it syncs: a grid worker can no longer take their own report to
closed through sync, only close it on the spot (with an "after" photo), cancel it before it
is registered, or handle what is dispatched back to them."""

from __future__ import annotations

import pytest

from tests.helpers import report_fields
from tests.sync_client import Phone

PHOTO = "cd" * 32


@pytest.fixture
def reported(client, field_city):
    reporter = Phone(client, "w1")
    rid = reporter.create("reports", report_fields())
    reporter.push()
    boss = Phone(client, "boss")
    boss.pull()
    return reporter, boss, rid


def _move(phone: Phone, rid: str, **fields) -> dict:
    phone.pull()
    phone.update("reports", rid, fields)
    return phone.push()["results"][0]


@pytest.mark.parametrize("status", ["registered", "cancelled"])
def test_a_reporter_cannot_register_their_own_report_but_may_withdraw_it(reported, status):
    reporter, _boss, rid = reported
    result = _move(reporter, rid, status=status)
    if status == "registered":
        assert result["status"] == "rejected" and result["error"]["code"] == "forbidden_action"
    else:
        assert result["status"] == "applied" and result["record"]["status"] == "cancelled"


def test_closing_on_the_spot_needs_an_after_photo(reported):
    reporter, _boss, rid = reported
    refused = _move(reporter, rid, status="closed")
    assert refused["error"]["code"] == "photos_required"
    closed = _move(reporter, rid, status="closed", after_photos=[PHOTO], note="已清理")
    assert closed["record"]["status"] == "closed" and closed["record"]["closed_at"]
    last = closed["record"]["timeline"][-1]
    assert (last["action"], last["note"], last["via"]) == ("close_on_spot", "已清理", "sync")


def test_a_supervisor_registers_from_the_phone_but_dispatches_in_the_console(reported):
    reporter, boss, rid = reported
    assert _move(boss, rid, status="registered")["record"]["status"] == "registered"
    refused = _move(boss, rid, status="dispatched")
    assert refused["error"]["code"] == "invalid_transition"
    # Withdrawing is the reporter's, but only before registration.
    assert _move(reporter, rid, status="cancelled")["error"]["code"] == "invalid_transition"


def test_the_worker_a_case_is_dispatched_back_to_handles_it_offline(client, reported, field_city):
    reporter, boss, rid = reported
    _move(boss, rid, status="registered")
    assert client.post(f"/api/v1/cases/{rid}/actions", headers=boss.headers, json={
        "action": "dispatch", "worker_id": str(field_city.w1.id)}).status_code == 200
    reporter.pull()
    # Offline: the move waits in the outbox, and is judged when it syncs.
    reporter.update("reports", rid, {"status": "handled"})
    assert reporter.push()["results"][0]["error"]["code"] == "note_required"
    handled = _move(reporter, rid, status="handled", note="已填平")
    assert handled["record"]["status"] == "handled"
    assert _move(boss, rid, status="verified")["record"]["status"] == "verified"
    assert _move(boss, rid, status="closed")["record"]["status"] == "closed"


def test_a_worker_of_another_street_cannot_move_a_case_they_cannot_see(client, reported):
    _reporter, _boss, rid = reported
    stranger = Phone(client, "w3")
    stranger.pull()
    stranger.update("reports", rid, {"status": "cancelled"})
    result = stranger.push()["results"][0]
    assert result["status"] == "rejected"
