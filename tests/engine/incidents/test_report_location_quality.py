"""How good a report's place is: the GPS fix's accuracy and whether the pin was moved by hand.
Written by the phone, optional (older phones send neither), synced back to whoever sees the
case, and checked like any other field: a bad value rejects that report alone."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from backend.incidents.models import Report
from tests.helpers import count_reports, report_fields
from tests.sync_client import Phone


def _stored(db, rid: str) -> Report:
    db.session.expire_all()
    return db.session.scalars(select(Report).where(Report.id == uuid.UUID(rid))).one()


@pytest.mark.parametrize("accuracy,adjusted", [(12.5, False), (25, True), (0, False),
                                               (10_000, True), (None, True)])
def test_accuracy_and_adjustment_are_stored_and_pulled_back(
        client, field_city, db, accuracy, adjusted):
    phone = Phone(client, "w1")
    rid = phone.create("reports", report_fields(accuracy_m=accuracy, location_adjusted=adjusted))
    result = phone.push()["results"][0]
    assert result["status"] == "applied", result
    assert result["record"]["accuracy_m"] == accuracy
    assert result["record"]["location_adjusted"] is adjusted
    report = _stored(db, rid)
    assert report.accuracy_m == accuracy and report.location_adjusted is adjusted

    # The supervisor verifying the case sees the same, and so does the reporter's own phone.
    boss = Phone(client, "boss")
    boss.pull()
    held = boss.held("reports")[rid]
    assert held["accuracy_m"] == accuracy and held["location_adjusted"] is adjusted
    phone.pull()
    assert phone.held("reports")[rid]["location_adjusted"] is adjusted


def test_a_phone_that_sends_neither_still_reports_with_no_accuracy_and_no_adjustment(
        client, field_city, db):
    phone = Phone(client, "w1")
    rid = phone.create("reports", report_fields())
    result = phone.push()["results"][0]
    assert result["status"] == "applied", result
    assert result["record"]["accuracy_m"] is None
    assert result["record"]["location_adjusted"] is False
    report = _stored(db, rid)
    assert report.accuracy_m is None and report.location_adjusted is False


def test_an_edit_that_leaves_the_place_alone_keeps_its_quality(client, field_city, db):
    phone = Phone(client, "w1")
    rid = phone.create("reports", report_fields(accuracy_m=8.0, location_adjusted=True))
    phone.push()
    phone.pull()
    phone.update("reports", rid, {"description": "补充说明"})
    record = phone.push()["results"][0]["record"]
    assert record["accuracy_m"] == 8.0 and record["location_adjusted"] is True


@pytest.mark.parametrize("bad", [
    {"accuracy_m": -1},
    {"accuracy_m": 10_000.5},
    {"accuracy_m": "far"},
    {"accuracy_m": True},
    {"location_adjusted": "yes"},
    {"location_adjusted": 1},
    {"location_adjusted": None},
])
def test_bad_values_reject_that_report_and_not_the_rest_of_the_batch(client, field_city, db, bad):
    phone = Phone(client, "w1")
    phone.create("reports", report_fields(description="坏的", **bad))
    good = phone.create("reports", report_fields(description="好的", accuracy_m=5.0))
    body = phone.push()
    rejected, applied = body["results"]
    assert rejected["status"] == "rejected" and rejected["error"]["code"] == "invalid_fields", rejected
    assert set(rejected["error"]["details"]["fields"]) == set(bad)
    assert applied["status"] == "applied" and applied["id"] == good
    assert body["last_mid"] == 2 and phone.outbox == []
    assert count_reports(db) == 1
    assert _stored(db, good).accuracy_m == 5.0


def test_a_bad_value_in_an_update_is_rejected_and_the_stored_value_stays(client, field_city, db):
    phone = Phone(client, "w1")
    rid = phone.create("reports", report_fields(accuracy_m=8.0))
    phone.push()
    phone.pull()
    phone.update("reports", rid, {"accuracy_m": -3})
    result = phone.push()["results"][0]
    assert result["status"] == "rejected" and result["error"]["code"] == "invalid_fields"
    assert _stored(db, rid).accuracy_m == 8.0
