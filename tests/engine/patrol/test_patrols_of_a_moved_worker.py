"""A patrol belongs to the grid it was walked in, and to its worker. A worker moved to
another grid keeps their own patrols on their phone; the supervisors of the old grid keep
them (on their phones and in the console's playback); the supervisors of the new grid get
the patrols walked there from then on, and none of the earlier ones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_user
from tests.helpers import start_patrol, walk
from tests.sync_client import BASE_TIME, Phone, iso

DAY = BASE_TIME.date().isoformat()  # 2026-11-22, the city day of BASE_TIME (16:00 there)


def walk_a_patrol(phone: Phone, *, start=None) -> tuple[str, list[str]]:
    patrol = start_patrol(phone)
    points = [phone.create("track_points", {"patrol_id": patrol, **p})
              for p in walk(5, **({"start": start} if start else {}))]
    phone.update("patrols", patrol, {"ended_at": iso(BASE_TIME + timedelta(minutes=5))})
    phone.push()
    return patrol, points


def scope_removals(changes: list[dict]) -> set[str]:
    return {c["id"] for c in changes if c.get("deleted") and c.get("reason") == "scope"}


@pytest.fixture
def moved(client, field_city, login_as):
    """w1 walks a patrol in their grid (street D1S1, boss's), then is moved to a grid of
    street D2S1, whose supervisor is boss2."""
    make_user("boss2", roles=["supervisor"], region=field_city.city["D2S1"])
    worker, old_street = Phone(client, "w1"), Phone(client, "boss")
    patrol, points = walk_a_patrol(worker)
    worker.pull()
    old_street.pull()
    response = client.patch(f"/api/v1/accounts/{field_city.w1.id}", headers=login_as("root"),
                            json={"region_id": str(field_city.city["D2S1C1G1"].id)})
    assert response.status_code == 200, response.get_json()
    return worker, old_street, patrol, points


def test_the_worker_keeps_their_own_patrols_on_their_phone(moved):
    worker, _old_street, patrol, points = moved
    assert scope_removals(worker.pull()) & {patrol, *points} == set()
    assert patrol in worker.held("patrols") and set(points) <= set(worker.held("track_points"))


def test_the_old_grids_supervisor_keeps_them_and_the_new_ones_never_get_them(client, moved):
    _worker, old_street, patrol, points = moved
    assert scope_removals(old_street.pull()) == set()
    assert patrol in old_street.held("patrols")
    new_street = Phone(client, "boss2")
    new_street.pull()
    assert patrol not in new_street.held("patrols")
    assert not set(points) & set(new_street.held("track_points"))


def test_a_patrol_walked_after_the_move_reaches_the_new_grids_supervisor_only(
        client, field_city, moved):
    worker, old_street, old_patrol, _points = moved
    worker.pull()
    g3 = field_city.city["D2S1C1G1"]
    new_patrol, _ = walk_a_patrol(worker, start=(g3.min_lat + 0.002, g3.min_lon + 0.001))
    new_street = Phone(client, "boss2")
    new_street.pull()
    assert set(new_street.held("patrols")) == {new_patrol}
    old_street.pull()
    assert set(old_street.held("patrols")) == {old_patrol}
    worker.pull()
    assert set(worker.held("patrols")) == {old_patrol, new_patrol}


def tracks(client, headers, worker_id):
    return client.get(f"/api/v1/patrol/tracks?worker_id={worker_id}&date={DAY}", headers=headers)


def test_the_old_grids_supervisor_still_plays_the_patrols_back(client, field_city, login_as, moved):
    _worker, _old_street, patrol, _points = moved
    response = tracks(client, login_as("boss"), field_city.w1.id)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [p["id"] for p in body["patrols"]] == [patrol]
    assert body["grid"]["code"] == "D1S1C1G1"  # where they walked, not where they work now


def test_the_new_grids_supervisor_plays_back_none_of_the_earlier_patrols(
        client, field_city, login_as, moved):
    response = tracks(client, login_as("boss2"), field_city.w1.id)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["patrols"] == []
    assert response.get_json()["grid"]["code"] == "D2S1C1G1"


def test_a_supervisor_the_worker_never_walked_for_does_not_find_them(
        client, field_city, login_as, moved):
    make_user("boss3", roles=["supervisor"], region=field_city.city["D1S2"])
    response = tracks(client, login_as("boss3"), field_city.w1.id)
    assert response.status_code == 404
