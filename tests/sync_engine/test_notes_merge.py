"""Field-level merge on the engine alone: edits of different fields on a stale version both
stay; on the same field the later edit wins and the other is kept as a conflict; a delete
wins over an edit, which is kept too. Alice edits one note offline on her phone and her
tablet (two clients)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.sync_engine.notes import BASE_TIME, conflicts, note


@pytest.fixture
def two_devices(server, alice, device):
    """Alice's phone and tablet both hold her note at version 1."""
    phone, tablet = device(alice), device(alice)
    note_id = phone.create(note("Broken bench", body="by the school"))
    phone.push()
    phone.pull()
    tablet.pull()
    return phone, tablet, note_id


def test_edits_of_different_fields_on_one_version_both_stay(server, two_devices):
    phone, tablet, note_id = two_devices
    phone.update(note_id, {"title": "Bench fixed?"})
    tablet.update(note_id, {"body": "by the school gate"})
    phone.push()
    [result] = tablet.push()["results"]
    assert (result["status"], result["version"]) == ("merged", 3)
    assert "conflict" not in result
    assert (result["record"]["title"], result["record"]["body"]) == ("Bench fixed?", "by the school gate")
    assert server.rows(conflicts) == []


@pytest.mark.parametrize("phone_at_s,tablet_at_s,winner,loser", [
    (20, 10, "phone's title", "tablet's title"),  # the tablet's edit is older: it loses
    (10, 20, "tablet's title", "phone's title"),  # the tablet's edit is newer: it wins
])
def test_the_later_edit_of_one_field_wins_and_the_other_is_kept(
        server, alice, two_devices, phone_at_s, tablet_at_s, winner, loser):
    phone, tablet, note_id = two_devices
    phone.update(note_id, {"title": "phone's title"}, client_time=BASE_TIME + timedelta(seconds=phone_at_s))
    tablet.update(note_id, {"title": "tablet's title"}, client_time=BASE_TIME + timedelta(seconds=tablet_at_s))
    phone.push()
    [result] = tablet.push()["results"]
    assert result["status"] == "merged" and result["record"]["title"] == winner
    [conflict] = result["conflict"]
    assert (conflict["kind"], conflict["field"]) == ("field", "title")
    assert (conflict["losing_value"], conflict["winning_value"]) == (loser, winner)
    [stored] = server.rows(conflicts)
    assert (stored["losing_value"], stored["winning_value"]) == (loser, winner)
    assert str(stored["record_id"]) == note_id and str(stored["client_id"]) == tablet.client_id
    assert (stored["base_version"], stored["server_version"], stored["mid"]) == (1, 2, 1)
    # Both devices end with the winner.
    phone.pull()
    tablet.pull()
    assert phone.held()[note_id]["title"] == tablet.held()[note_id]["title"] == winner


def test_a_delete_wins_over_an_edit_made_on_the_same_version_and_the_edit_is_kept(
        server, two_devices):
    phone, tablet, note_id = two_devices
    phone.delete(note_id)
    tablet.update(note_id, {"body": "still there"})
    phone.push()
    [result] = tablet.push()["results"]
    assert result["status"] == "merged" and result["record"]["deleted"] is True
    [conflict] = result["conflict"]
    assert conflict["kind"] == "delete_wins" and conflict["losing_value"] == {"body": "still there"}
    tablet.pull()
    assert note_id not in tablet.held()


def test_an_edit_on_a_base_version_the_server_never_had_is_rejected(server, two_devices):
    phone, _, note_id = two_devices
    phone.update(note_id, {"title": "from the future"}, base_version=7)
    [result] = phone.push()["results"]
    assert result["status"] == "rejected" and result["error"]["code"] == "bad_base_version"
