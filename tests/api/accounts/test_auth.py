"""Sign-in, refresh, sign-out and the lock-out after repeated failures."""

from __future__ import annotations

import pytest

from backend.accounts.models import LoginThrottle
from tests.factories import PASSWORD, make_user


def _login(client, username, password=PASSWORD, **kwargs):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password}, **kwargs)


def test_login_returns_tokens_and_the_user(client, city):
    make_user("worker9", roles=["worker"], region=city["D1S1C1G1"])
    response = _login(client, "worker9")
    assert response.status_code == 200
    body = response.get_json()
    assert body["access_token"] and body["refresh_token"] and body["token_type"] == "Bearer"
    assert body["user"]["username"] == "worker9"
    assert body["user"]["roles"] == ["worker"]
    assert body["user"]["region_id"] == str(city["D1S1C1G1"].id)


def test_username_is_case_insensitive(client, db):
    make_user("alice")
    assert _login(client, "  ALICE ").status_code == 200


@pytest.mark.parametrize("username,password", [("alice", "wrong password"), ("nobody", PASSWORD)])
def test_bad_credentials_are_401_with_one_code(client, db, username, password):
    make_user("alice")
    response = _login(client, username, password)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"


def test_a_body_that_is_not_json_is_400_with_no_per_field_problems(client, db):
    response = client.post("/api/v1/auth/login", data='{"username": "alice",',
                           content_type="application/json")
    assert response.status_code == 400
    error = response.get_json()["error"]
    # The documented envelope: `fields`, when given, maps field names to their problems.
    assert error["code"] == "malformed_json" and "fields" not in error


def test_disabled_account_cannot_sign_in(client, db):
    make_user("alice", is_active=False)
    response = _login(client, "alice")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "account_inactive"


HERE = "pair:alice@127.0.0.1"  # the throttle of alice signing in from the test client's address
ELSEWHERE = {"REMOTE_ADDR": "10.0.0.9"}


def test_repeated_failures_lock_the_username_at_that_address_even_for_the_right_password(
        app, client, db):
    make_user("alice")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert _login(client, "alice", "nope nope").status_code == 401
    response = _login(client, "alice")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_attempts"
    assert int(response.headers["Retry-After"]) > 0


def test_someone_guessing_a_known_username_does_not_lock_its_owner_out(app, client, db):
    # Five wrong guesses at worker1 from one place must not keep worker1 out everywhere.
    make_user("alice")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 3):
        _login(client, "alice", "nope nope")
    assert _login(client, "alice").status_code == 429
    assert _login(client, "alice", environ_base=ELSEWHERE).status_code == 200


