"""Rejections on the engine alone: a collection's hooks refuse a mutation (prepare_create,
can_write) and the engine refuses what no collection may take. A rejected mutation undoes
only itself, also what its hook wrote, and the ones after it go on."""

from __future__ import annotations

import uuid

import pytest

from tests.sync_engine.notes import AREA_LIMIT, area_counters, note, notes


def statuses(body: dict) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("error", {}).get("code")) for r in body["results"]]


def test_a_hook_that_wrote_then_rejected_leaves_nothing_and_the_rest_of_the_push_applies(
        server, alice, device):
    phone = device(alice)
    for i in range(AREA_LIMIT + 1):
        phone.create(note(f"lane note {i}", area="/east/lane/"))
    other = phone.create(note("square note", area="/east/square/"))
    body = phone.push()
    assert statuses(body) == [("applied", None)] * AREA_LIMIT + [("rejected", "area_full"), ("applied", None)]
    assert body["last_mid"] == AREA_LIMIT + 2 and phone.outbox == []
    # The fourth note's number was taken, then given back with the rest of its mutation.
    counts = {row["area"]: row["last_number"] for row in server.rows(area_counters)}
    assert counts == {"/east/lane/": AREA_LIMIT, "/east/square/": 1}
    assert body["results"][-1]["record"]["number"] == 1 and body["results"][-1]["id"] == other
    assert len(server.rows(notes)) == AREA_LIMIT + 1


def test_a_note_outside_the_users_area_is_rejected_by_the_collection(server, alice, device):
    phone = device(alice)
    phone.create(note(area="/west/yard/"))
    assert statuses(phone.push()) == [("rejected", "outside_area")]
    assert server.rows(notes) == [] and server.rows(area_counters) == []


@pytest.mark.parametrize("op", ["update", "delete"])
def test_only_the_author_may_change_a_note_even_one_the_boss_sees(server, alice, boss, device, op):
    phone, office = device(alice), device(boss)
    note_id = phone.create(note())
    phone.push()
    office.pull()
    assert note_id in office.held()
    if op == "update":
        office.update(note_id, {"title": "the boss's title"})
    else:
        office.delete(note_id)
    assert statuses(office.push()) == [("rejected", "forbidden")]
    [row] = server.rows(notes)
    assert (row["title"], row["version"], row["deleted"]) == ("Broken bench", 1, False)


def test_a_note_out_of_the_users_sight_is_not_found(server, alice, bob, device):
    phone = device(alice)
    note_id = phone.create(note())
    phone.push()
    intruder = device(bob)
    intruder.update(note_id, {"title": "mine now"})
    assert statuses(intruder.push()) == [("rejected", "not_found")]


@pytest.mark.parametrize("collection,fields,code", [
    ("nonsense", {"a": 1}, "unknown_collection"),
    ("areas", {"name": "a new area"}, "read_only"),
    ("notes", note(number=9), "server_owned_field"),
    ("notes", note(author_id=str(uuid.uuid4())), "server_owned_field"),
    ("notes", note(version=3), "server_owned_field"),
    ("notes", note(colour="red"), "unknown_field"),
    ("notes", note(title=""), "invalid_fields"),
    ("notes", note(area="east"), "invalid_fields"),
    ("notes", {"title": "no area"}, "invalid_fields"),
])
def test_what_no_collection_takes_is_rejected_by_the_engine(server, alice, device, collection, fields, code):
    phone = device(alice)
    phone.create(fields, collection=collection)
    phone.create(note("after it"))
    assert statuses(phone.push()) == [("rejected", code), ("applied", None)]
    assert [row["title"] for row in server.rows(notes)] == ["after it"]
