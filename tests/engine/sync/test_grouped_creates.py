"""Consecutive creates of a batch_creates collection (track points) are inserted together,
without a savepoint each. Whatever that way cannot undo alone (a row the database refuses, a
rejection after a hook ran SQL) makes the push start over the plain way: the other mutations
apply, that one is rejected, and nothing of it is left behind."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from backend.patrol.models import TrackPoint
from sync.engine import Engine
from tests.helpers import count_points, length_m, start_patrol, walk
from tests.sync_client import Phone


@pytest.fixture
def read_rows_calls(monkeypatch):
    """Counts the engine's up-front reads of the records a push locks (two: it started over)."""
    calls = []
    original = Engine._read_rows

    def read_rows(self, conn, mutations, *, lock):
        if lock:
            calls.append(len(mutations))
        return original(self, conn, mutations, lock=lock)

    monkeypatch.setattr(Engine, "_read_rows", read_rows)
    return calls


def point(patrol: str, fix: dict) -> dict:
    return {"patrol_id": patrol, **fix}


def statuses(results: list[dict]) -> list[tuple[str, str | None]]:
    return [(r["status"], r.get("error", {}).get("code")) for r in results]


def test_a_run_of_points_is_one_group(client, field_city, db, read_rows_calls):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    fixes = walk(6)
    for fix in fixes:
        phone.create("track_points", point(patrol, fix))
    results = phone.push()["results"]
    assert statuses(results) == [("applied", None)] * 7
    assert read_rows_calls == [7]  # no start over
    assert count_points(db, patrol) == 6
    phone.pull()
    assert phone.held("patrols")[patrol]["distance_m"] == pytest.approx(length_m(fixes), rel=1e-3)


def test_a_point_the_database_refuses_is_rejected_and_the_others_apply(
        client, field_city, db, monkeypatch, read_rows_calls):
    fixes = walk(6)
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    taken = phone.create("track_points", point(patrol, fixes[0]))
    phone.push()
    # The stored point is not seen by the push's up-front read, as if another push had
    # inserted it just after: the group's INSERT is what finds it.
    original = Engine._read_rows
    hidden = []

    def read_rows(self, conn, mutations, *, lock):
        rows = original(self, conn, mutations, lock=lock)
        key = ("track_points", uuid.UUID(taken))
        if lock and not hidden and rows.get(key) is not None:
            hidden.append(key)
            rows[key] = None
        return rows

    monkeypatch.setattr(Engine, "_read_rows", read_rows)
    ids = [phone.create("track_points", point(patrol, fixes[1])),
           phone.create("track_points", point(patrol, fixes[2])),
           phone.create("track_points", point(patrol, fixes[3]), record_id=taken),
           phone.create("track_points", point(patrol, fixes[4])),
           phone.create("track_points", point(patrol, fixes[5]))]
    body = phone.push()
    assert hidden  # the first read did hide it, and the push started over
    assert body["last_mid"] == 7
    assert statuses(body["results"]) == [("applied", None)] * 2 + [("rejected", "id_taken")] + [
        ("applied", None)] * 2
    assert count_points(db, patrol) == 5
    stored = db.session.execute(select(TrackPoint.lat, TrackPoint.lon).where(
        TrackPoint.id == uuid.UUID(taken))).one()
    assert (stored.lat, stored.lon) == (fixes[0]["lat"], fixes[0]["lon"])
    phone.pull()
    assert set(phone.held("track_points")) == set(ids)  # ids[2] is taken
    # The refused point left nothing behind, not even in the patrol's distance.
    kept = [fixes[0], fixes[1], fixes[2], fixes[4], fixes[5]]
    assert phone.held("patrols")[patrol]["distance_m"] == pytest.approx(length_m(kept), rel=1e-3)


def test_a_point_rejected_after_its_hook_ran_sql_undoes_only_itself(
        client, field_city, db, read_rows_calls):
    other = Phone(client, "w2")
    theirs = start_patrol(other)
    other.push()
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    fixes = walk(5)
    for i, fix in enumerate(fixes):
        # The middle point names w2's patrol: found (and locked) by SQL, then refused.
        phone.create("track_points", point(theirs if i == 2 else patrol, fix))
    body = phone.push()
    assert statuses(body["results"]) == [("applied", None)] * 3 + [
        ("rejected", "unknown_patrol")] + [("applied", None)] * 2
    assert read_rows_calls[1:] == [6, 6]  # w1's push started over the plain way
    assert count_points(db, patrol) == 4 and count_points(db, theirs) == 0
    phone.pull()
    kept = [fixes[0], fixes[1], fixes[3], fixes[4]]
    assert phone.held("patrols")[patrol]["distance_m"] == pytest.approx(length_m(kept), rel=1e-3)


def test_a_point_rejected_before_any_sql_needs_no_start_over(
        client, field_city, db, read_rows_calls):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    fixes = walk(5)
    for i, fix in enumerate(fixes):
        phone.create("track_points", point(patrol, {**fix, "lat": 123.0} if i == 2 else fix))
    body = phone.push()
    assert statuses(body["results"]) == [("applied", None)] * 3 + [
        ("rejected", "invalid_fields")] + [("applied", None)] * 2
    assert read_rows_calls == [6]
    assert count_points(db, patrol) == 4


def test_the_same_point_twice_in_a_group_is_created_once(client, field_city, db, read_rows_calls):
    phone = Phone(client, "w1")
    patrol = start_patrol(phone)
    fixes = walk(4)
    first = phone.create("track_points", point(patrol, fixes[0]))
    phone.create("track_points", point(patrol, fixes[1]))
    phone.create("track_points", point(patrol, fixes[0]), record_id=first)  # a retry: no change
    phone.create("track_points", point(patrol, fixes[2]), record_id=first)  # another point
    phone.create("track_points", point(patrol, fixes[3]))
    body = phone.push()
    assert statuses(body["results"]) == [("applied", None)] * 4 + [
        ("rejected", "id_taken"), ("applied", None)]
    assert [r.get("version") for r in body["results"][1:5]] == [1, 1, 1, None]
    assert read_rows_calls == [6]
    assert count_points(db, patrol) == 3
