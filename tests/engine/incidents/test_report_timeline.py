"""A case's timeline (事项轨迹): reported on the phone, received by the server, every status
move after that; server-owned, so it syncs back and no phone can write it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from backend.incidents.models import Report
from tests.helpers import report_fields
from tests.sync_client import Phone


def _events(timeline: list[dict]) -> list[tuple]:
    return [(e["event"], e.get("status")) for e in timeline]


def _reported_and_pulled(client) -> tuple[Phone, Phone, str]:
    reporter = Phone(client, "w1")
    rid = reporter.create("reports", report_fields(reported_at="2026-11-22T07:40:00Z"))
    reporter.push()
    boss = Phone(client, "boss")
    boss.pull()
    return reporter, boss, rid


def test_a_new_report_starts_its_timeline_with_reported_then_received(client, field_city):
    phone = Phone(client, "w1")
    rid = phone.create("reports", report_fields(reported_at="2026-11-22T07:40:00Z"))
    before = datetime.now(UTC)
    record = phone.push()["results"][0]["record"]
    reported, received = record["timeline"]
    assert reported == {"at": "2026-11-22T07:40:00Z", "event": "reported", "by": str(field_city.w1.id)}
    assert received["event"] == "received" and received["code"] == record["code"]
    assert datetime.fromisoformat(received["at"]) >= before.replace(microsecond=0)
    phone.pull()
    assert phone.held("reports")[rid]["timeline"] == record["timeline"]


def test_each_status_move_is_appended_with_who_made_it(client, field_city):
    reporter, boss, rid = _reported_and_pulled(client)
    boss.update("reports", rid, {"status": "registered"})
    boss.push()
    dispatched = client.post(f"/api/v1/cases/{rid}/actions", headers=boss.headers,
                             json={"action": "dispatch", "worker_id": str(field_city.w1.id)})
    assert dispatched.status_code == 200, dispatched.get_json()
    reporter.pull()
    reporter.update("reports", rid, {"status": "handled", "note": "已填平"})
    reporter.push()
    boss.pull()
    timeline = boss.held("reports")[rid]["timeline"]
    assert _events(timeline) == [("reported", None), ("received", None), ("action", "registered"),
                                 ("action", "dispatched"), ("action", "handled")]
    assert [e["action"] for e in timeline[2:]] == ["register", "dispatch", "handle"]
    assert [e["by"] for e in timeline[2:]] == [str(field_city.boss.id)] * 2 + [str(field_city.w1.id)]
    assert timeline[4]["from"] == "dispatched" and timeline[4]["note"] == "已填平"
    times = [datetime.fromisoformat(e["at"]) for e in timeline]
    assert times == sorted(times)


def test_edits_that_leave_the_status_alone_add_nothing(client, field_city):
    reporter, _boss, rid = _reported_and_pulled(client)
    reporter.update("reports", rid, {"description": "坑更大了"})
    record = reporter.push()["results"][0]["record"]
    assert _events(record["timeline"]) == [("reported", None), ("received", None)]


def test_a_refused_status_move_is_not_on_the_timeline(client, field_city):
    reporter, boss, rid = _reported_and_pulled(client)
    reporter.update("reports", rid, {"status": "closed", "after_photos": ["ab" * 32]})
    reporter.push()
    boss.update("reports", rid, {"status": "handled", "description": "补充说明"})
    result = boss.push()["results"][0]
    assert result["refused_fields"]["status"]["code"] == "invalid_transition"
    assert _events(result["record"]["timeline"])[2:] == [("action", "closed")]


@pytest.mark.parametrize("op", ["create", "update"])
def test_a_phone_cannot_write_the_timeline(client, field_city, db, op):
    phone = Phone(client, "w1")
    forged = [{"at": "2026-11-22T08:00:00Z", "event": "status", "status": "closed"}]
    if op == "create":
        phone.create("reports", report_fields(timeline=forged))
    else:
        rid = phone.create("reports", report_fields())
        phone.push()
        phone.update("reports", rid, {"timeline": forged})
    result = phone.push()["results"][-1]
    assert result["status"] == "rejected" and result["error"]["code"] == "server_owned_field"
    assert result["error"]["details"]["fields"] == ["timeline"]
    stored = db.session.scalars(select(Report)).all()
    assert all(e["event"] != "status" for r in stored for e in r.timeline)


def test_restoring_a_refused_status_move_puts_it_on_the_timeline(client, field_city):
    reporter, boss, rid = _reported_and_pulled(client)
    boss.update("reports", rid, {"status": "registered"})
    boss.push()
    assert client.post(f"/api/v1/cases/{rid}/actions", headers=boss.headers, json={
        "action": "dispatch", "worker_id": str(field_city.w1.id)}).status_code == 200
    boss.pull()
    # Too early: "verified" does not follow "dispatched"; the description still merges.
    boss.update("reports", rid, {"status": "verified", "description": "待核查"})
    conflict = boss.push()["results"][0]["conflict"][0]
    reporter.pull()
    reporter.update("reports", rid, {"status": "handled", "note": "已现场处理"})
    reporter.push()
    response = client.post(f"/api/v1/sync/conflicts/{conflict['id']}/resolve", headers=boss.headers,
                           json={"decision": "restore"})
    assert response.status_code == 200, response.get_json()
    reporter.pull()
    record = reporter.held("reports")[rid]
    assert record["status"] == "verified"
    assert [e.get("action") for e in record["timeline"][2:]] == [
        "register", "dispatch", "handle", "verify"]
    assert record["timeline"][-1]["by"] == str(field_city.boss.id)
