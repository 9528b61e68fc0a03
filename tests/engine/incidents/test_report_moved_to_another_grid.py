"""A case belongs to the grid its pin is in. A pin moved into another grid moves the case:
it leaves the phones that saw it only through the old grid (a `reason: scope` removal) and
reaches the new grid's, while its reporter keeps it and its code stays."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.incidents.models import Report
from tests.factories import G1, G2, G3
from tests.helpers import report_fields
from tests.sync_client import Phone


def scope_removals(changes: list[dict]) -> set[str]:
    return {c["id"] for c in changes if c.get("deleted") and c.get("reason") == "scope"}


def reported_in_w1s_grid_by_w2(client) -> tuple[Phone, str]:
    """A case in w1's grid, reported by w2: w1's phone holds it through the grid alone."""
    reporter = Phone(client, "w2")
    rid = reporter.create("reports", report_fields(G1))
    reporter.push()
    reporter.pull()
    return reporter, rid


def move_pin(phone: Phone, rid: str, point) -> dict:
    lat, lon = point
    phone.update("reports", rid, {"lat": lat, "lon": lon})
    return phone.push()["results"][-1]


def test_a_case_moved_to_another_grid_leaves_the_old_grids_phones_and_reaches_the_new(
        client, field_city, db):
    reporter, rid = reported_in_w1s_grid_by_w2(client)
    old_grid, street, new_grid = Phone(client, "w1"), Phone(client, "boss"), Phone(client, "w3")
    for phone in (old_grid, street, new_grid):
        phone.pull()
    assert rid in old_grid.held("reports") and rid in street.held("reports")
    code = reporter.held("reports")[rid]["code"]

    result = move_pin(reporter, rid, G3)  # another district, outside boss's street
    assert result["status"] == "applied", result
    assert result["record"]["grid_id"] == str(field_city.city["D2S1C1G1"].id)

    for phone in (old_grid, street):
        assert scope_removals(phone.pull()) == {rid}
        assert rid not in phone.held("reports")
    new_grid.pull()
    moved = new_grid.held("reports")[rid]
    assert moved["grid_id"] == str(field_city.city["D2S1C1G1"].id) and moved["code"] == code
    assert scope_removals(reporter.pull()) == set()  # the reporter keeps their own
    assert reporter.held("reports")[rid]["version"] == moved["version"]
    stored = db.session.scalars(select(Report).where(Report.id == uuid.UUID(rid))).one()
    assert stored.scope_path == field_city.city["D2S1C1G1"].path


def test_a_case_moved_inside_the_supervisors_street_stays_on_the_supervisors_phone(
        client, field_city):
    reporter, rid = reported_in_w1s_grid_by_w2(client)
    old_grid, street = Phone(client, "w1"), Phone(client, "boss")
    old_grid.pull()
    street.pull()
    move_pin(reporter, rid, G2)  # w2's grid, the same street
    assert scope_removals(old_grid.pull()) == {rid}
    changes = street.pull()
    assert scope_removals(changes) == set()
    assert street.held("reports")[rid]["grid_id"] == str(field_city.city["D1S1C1G2"].id)


def test_a_pin_moved_inside_its_grid_moves_no_case(client, field_city):
    reporter, rid = reported_in_w1s_grid_by_w2(client)
    old_grid = Phone(client, "w1")
    old_grid.pull()
    lat, lon = G1
    result = move_pin(reporter, rid, (lat + 0.001, lon))
    assert result["record"]["grid_id"] == str(field_city.city["D1S1C1G1"].id)
    changes = old_grid.pull()
    assert [(c["id"], c.get("deleted")) for c in changes] == [(rid, None)]
    assert old_grid.held("reports")[rid]["lat"] == lat + 0.001


def test_a_pin_moved_out_of_the_city_is_rejected_and_nothing_moves(client, field_city, db):
    reporter, rid = reported_in_w1s_grid_by_w2(client)
    result = move_pin(reporter, rid, (10.0, 10.0))
    assert result["status"] == "rejected" and result["error"]["code"] == "outside_city"
    stored = db.session.scalars(select(Report).where(Report.id == uuid.UUID(rid))).one()
    assert stored.scope_path == field_city.city["D1S1C1G1"].path and stored.version == 1


def test_a_case_moved_away_and_back_is_held_at_its_newest_version(client, field_city):
    reporter, rid = reported_in_w1s_grid_by_w2(client)
    old_grid = Phone(client, "w1")
    old_grid.pull()
    move_pin(reporter, rid, G3)
    reporter.pull()
    move_pin(reporter, rid, G1)
    reporter.pull()
    old_grid.pull()
    assert old_grid.held("reports")[rid] == reporter.held("reports")[rid]
    assert old_grid.held("reports")[rid]["version"] == 3


def test_a_fresh_install_of_the_old_grid_never_hears_of_the_case(client, field_city):
    reporter, rid = reported_in_w1s_grid_by_w2(client)
    move_pin(reporter, rid, G3)
    changes = Phone(client, "w1").pull()
    assert rid not in {c["id"] for c in changes}
