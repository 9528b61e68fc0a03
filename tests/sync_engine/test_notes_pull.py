"""Pull on the engine alone: pages, an opaque cursor that goes on where the last page
ended, each record once at its newest version, tombstones, and refusing a forged cursor or
one replayed by anyone but the user and install it was given to."""

from __future__ import annotations

import uuid

import pytest

from sync.cursor import Cursor
from sync.errors import SyncRequestError
from tests.sync_engine.notes import note


def test_a_first_pull_pages_through_everything_in_scope(server, alice, device):
    writer = device(alice)
    ids = [writer.create(note(f"note {i}", area=f"/east/lane{i}/")) for i in range(5)]
    writer.push()
    reader = device(alice)
    pages = [reader.pull_page(limit=2) for _ in range(3)]
    assert [len(p["changes"]) for p in pages] == [2, 2, 1]
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert [c["id"] for p in pages for c in p["changes"]] == ids  # in commit order
    assert set(reader.held()) == set(ids)


def test_the_cursor_brings_only_what_changed_since(server, alice, device):
    writer = device(alice)
    first, second = writer.create(note("first")), writer.create(note("second"))
    writer.push()
    reader = device(alice)
    reader.pull()
    writer.pull()
    writer.update(second, {"body": "seen again"})
    writer.push()
    changes = reader.pull()
    assert [(c["id"], c["version"]) for c in changes] == [(second, 2)]
    assert reader.held()[second]["body"] == "seen again"
    assert reader.held()[first]["version"] == 1
    assert reader.pull() == []  # nothing new


def test_a_record_changed_twice_comes_once_at_its_newest_version(server, alice, device):
    writer = device(alice)
    note_id = writer.create(note("v1"))
    writer.update(note_id, {"title": "v2"}, base_version=1)
    writer.update(note_id, {"title": "v3"}, base_version=2)
    writer.push()
    changes = device(alice).pull()
    assert [(c["id"], c["version"], c["record"]["title"]) for c in changes] == [(note_id, 3, "v3")]


def test_a_delete_reaches_a_device_that_holds_the_record_as_a_tombstone(server, alice, device):
    writer, reader = device(alice), device(alice)
    kept, gone = writer.create(note("kept")), writer.create(note("gone"))
    writer.push()
    reader.pull()
    writer.pull()
    writer.delete(gone)
    writer.push()
    changes = reader.pull()
    assert changes == [{"collection": "notes", "id": gone, "version": 2, "deleted": True}]
    assert set(reader.held()) == {kept}


def test_a_first_pull_after_a_delete_does_not_bring_the_tombstone(server, alice, device):
    writer = device(alice)
    kept, gone = writer.create(note("kept")), writer.create(note("gone"))
    writer.push()
    writer.pull()
    writer.delete(gone)
    writer.push()
    changes = device(alice).pull()
    assert [c["id"] for c in changes] == [kept]


def test_pull_tells_the_device_its_last_applied_mid(server, alice, device):
    phone = device(alice)
    phone.create(note())
    phone.create(note("another"))
    phone.push()
    phone.outbox = [{"mid": 1}, {"mid": 2}, {"mid": 3}]  # as if both answers were lost, and one more
    assert phone.pull_page()["last_mid"] == 2
    assert [m["mid"] for m in phone.outbox] == [3]


@pytest.mark.parametrize("cursor", ["nonsense", "eyJzZXEiOjB9.AAAA", ""])
def test_a_cursor_not_made_by_this_server_is_410(server, alice, cursor):
    with pytest.raises(SyncRequestError) as refused:
        server.pull(alice, "6f1c9a54-0d2e-4c8f-9b3a-1e5d7c2b4a60", cursor)
    assert (refused.value.status, refused.value.code) == (410, "cursor_unknown")


@pytest.mark.parametrize("limit", [0, 101])
def test_a_limit_outside_the_engines_range_is_400(server, alice, limit):
    with pytest.raises(SyncRequestError) as refused:
        server.pull(alice, "6f1c9a54-0d2e-4c8f-9b3a-1e5d7c2b4a60", None, limit)
    assert (refused.value.status, refused.value.code) == (400, "bad_limit")


def test_a_cursor_replayed_by_another_user_is_refused_and_tells_nothing(server, alice, boss, device):
    # The boss's cursor carries a wider scope; replayed by Alice it would make the engine
    # "remove" from her phone every record of that scope she may not see, naming them.
    bosses_phone = device(boss)
    bosses_phone.create(note("in the west", area="/west/yard/"))
    bosses_phone.push()
    bosses_phone.pull()
    with pytest.raises(SyncRequestError) as refused:
        server.pull(alice, str(uuid.uuid4()), bosses_phone.cursor)
    assert (refused.value.status, refused.value.code) == (403, "cursor_not_yours")


def test_a_cursor_replayed_by_another_install_of_the_same_user_is_refused(server, alice, device):
    first = device(alice)
    first.pull()
    with pytest.raises(SyncRequestError) as refused:
        server.pull(alice, str(uuid.uuid4()), first.cursor)
    assert (refused.value.status, refused.value.code) == (403, "cursor_not_yours")


def test_a_cursor_from_before_cursors_named_their_owner_starts_over(server, alice, device):
    phone = device(alice)
    phone.pull()
    old = server.engine.codec.encode(Cursor(seq=1, snapshot=1, scope="/east/"))
    with pytest.raises(SyncRequestError) as refused:
        server.pull(alice, phone.client_id, old)
    assert (refused.value.status, refused.value.code) == (410, "cursor_unknown")
