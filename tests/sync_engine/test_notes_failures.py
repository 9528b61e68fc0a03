"""A mutation that hits a bug (in a hook, or in the engine) is rejected alone with
`internal_error`: the rest of the push applies, and the phone is never stuck resending a
push that fails the same way every time. An error of the database still fails the push."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from tests.sync_engine.notes import CRASH_TITLE, area_counters, note, notes, readings


def test_a_failing_hook_rejects_its_mutation_alone(server, alice, device, caplog):
    phone = device(alice)
    before = phone.create(note("before"))
    crashing = phone.create(note(CRASH_TITLE))
    after = phone.create(note("after"))
    with caplog.at_level(logging.ERROR, logger="sync.engine"):
        body = phone.push()
    assert body["last_mid"] == 3 and phone.outbox == []
    statuses = [(r["id"], r["status"], r.get("error", {}).get("code")) for r in body["results"]]
    assert statuses == [(before, "applied", None), (crashing, "rejected", "internal_error"),
                        (after, "applied", None)]
    assert "a bug in the hook" in caplog.text and "mutation 2" in caplog.text
    # What the failing hook wrote went with it: the area's counter counts two notes.
    assert {row["title"] for row in server.rows(notes)} == {"before", "after"}
    assert [row["last_number"] for row in server.rows(area_counters)] == [2]
    assert sorted(row["number"] for row in server.rows(notes)) == [1, 2]


def test_a_resent_push_gets_the_same_rejection_and_applies_nothing_twice(server, alice, device):
    phone = device(alice)
    phone.create(note("ok"))
    phone.create(note(CRASH_TITLE))
    batch = list(phone.outbox)
    phone.push()
    again = phone.push(mutations=batch)
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert again["results"][1]["original"]["error"]["code"] == "internal_error"
    assert len(server.rows(notes)) == 1


def test_a_failing_grouped_create_is_rejected_alone(server, alice, device):
    phone = device(alice)
    ids = [phone.create({"value": value}, collection="readings") for value in (2.0, 4.0, 0.0, 8.0)]
    body = phone.push()
    assert [r["status"] for r in body["results"]] == ["applied", "applied", "rejected", "applied"]
    assert body["results"][2]["error"]["code"] == "internal_error"
    stored = {str(row["id"]): row["inverse"] for row in server.rows(readings)}
    assert stored == {ids[0]: 0.5, ids[1]: 0.25, ids[3]: 0.125}


def test_an_error_of_the_database_fails_the_whole_push(server, alice, device, monkeypatch):
    # Not the mutation's fault (the database is gone, a lock timed out): nothing is applied
    # and nothing is marked, so the phone sends the same push again later.
    phone = device(alice)
    phone.create(note("first"))
    phone.create(note("second"))

    def database_gone(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr("tests.sync_engine.notes._number_in_area", database_gone)
    with pytest.raises(sa.exc.OperationalError):
        phone.push()
    monkeypatch.undo()
    assert server.rows(notes) == []
    assert [r["status"] for r in phone.push()["results"]] == ["applied", "applied"]
