"""Conflicts: field-level merge, last writer wins per field, workflow, delete wins — nothing lost."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.sync_adapter.models import SyncConflict
from tests.helpers import report_fields
from tests.sync_client import BASE_TIME, Phone


def _two_phones_on_one_report(client):
    reporter = Phone(client, "w1")
    rid = reporter.create("reports", report_fields())
    reporter.push()
    boss = Phone(client, "boss")
    reporter.pull()
    boss.pull()
    return reporter, boss, rid


def test_edits_of_different_fields_both_survive(client, field_city):
    reporter, boss, rid = _two_phones_on_one_report(client)
    reporter.update("reports", rid, {"description": "坑更大了"})
    boss.update("reports", rid, {"note": "已通知养护单位"})
    reporter.push()
    result = boss.push()["results"][0]
    assert result["status"] == "merged" and "conflict" not in result
    assert result["record"]["description"] == "坑更大了" and result["record"]["note"] == "已通知养护单位"


def test_the_later_edit_of_one_field_wins_and_the_other_is_kept(client, field_city, db):
    reporter, boss, rid = _two_phones_on_one_report(client)
    reporter.update("reports", rid, {"description": "earlier"}, client_time=BASE_TIME + timedelta(minutes=5))
    boss.update("reports", rid, {"description": "later"}, client_time=BASE_TIME + timedelta(minutes=9))
    boss.push()
    result = reporter.push()["results"][0]  # arrives last, but was made first
    assert result["status"] == "merged" and result["record"]["description"] == "later"
    [conflict] = result["conflict"]
    assert conflict["losing_value"] == "earlier" and conflict["winning_value"] == "later"
    stored = db.session.scalars(select(SyncConflict)).all()
    assert [(c.field, c.losing_value, c.winning_value) for c in stored] == [("description", "earlier", "later")]


def test_a_later_edit_arriving_last_wins_and_the_overwritten_value_is_kept(client, field_city, db):
    reporter, boss, rid = _two_phones_on_one_report(client)
    boss.update("reports", rid, {"description": "earlier"}, client_time=BASE_TIME + timedelta(minutes=5))
    reporter.update("reports", rid, {"description": "later"}, client_time=BASE_TIME + timedelta(minutes=9))
    boss.push()
    result = reporter.push()["results"][0]
    assert result["record"]["description"] == "later"
    assert result["conflict"][0]["losing_value"] == "earlier"


def test_equal_times_are_broken_by_client_id(client, field_city):
    reporter, boss, rid = _two_phones_on_one_report(client)
    moment = BASE_TIME + timedelta(minutes=3)
    reporter.update("reports", rid, {"description": "from reporter"}, client_time=moment)
    boss.update("reports", rid, {"description": "from boss"}, client_time=moment)
    reporter.push()
    boss.push()
    reporter.pull()
    boss.pull()
    winner = max((reporter.client_id, "from reporter"), (boss.client_id, "from boss"))[1]
    assert reporter.held("reports")[rid]["description"] == winner == boss.held("reports")[rid]["description"]


def test_a_workflow_move_made_impossible_meanwhile_is_rejected_but_other_fields_merge(client, field_city, db):
    reporter, boss, rid = _two_phones_on_one_report(client)
    boss.update("reports", rid, {"status": "cancelled"})  # 不予立案
    boss.push()
    # The reporter, offline, closed it on the spot: too late now.
    reporter.update("reports", rid, {"status": "closed", "after_photos": ["ab" * 32],
                                     "description": "补充说明"})
    result = reporter.push()["results"][0]
    assert result["status"] == "merged"
    assert result["record"]["status"] == "cancelled" and result["record"]["description"] == "补充说明"
    assert result["refused_fields"]["status"]["code"] == "invalid_transition"
    kinds = [c.kind for c in db.session.scalars(select(SyncConflict))]
    assert kinds == ["workflow"]


def test_a_workflow_move_alone_is_rejected_with_the_current_state(client, field_city):
    reporter, boss, rid = _two_phones_on_one_report(client)
    boss.update("reports", rid, {"status": "cancelled"})
    boss.push()
    reporter.update("reports", rid, {"status": "registered"})
    result = reporter.push()["results"][0]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "invalid_transition"
    assert result["error"]["details"]["current"] == {"status": "cancelled"}


def test_an_update_after_a_delete_loses_and_is_kept(client, field_city, db):
    reporter, boss, rid = _two_phones_on_one_report(client)
    reporter.delete("reports", rid)
    reporter.push()
    boss.update("reports", rid, {"note": "还在吗"})
    result = boss.push()["results"][0]
    assert result["status"] == "merged" and result["record"]["deleted"] is True
    assert result["conflict"][0]["kind"] == "delete_wins"
    assert result["conflict"][0]["losing_value"] == {"note": "还在吗"}


def test_a_delete_on_a_stale_version_wins_and_keeps_the_edits_it_never_saw(client, field_city, db):
    reporter, boss, rid = _two_phones_on_one_report(client)
    boss.update("reports", rid, {"note": "supervisor's note"})
    boss.push()
    reporter.delete("reports", rid)
    result = reporter.push()["results"][0]
    assert result["status"] == "merged" and result["record"]["deleted"] is True
    assert result["conflict"][0]["losing_value"]["note"] == "supervisor's note"


def test_supervisors_list_conflicts_in_their_scope_only(client, field_city, login_as):
    reporter, boss, rid = _two_phones_on_one_report(client)
    boss.update("reports", rid, {"description": "a"}, client_time=BASE_TIME + timedelta(minutes=9))
    reporter.update("reports", rid, {"description": "b"}, client_time=BASE_TIME + timedelta(minutes=5))
    boss.push()
    reporter.push()
    listed = client.get("/api/v1/sync/conflicts", headers=boss.headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["record_id"] == rid
    from tests.factories import make_user

    make_user("other", roles=["supervisor"], region=field_city.city["D2"])
    assert client.get("/api/v1/sync/conflicts", headers=login_as("other")).get_json()["total"] == 0
    assert client.get("/api/v1/sync/conflicts", headers=login_as("w1")).status_code == 403


def test_restoring_the_losing_value_is_a_change_every_client_pulls(client, field_city, db):
    reporter, boss, rid = _two_phones_on_one_report(client)
    boss.update("reports", rid, {"description": "winner"}, client_time=BASE_TIME + timedelta(minutes=9))
    reporter.update("reports", rid, {"description": "kept"}, client_time=BASE_TIME + timedelta(minutes=5))
    boss.push()
    reporter.push()
    conflict = client.get("/api/v1/sync/conflicts", headers=boss.headers).get_json()["items"][0]
    response = client.post(f"/api/v1/sync/conflicts/{conflict['id']}/resolve", headers=boss.headers,
                           json={"decision": "restore"})
    assert response.status_code == 200 and response.get_json()["resolution"] == "restore"
    restored = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "sync.conflict_restored")).all()
    assert [(e.target_id, e.details["record_id"]) for e in restored] == [(conflict["id"], rid)]
    reporter.pull()
    boss.pull()
    assert reporter.held("reports")[rid]["description"] == "kept" == boss.held("reports")[rid]["description"]
    again = client.post(f"/api/v1/sync/conflicts/{conflict['id']}/resolve", headers=boss.headers,
                        json={"decision": "accept"})
    assert again.status_code == 409
    assert client.get("/api/v1/sync/conflicts", headers=boss.headers).get_json()["total"] == 0


def test_restoring_a_deleted_record_brings_it_back(client, field_city):
    reporter, boss, rid = _two_phones_on_one_report(client)
    reporter.delete("reports", rid)
    reporter.push()
    boss.update("reports", rid, {"note": "不要删"})
    conflict = boss.push()["results"][0]["conflict"][0]
    response = client.post(f"/api/v1/sync/conflicts/{conflict['id']}/resolve", headers=boss.headers,
                           json={"decision": "restore"})
    assert response.status_code == 200
    reporter.pull()
    assert reporter.held("reports")[rid]["note"] == "不要删"
