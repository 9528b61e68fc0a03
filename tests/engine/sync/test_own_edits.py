"""A phone's own earlier edits are not someone else's: editing a field twice offline is
no conflict, however long the phone was away."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend.sync_adapter.models import SyncConflict
from tests.helpers import report_fields
from tests.sync_client import BASE_TIME, Phone


def test_editing_one_field_twice_offline_is_not_a_conflict(client, field_city, db):
    phone = Phone(client, "w1")
    rid = phone.create("reports", report_fields())
    phone.push()
    phone.pull()
    # Both edits are made on version 1: the phone has not heard back in between.
    phone.update("reports", rid, {"description": "first"})
    phone.update("reports", rid, {"description": "second"})
    results = phone.push()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[-1]["record"]["description"] == "second"
    assert db.session.scalar(select(func.count()).select_from(SyncConflict)) == 0


def test_someone_elses_edit_in_between_still_conflicts(client, field_city, db):
    phone, boss = Phone(client, "w1"), Phone(client, "boss")
    rid = phone.create("reports", report_fields())
    phone.push()
    phone.pull()
    boss.pull()
    phone.update("reports", rid, {"description": "mine, first"})
    phone.push()
    boss.update("reports", rid, {"description": "the boss's"},  # made on version 1 too, later
                client_time=BASE_TIME + timedelta(minutes=10))
    assert boss.push()["results"][0]["record"]["description"] == "the boss's"
    phone.update("reports", rid, {"description": "mine, second"}, base_version=2,
                 client_time=BASE_TIME + timedelta(minutes=20))
    result = phone.push()["results"][0]
    assert result["status"] == "merged" and result["conflict"][0]["field"] == "description"
    assert result["record"]["description"] == "mine, second"


def test_editing_then_deleting_offline_is_not_a_conflict(client, field_city, db):
    phone = Phone(client, "w1")
    rid = phone.create("reports", report_fields())
    phone.push()
    phone.pull()
    phone.update("reports", rid, {"description": "on second thought"})
    phone.delete("reports", rid)  # made on version 1 as well
    results = phone.push()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[-1]["record"]["deleted"] is True
    assert db.session.scalar(select(func.count()).select_from(SyncConflict)) == 0