def test_guessing_one_username_from_many_addresses_is_slowed_but_never_locked_long(app, client, db):
    make_user("alice")
    tries = app.config["LOGIN_MAX_FAILURES_PER_USER"] + 6
    for i in range(tries):  # a different address each time: no address reaches its own limit
        _login(client, "alice", "nope nope", environ_base={"REMOTE_ADDR": f"10.1.{i // 250}.{i % 250}"})
    response = _login(client, "alice", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= app.config["LOGIN_USER_DELAY_MAX_S"] + 1


def test_lock_lifts_after_its_time_and_success_resets_the_count(app, client, db):
    from datetime import timedelta

    from backend.common.time import utcnow

    make_user("alice")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login(client, "alice", "nope nope")
    throttle = db.session.get(LoginThrottle, HERE)
    throttle.locked_until = utcnow() - timedelta(seconds=1)  # time passes
    db.session.commit()
    assert _login(client, "alice").status_code == 200
    assert db.session.get(LoginThrottle, HERE) is None


def test_lock_doubles_with_each_further_failure(app, client, db):
    make_user("alice")
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        _login(client, "alice", "nope nope")
    first = int(_login(client, "alice").headers["Retry-After"])
    throttle = db.session.get(LoginThrottle, HERE)
    db.session.refresh(throttle)
    from backend.common.time import utcnow

    throttle.locked_until = utcnow()
    db.session.commit()
    _login(client, "alice", "nope nope")
    second = int(_login(client, "alice").headers["Retry-After"])
    assert second >= 2 * first - 2


def test_one_address_trying_many_usernames_is_slowed_down(app, client, db):
    app.config["LOGIN_MAX_FAILURES_PER_IP"] = 3
    try:
        for name in ("a1", "a2", "a3"):
            _login(client, name, "whatever1")
        make_user("alice")
        assert _login(client, "alice").status_code == 429
        # Another address is not affected.
        assert _login(client, "alice", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_IP"] = 50


def test_refresh_gives_a_new_access_token(client, db):
    make_user("alice")
    tokens = _login(client, "alice").get_json()
    response = client.post("/api/v1/auth/refresh",
                           headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert response.status_code == 200
    access = response.get_json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 200 and me.get_json()["username"] == "alice"


def test_refresh_token_may_come_in_the_body(client, db):
    make_user("alice")
    tokens = _login(client, "alice").get_json()
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200


def _refresh(client, refresh_token):
    return client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {refresh_token}"})


def _rotated_long_ago(db):
    """The grace of the last rotation has run out (time passes)."""
    from datetime import timedelta

    from backend.accounts.models import AuthSession
    from backend.common.time import utcnow

    for session in db.session.query(AuthSession):
        session.rotated_at = utcnow() - timedelta(hours=1)
    db.session.commit()


def test_a_refresh_gives_a_new_refresh_token_too(client, db):
    make_user("alice")
    first = _login(client, "alice").get_json()["refresh_token"]
    answer = _refresh(client, first).get_json()
    assert answer["refresh_token"] != first
    assert _refresh(client, answer["refresh_token"]).status_code == 200


def test_the_token_just_replaced_still_works_briefly_for_a_lost_answer(client, db):
    make_user("alice")
    first = _login(client, "alice").get_json()["refresh_token"]
    lost = _refresh(client, first)  # the phone never got this answer
    assert lost.status_code == 200
    again = _refresh(client, first)
    assert again.status_code == 200
    assert _refresh(client, again.get_json()["refresh_token"]).status_code == 200


def test_a_replayed_old_refresh_token_ends_the_session(client, db):
    # Someone kept a copy of a token its owner has since replaced: both are signed out.
    make_user("alice")
    stolen = _login(client, "alice").get_json()["refresh_token"]
    owners = _refresh(client, stolen).get_json()
    _rotated_long_ago(db)
    replayed = _refresh(client, stolen)
    assert replayed.status_code == 401 and replayed.get_json()["error"]["code"] == "token_reused"
    assert _refresh(client, owners["refresh_token"]).status_code == 401
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {owners['access_token']}"})
    assert me.status_code == 401


def test_a_token_two_generations_old_is_refused_even_within_the_grace(client, db):
    make_user("alice")
    first = _login(client, "alice").get_json()["refresh_token"]
    second = _refresh(client, first).get_json()["refresh_token"]
    assert _refresh(client, second).status_code == 200
    assert _refresh(client, first).get_json()["error"]["code"] == "token_reused"


def test_a_refresh_token_from_before_rotation_rotates_once(app, client, db):
    from flask_jwt_extended import create_refresh_token, decode_token

    alice = make_user("alice")
    tokens = _login(client, "alice").get_json()
    with app.test_request_context():
        sid = decode_token(tokens["refresh_token"])["sid"]
        legacy = create_refresh_token(identity=alice, additional_claims={"sid": sid})  # no "gen"
    rotated = _refresh(client, legacy)
    assert rotated.status_code == 200
    assert _refresh(client, rotated.get_json()["refresh_token"]).status_code == 200


def test_a_short_secret_key_is_refused_at_start(tmp_path):
    from backend import create_app

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                    "SECRET_KEY": "too-short"})


def test_access_token_cannot_be_used_to_refresh(client, db):
    make_user("alice")
    tokens = _login(client, "alice").get_json()
    response = client.post("/api/v1/auth/refresh",
                           headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_invalid"


def test_logout_revokes_refresh_and_access_tokens(client, db):
    make_user("alice")
    tokens = _login(client, "alice").get_json()
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    access = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=refresh).status_code == 204
    again = client.post("/api/v1/auth/refresh", headers=refresh)
    assert again.status_code == 401 and again.get_json()["error"]["code"] == "token_revoked"
    assert client.get("/api/v1/me", headers=access).get_json()["error"]["code"] == "token_revoked"


def test_logout_of_one_device_keeps_the_other_signed_in(client, db):
    make_user("alice")
    phone = _login(client, "alice").get_json()
    desktop = _login(client, "alice").get_json()
    client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {phone['refresh_token']}"})
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {desktop['access_token']}"})
    assert me.status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not.a.jwt", "Basic abc"])
def test_me_without_a_valid_token_is_401_json(client, db, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in {"token_missing", "token_invalid"}


def test_expired_access_token_is_401_token_expired(app, client, db):
    from datetime import timedelta

    make_user("alice")
    app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(seconds=-1)
    try:
        token = _login(client, "alice").get_json()["access_token"]
    finally:
        app.config["JWT_ACCESS_TOKEN_EXPIRES"] = timedelta(minutes=15)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_expired"


def test_disabling_an_account_ends_its_sessions(client, db, login_as):
    admin = make_user("root", roles=["admin"])
    alice = make_user("alice")
    alice_headers = login_as(alice)
    response = client.patch(f"/api/v1/accounts/{alice.id}", json={"is_active": False},
                            headers=login_as(admin))
    assert response.status_code == 200
    assert client.get("/api/v1/me", headers=alice_headers).status_code == 401


def test_password_is_stored_hashed_with_argon2id(db):
    user = make_user("alice")
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_the_production_cost_is_at_least_owasps(app):
    # 19 MiB, 2 passes, 1 lane: OWASP's argon2id minimum (tests run cheaper).
    from backend.config import Config

    assert Config.PASSWORD_HASH_MEMORY_KIB >= 19 * 1024 and Config.PASSWORD_HASH_TIME_COST >= 2


def test_a_scrypt_hash_from_before_still_signs_in_and_becomes_argon2id(client, db):
    from werkzeug.security import generate_password_hash

    from backend.accounts.models import User

    user = make_user("alice")
    user.password_hash = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    db.session.commit()
    response = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    db.session.expire_all()
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$")
    assert client.post("/api/v1/auth/login", json={"username": "alice",
                                                    "password": PASSWORD}).status_code == 200


def test_a_cheaper_argon2_hash_is_replaced_at_the_next_sign_in(app, client, db):
    from argon2 import PasswordHasher

    from backend.accounts.models import User

    user = make_user("alice")
    user.password_hash = PasswordHasher(memory_cost=512, time_cost=1, parallelism=1).hash(PASSWORD)
    db.session.commit()
    assert client.post("/api/v1/auth/login", json={"username": "alice",
                                                    "password": PASSWORD}).status_code == 200
    db.session.expire_all()
    assert f"m={app.config['PASSWORD_HASH_MEMORY_KIB']}," in db.session.get(User, user.id).password_hash


def test_a_wrong_password_changes_no_hash(client, db):
    user = make_user("alice")
    before = user.password_hash
    assert client.post("/api/v1/auth/login", json={"username": "alice",
                                                    "password": "wrong"}).status_code == 401
    db.session.expire_all()
    from backend.accounts.models import User

    assert db.session.get(User, user.id).password_hash == before


def _app_behind(tmp_path, proxies: int):
    import flask_migrate

    from backend import create_app

    application = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxy.sqlite'}",
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "PASSWORD_HASH_MEMORY_KIB": 1024, "PASSWORD_HASH_TIME_COST": 1,
        "TRUSTED_PROXIES": proxies})
    with application.app_context():
        flask_migrate.upgrade()
        make_user("alice")
    return application


def _through_proxy(client, client_address: str, password: str = PASSWORD):
    # nginx connects from 127.0.0.1 and says whom it forwards.
    return _login(client, "alice", password, headers={"X-Forwarded-For": client_address},
                  environ_base={"REMOTE_ADDR": "127.0.0.1"})


def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(tmp_path):
    application = _app_behind(tmp_path, proxies=1)
    client = application.test_client()
    for _ in range(application.config["LOGIN_MAX_FAILURES"]):
        assert _through_proxy(client, "203.0.113.7", "nope nope").status_code == 401
    assert _through_proxy(client, "203.0.113.7").status_code == 429
    assert _through_proxy(client, "198.51.100.20").status_code == 200


def test_without_trusted_proxies_a_forwarded_address_is_not_believed(tmp_path):
    application = _app_behind(tmp_path, proxies=0)
    client = application.test_client()
    for i in range(application.config["LOGIN_MAX_FAILURES"]):
        _through_proxy(client, f"203.0.113.{i}", "nope nope")  # a forger changing the header
    assert _through_proxy(client, "198.51.100.20").status_code == 429
