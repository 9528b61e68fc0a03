"""Scope on the engine alone: a device pulls the records whose audience its user's scope
covers (their area, their own, public ones), and what leaves that scope is removed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.sync_engine.notes import actor, note


def titles(device) -> set[str]:
    return {record["title"] for record in device.held().values()}


def test_each_user_pulls_their_area_their_own_notes_and_public_areas(server, alice, bob, boss, device):
    server.add_area("/east/", "East")
    server.add_area("/west/", "West")
    east, west = device(alice), device(bob)
    east.create(note("east note", area="/east/lane/"))
    west.create(note("west note", area="/west/yard/"))
    east.push()
    west.push()
    office = device(boss)
    for phone in (east, west, office):
        phone.pull()
    assert titles(east) == {"east note"} and titles(west) == {"west note"}
    assert titles(office) == {"east note", "west note"}
    for phone in (east, west, office):
        assert {a["name"] for a in phone.held("areas").values()} == {"East", "West"}


def test_an_author_keeps_their_own_note_outside_their_area(server, alice, device):
    phone = device(alice)
    note_id = phone.create(note("filed in the east"))
    phone.push()
    moved = actor("alice", area="/west/")  # the same user, now working in the west
    assert moved.user_id == alice.user_id
    later = device(moved)
    later.pull()
    assert set(later.held()) == {note_id}


def test_a_user_moved_to_another_area_loses_the_old_areas_notes_and_gets_the_new(
        server, alice, bob, device):
    carol = actor("carol", area="/east/")
    alices_phone, carols_phone, bobs_phone = device(alice), device(carol), device(bob)
    own = alices_phone.create(note("alice's own"))
    alices_phone.push()
    colleague = carols_phone.create(note("carol's"))
    carols_phone.push()
    in_new_area = bobs_phone.create(note("bob's", area="/west/yard/"))
    bobs_phone.push()
    alices_phone.pull()
    assert set(alices_phone.held()) == {own, colleague}

    alices_phone.actor = actor("alice", area="/west/")
    changes = alices_phone.pull()
    removed = [c for c in changes if c.get("reason") == "scope"]
    assert [(c["id"], c["deleted"]) for c in removed] == [(colleague, True)]
    assert set(alices_phone.held()) == {own, in_new_area}


def test_a_note_moved_out_of_an_area_leaves_the_devices_of_that_area(server, alice, device):
    carol = actor("carol", area="/east/")
    carols_phone, alices_phone = device(carol), device(alice)
    note_id = carols_phone.create(note("moving", area="/east/lane/"))
    carols_phone.push()
    alices_phone.pull()
    carols_phone.pull()
    assert note_id in alices_phone.held()
    carols_phone.update(note_id, {"area": "/west/yard/"})
    carols_phone.push()
    alices_phone.pull()
    assert note_id not in alices_phone.held()


def scope_removals(changes: list[dict]) -> list[str]:
    return [c["id"] for c in changes if c.get("deleted") and c.get("reason") == "scope"]


@pytest.fixture
def carol():
    return actor("carol", area="/east/")


def test_a_moved_note_reaches_the_new_area_and_stays_with_its_author_and_the_boss(
        server, carol, bob, boss, device):
    carols_phone, bobs_phone, office = device(carol), device(bob), device(boss)
    note_id = carols_phone.create(note("moving", area="/east/lane/"))
    carols_phone.push()
    for phone in (carols_phone, bobs_phone, office):
        phone.pull()
    carols_phone.update(note_id, {"area": "/west/yard/"})
    carols_phone.push()
    assert scope_removals(bobs_phone.pull()) == []
    assert bobs_phone.held()[note_id]["version"] == 2
    for phone in (carols_phone, office):  # the author owns it; the boss sees everything
        assert scope_removals(phone.pull()) == []
        assert phone.held()[note_id]["area"] == "/west/yard/"


def test_a_move_inside_an_area_is_an_ordinary_change(server, alice, carol, device):
    carols_phone, alices_phone = device(carol), device(alice)
    note_id = carols_phone.create(note("moving", area="/east/lane/"))
    carols_phone.push()
    alices_phone.pull()
    carols_phone.pull()
    carols_phone.update(note_id, {"area": "/east/yard/"})
    carols_phone.push()
    changes = alices_phone.pull()
    assert [(c["id"], c["version"], c.get("deleted")) for c in changes] == [(note_id, 2, None)]


def test_a_note_that_moves_away_and_back_ends_at_its_newest_version(
        server, alice, carol, device):
    carols_phone, alices_phone = device(carol), device(alice)
    note_id = carols_phone.create(note("moving", area="/east/lane/"))
    carols_phone.push()
    alices_phone.pull()
    carols_phone.pull()
    carols_phone.update(note_id, {"area": "/west/yard/"})
    carols_phone.push()
    carols_phone.pull()
    carols_phone.update(note_id, {"area": "/east/yard/", "body": "back"})
    carols_phone.push()
    changes = alices_phone.pull()
    # Back in the area before the device heard of the move: no removal, just the newest.
    assert scope_removals(changes) == []
    assert alices_phone.held()[note_id]["version"] == 3
    assert alices_phone.held()[note_id]["body"] == "back"


def test_a_device_that_heard_of_the_move_gets_the_note_back_when_it_returns(
        server, alice, carol, device):
    carols_phone, alices_phone = device(carol), device(alice)
    note_id = carols_phone.create(note("moving", area="/east/lane/"))
    carols_phone.push()
    alices_phone.pull()
    carols_phone.pull()
    carols_phone.update(note_id, {"area": "/west/yard/"})
    carols_phone.push()
    assert scope_removals(alices_phone.pull()) == [note_id]
    assert note_id not in alices_phone.held()
    carols_phone.pull()
    carols_phone.update(note_id, {"area": "/east/lane/"})
    carols_phone.push()
    alices_phone.pull()
    assert alices_phone.held()[note_id]["version"] == 3


def test_a_removal_of_a_note_the_device_never_held_is_harmless(server, alice, carol, device):
    alices_phone, carols_phone = device(alice), device(carol)
    alices_phone.pull()
    note_id = carols_phone.create(note("passing through", area="/east/lane/"))
    carols_phone.push()
    carols_phone.pull()
    carols_phone.update(note_id, {"area": "/west/yard/"})
    carols_phone.push()
    changes = alices_phone.pull()
    assert scope_removals(changes) == [note_id]
    assert alices_phone.held() == {}


def test_a_fresh_install_gets_no_removals_of_earlier_moves(server, alice, carol, device):
    carols_phone = device(carol)
    note_id = carols_phone.create(note("moving", area="/east/lane/"))
    carols_phone.push()
    carols_phone.pull()
    carols_phone.update(note_id, {"area": "/west/yard/"})
    carols_phone.push()
    assert device(alice).pull() == []


@pytest.mark.parametrize("limit", [1, 2, 3, 100])
def test_removals_and_changes_page_in_commit_order_each_once(server, alice, carol, device, limit):
    """Removals share the change log's numbering: any page size serves every change and
    every removal exactly once, in commit order."""
    carols_phone, alices_phone = device(carol), device(alice)
    lane = [carols_phone.create(note(f"lane {i}", area="/east/lane/")) for i in range(3)]
    yard = [carols_phone.create(note(f"yard {i}", area="/east/yard/")) for i in range(2)]
    carols_phone.push()
    carols_phone.pull()
    alices_phone.pull()
    carols_phone.update(lane[0], {"area": "/west/a/"})
    carols_phone.update(yard[0], {"body": "edited"})
    carols_phone.update(lane[1], {"area": "/west/b/"})
    carols_phone.push()
    carols_phone.pull()
    carols_phone.update(yard[1], {"area": "/west/c/"})
    carols_phone.update(lane[2], {"body": "edited too"})
    carols_phone.push()
    received = alices_phone.pull(limit=limit)
    assert [(c["id"], c.get("reason")) for c in received] == [
        # A push's removals come before its changes.
        (lane[0], "scope"), (lane[1], "scope"), (yard[0], None), (yard[1], "scope"),
        (lane[2], None)]
    assert set(alices_phone.held()) == {yard[0], lane[2]}
    assert alices_phone.pull(limit=limit) == []


def test_a_pull_reads_the_departures_only_when_one_is_new_to_its_cursor(
        server, database, alice, carol, device):
    carols_phone, alices_phone = device(carol), device(alice)
    note_id = carols_phone.create(note("moving", area="/east/lane/"))
    carols_phone.push()
    carols_phone.pull()
    statements: list[str] = []
    sa.event.listen(database, "before_cursor_execute",
                    lambda _c, _cur, statement, *_a: statements.append(statement))
    alices_phone.pull()
    assert not any("sync_departures" in s for s in statements)
    carols_phone.update(note_id, {"area": "/west/yard/"})
    carols_phone.push()
    statements.clear()
    assert scope_removals(alices_phone.pull()) == [note_id]
    assert any("sync_departures" in s for s in statements)
    statements.clear()
    alices_phone.pull()
    assert not any("sync_departures" in s for s in statements)
