"""Push on the engine alone: exactly once, the first result for a duplicate, a gap stops the
batch, and a push is one transaction with its "mid applied" marks."""

from __future__ import annotations

import uuid

import pytest

from sync.errors import SyncRequestError
from tests.sync_engine.notes import clients, note, notes, results


def test_a_new_note_is_applied_with_its_server_fields(server, alice, device):
    phone = device(alice)
    note_id = phone.create(note(body="by the school"))
    body = phone.push()
    assert body["last_mid"] == 1
    [result] = body["results"]
    assert (result["mid"], result["status"], result["id"], result["version"]) == (1, "applied", note_id, 1)
    record = result["record"]
    assert record["author_id"] == str(alice.user_id) and record["number"] == 1
    assert (record["title"], record["body"], record["area"]) == ("Broken bench", "by the school", "/east/lane/")
    assert record["updated_at"] == "2026-11-22T08:00:01Z" and record["deleted"] is False


def test_a_column_default_fills_a_field_the_client_left_out(server, alice, device):
    phone = device(alice)
    phone.create(note())
    [result] = phone.push()["results"]
    assert result["record"]["body"] == ""
    assert [row["body"] for row in server.rows(notes)] == [""]


def test_the_same_batch_twice_applies_once_and_returns_the_first_results(server, alice, device):
    phone = device(alice)
    first_id = phone.create(note("one"))
    phone.create(note("two"))
    batch = list(phone.outbox)
    first = phone.push(mutations=batch)
    again = phone.push(mutations=batch)
    assert again["last_mid"] == 2
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    originals = [r["original"] for r in again["results"]]
    assert originals == [{k: v for k, v in r.items() if k != "record"} for r in first["results"]]
    assert again["results"][0]["record"] == first["results"][0]["record"]
    assert again["results"][0]["id"] == first_id
    assert len(server.rows(notes)) == 2


def test_a_duplicate_shows_the_record_as_it_is_now(server, alice, device):
    phone = device(alice)
    note_id = phone.create(note("first title"))
    batch = list(phone.outbox)
    phone.push()
    phone.update(note_id, {"title": "second title"})
    phone.push()
    [again] = phone.push(mutations=batch)["results"]
    assert again["status"] == "duplicate" and again["original"]["version"] == 1
    assert again["version"] == 2 and again["record"]["title"] == "second title"


def test_a_gap_stops_the_batch_at_the_last_applied_mid(server, alice, device):
    phone = device(alice)
    for title in ("one", "two", "three"):
        phone.create(note(title))
    body = phone.push(mutations=[phone.outbox[0], phone.outbox[2]])
    assert body["last_mid"] == 1 and [r["mid"] for r in body["results"]] == [1]
    assert [row["title"] for row in server.rows(notes)] == ["one"]
    body = phone.push()  # the device sends again from last_mid + 1
    assert body["last_mid"] == 3 and [r["mid"] for r in body["results"]] == [2, 3]
    assert sorted(row["title"] for row in server.rows(notes)) == ["one", "three", "two"]


def test_a_push_that_never_commits_leaves_nothing_and_its_retry_applies_once(
        server, database, alice, device):
    phone = device(alice)
    phone.create(note("one"))
    phone.create(note("two"))
    with database.connect() as conn:  # the server dies before COMMIT
        body = server.engine.push(conn, alice, {"client_id": phone.client_id,
                                                "mutations": phone.outbox}, server.tick())
        assert body["last_mid"] == 2
        conn.rollback()
    assert server.rows(notes) == [] and server.rows(results) == []
    body = phone.push()
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    assert len(server.rows(notes)) == 2
    assert [row["last_mid"] for row in server.rows(clients)] == [2]


def test_each_applied_mid_keeps_its_first_result_without_the_record(server, alice, device):
    phone = device(alice)
    phone.create(note())
    phone.push()
    [stored] = server.rows(results)
    assert stored["mid"] == 1 and str(stored["client_id"]) == phone.client_id
    assert stored["result"]["status"] == "applied" and "record" not in stored["result"]


def test_another_users_client_id_is_refused_whole(server, alice, bob, device):
    mine = device(alice)
    mine.create(note())
    mine.push()
    thief = device(bob, client_id=mine.client_id)
    thief.create(note(area="/west/yard/"))
    with pytest.raises(SyncRequestError) as refused:
        thief.push()
    assert (refused.value.status, refused.value.code) == (403, "client_not_yours")
    assert len(server.rows(notes)) == 1


@pytest.mark.parametrize("body", [
    {"client_id": "not-a-uuid", "mutations": []},
    {"client_id": str(uuid.uuid4()), "mutations": [{"mid": 1}]},
    {"client_id": str(uuid.uuid4()), "mutations": [], "surprise": True},
])
def test_a_malformed_push_is_refused_whole(server, alice, body):
    with pytest.raises(SyncRequestError) as refused:
        server.push(alice, body)
    assert (refused.value.status, refused.value.code) == (400, "malformed_push")
    assert server.rows(clients) == []


def test_more_mutations_than_the_engine_allows_is_413(server, alice, device):
    phone = device(alice)
    for i in range(server.engine.max_mutations + 1):
        phone.create(note(f"note {i}"))
    with pytest.raises(SyncRequestError) as refused:
        phone.push()
    assert (refused.value.status, refused.value.code) == (413, "batch_too_large")
    assert server.rows(notes) == []
