"""GET /api/v1/me and changing one's own password."""

from __future__ import annotations

from tests.factories import PASSWORD, make_user


def test_me_shows_a_workers_grid_and_its_path_from_the_city(client, city, login_as):
    grid = city["D2S1C2G1"]
    worker = make_user("w1", roles=["worker"], region=grid, display_name="张伟")
    body = client.get("/api/v1/me", headers=login_as(worker)).get_json()
    assert body["id"] == str(worker.id)
    assert body["roles"] == ["worker"]
    assert body["display_name"] == "张伟"
    assert body["region_id"] == str(grid.id)
    assert [r["code"] for r in body["region"]["path"]] == ["C", "D2", "D2S1", "D2S1C2", "D2S1C2G1"]
    assert body["region"]["level"] == "grid"


def test_me_of_a_citizen_has_no_region(client, db, login_as):
    body = client.get("/api/v1/me", headers=login_as(make_user("c1"))).get_json()
    assert body["roles"] == ["citizen"] and body["region_id"] is None and body["region"] is None


def test_a_person_may_hold_several_roles(client, city, login_as):
    user = make_user("both", roles=["supervisor", "citizen"], region=city["D1"])
    assert client.get("/api/v1/me", headers=login_as(user)).get_json()["roles"] == ["citizen", "supervisor"]


def test_changing_my_password_signs_out_my_other_devices(client, db, login_as):
    alice = make_user("alice")
    other_device = login_as(alice)
    this_device = login_as(alice)
    response = client.post("/api/v1/me/password", headers=this_device,
                           json={"current_password": PASSWORD, "new_password": "a new secret 7"})
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=this_device).status_code == 200
    assert client.get("/api/v1/me", headers=other_device).status_code == 401
    assert login_as("alice", "a new secret 7")


def test_changing_my_password_needs_the_current_one(client, db, login_as):
    response = client.post("/api/v1/me/password", headers=login_as(make_user("alice")),
                           json={"current_password": "not it at all", "new_password": "a new secret 7"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "invalid_credentials"


def test_wrong_current_passwords_count_as_failed_sign_ins_and_lock(client, app, db, login_as):
    # A stolen session is no way around the lock-out to guess the password.
    headers = login_as(make_user("alice"))
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = client.post("/api/v1/me/password", headers=headers,
                               json={"current_password": "a guess", "new_password": "a new secret 7"})
        assert response.status_code == 403
    locked = client.post("/api/v1/me/password", headers=headers,
                         json={"current_password": PASSWORD, "new_password": "a new secret 7"})
    assert locked.status_code == 429 and locked.get_json()["error"]["code"] == "too_many_attempts"
    signing_in = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert signing_in.status_code == 429


def test_a_short_new_password_is_refused(client, db, login_as):
    response = client.post("/api/v1/me/password", headers=login_as(make_user("alice")),
                           json={"current_password": PASSWORD, "new_password": "short"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "weak_password"
