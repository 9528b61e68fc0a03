"""A worker on a post (岗位) is judged against the post's circle on sync, and the phone
pulls the post and its own assignment to show the same distance offline."""

from __future__ import annotations

import pytest
from geopy.distance import geodesic

from backend.extensions import db as _db
from backend.posts import services as posts
from tests.factories import G1
from tests.helpers import punch_fields, push_one
from tests.sync_client import Phone

RADIUS_M = 80.0


@pytest.fixture
def posted(field_city):
    """w1 holds a post of 80 m at the centre of their grid; w2 (next grid) holds none."""
    post = posts.add_post(region=field_city.city["D1S1C1G1"], name="学校门口",
                          lat=G1[0], lon=G1[1], radius_m=RADIUS_M)
    posts.put_assignment(post, field_city.w1.id)
    _db.session.commit()
    field_city.post = post
    return field_city


def north_of_centre(metres: float) -> tuple[float, float]:
    return geodesic(meters=metres).destination(G1, bearing=0)[:2]


def test_a_punch_inside_the_post_circle_is_inside_by_the_post(client, posted):
    record = push_one(client, Phone(client, "w1"), punch_fields(north_of_centre(50)))["record"]
    assert (record["inside_fence"], record["distance_m"], record["fence_kind"]) == (True, 0, "post")


def test_a_punch_on_the_circles_edge_is_inside(client, posted):
    record = push_one(client, Phone(client, "w1"), punch_fields(north_of_centre(RADIUS_M)))["record"]
    assert record["inside_fence"] is True and record["distance_m"] == 0


def test_a_punch_in_the_grid_but_off_the_post_is_outside_by_its_distance_to_the_circle(
        client, posted):
    # 300 m from the centre: well inside the grid (a 0.01° cell), 220 m beyond the circle.
    result = push_one(client, Phone(client, "w1"), punch_fields(north_of_centre(300), reason="巡查中"))
    assert result["status"] == "applied"
    record = result["record"]
    assert (record["inside_fence"], record["fence_kind"], record["reason"]) == (False, "post", "巡查中")
    assert record["distance_m"] == pytest.approx(300 - RADIUS_M, abs=0.5)


def test_poor_accuracy_on_a_post_is_flagged_not_overruled(client, posted):
    record = push_one(client, Phone(client, "w1"), punch_fields(north_of_centre(10), accuracy_m=120))["record"]
    assert record["accuracy_flagged"] is True and record["inside_fence"] is True


def test_a_worker_without_a_post_is_still_judged_by_their_grid(client, posted):
    from tests.factories import cell_center

    record = push_one(client, Phone(client, "w2"), punch_fields(cell_center(1, 0)))["record"]
    assert (record["inside_fence"], record["fence_kind"]) == (True, "grid")


def test_a_post_in_a_grid_the_worker_has_left_no_longer_fences_them(client, posted):
    from tests.factories import cell_center

    posted.w1.region_id = posted.city["D1S1C1G2"].id  # moved to the next grid, post kept
    _db.session.commit()
    record = push_one(client, Phone(client, "w1"), punch_fields(cell_center(1, 0)))["record"]
    assert (record["inside_fence"], record["fence_kind"]) == (True, "grid")


def test_the_post_and_its_assignment_reach_the_workers_phone(client, posted):
    phone = Phone(client, "w1")
    phone.pull()
    post = phone.held("posts")[str(posted.post.id)]
    assert (post["name"], post["radius_m"], post["region_id"]) == (
        "学校门口", RADIUS_M, str(posted.city["D1S1C1G1"].id))
    assert [a["post_id"] for a in phone.held("post_assignments").values()] == [str(posted.post.id)]


def test_workers_of_other_grids_do_not_pull_the_post(client, posted):
    phone = Phone(client, "w2")
    phone.pull()
    assert phone.held("posts") == {} and phone.held("post_assignments") == {}


def test_unassigning_removes_the_assignment_from_the_phone(client, posted):
    from backend.common.auth import RegionScope

    phone = Phone(client, "w1")
    phone.pull()
    posts.unassign_worker(RegionScope(everything=True), posted.post.id, posted.w1.id)
    changes = phone.pull()
    assert [(c["collection"], c.get("deleted")) for c in changes] == [("post_assignments", True)]
    assert phone.held("post_assignments") == {} and str(posted.post.id) in phone.held("posts")


def test_phones_cannot_write_posts(client, posted):
    phone = Phone(client, "w1")
    phone.update("posts", str(posted.post.id), {"radius_m": 2000})
    result = phone.push()["results"][0]
    assert result["status"] == "rejected"
