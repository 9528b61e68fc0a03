"""The demo city's post (岗位): worker3 holds 学校门口, 80 m inside their grid."""

from __future__ import annotations

from tests.sync_client import Phone


def test_worker3_holds_the_school_gate_post_in_their_own_grid(client, demo, demo_login):
    posts = client.get("/api/v1/attendance/posts", headers=demo_login("supervisor")).get_json()
    [post] = posts["items"]
    assert (post["name"], post["radius_m"]) == ("学校门口", 80)
    assert [w["username"] for w in post["workers"]] == ["worker3"]
    me = client.get("/api/v1/me", headers=demo_login("worker3")).get_json()
    assert post["region_id"] == me["region_id"]


def test_worker3s_phone_pulls_the_post_and_worker1s_does_not(app, client, demo):
    worker3 = Phone(client, "worker3", app.config["DEMO_PASSWORD"])
    worker3.pull()
    assert [p["name"] for p in worker3.held("posts").values()] == ["学校门口"]
    assert len(worker3.held("post_assignments")) == 1
    worker1 = Phone(client, "worker1", app.config["DEMO_PASSWORD"])
    worker1.pull()
    assert worker1.held("posts") == {}
