"""Citizens signing up: the account, the answer (the sign-in's), the password rule, the phone,
and the per-address limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from backend.accounts.models import LoginThrottle, User
from backend.accounts.services import MIN_SIGNUPS_PER_ADDRESS
from backend.audit import services as audit
from backend.audit.models import AuditEvent
from backend.common.time import utcnow
from tests.factories import make_user

GOOD = "lantern 2049"


def _register(client, username="newcomer", password=GOOD, display_name="新市民", **extra):
    body = {"username": username, "password": password, "display_name": display_name, **extra}
    return client.post("/api/v1/auth/register", json=body)


def test_a_citizen_signs_up_and_is_signed_in(client, db):
    response = _register(client, username="  NewComer ", phone="+86 138 0013 8000")
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "Bearer"
    assert body["user"]["username"] == "newcomer"
    assert body["user"]["roles"] == ["citizen"] and body["user"]["region_id"] is None
    assert "phone" not in body["user"]

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.get_json()["username"] == "newcomer" and me.get_json()["display_name"] == "新市民"
    assert me.get_json()["roles"] == ["citizen"] and me.get_json()["region_id"] is None
    refreshed = client.post("/api/v1/auth/refresh",
                            headers={"Authorization": f"Bearer {body['refresh_token']}"})
    assert refreshed.status_code == 200
    # The password works for the next sign-in too.
    assert client.post("/api/v1/auth/login", json={"username": "newcomer", "password": GOOD}
                       ).status_code == 200

    user = db.session.scalar(select(User).where(User.username == "newcomer"))
    assert user.phone == "+86 138 0013 8000" and user.department_id is None
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == audit.ACCOUNT_CREATED)).all()
    assert len(events) == 1
    assert events[0].actor_id == user.id and events[0].target_id == str(user.id)
    assert events[0].details["signed_up"] is True and events[0].details["roles"] == ["citizen"]


def test_the_phone_is_optional(client, db):
    assert _register(client).status_code == 201
    assert _register(client, username="other", phone=None).status_code == 201
    assert {u.phone for u in db.session.scalars(select(User))} == {None}


@pytest.mark.parametrize("taken", ["alice", "ALICE", " Alice "])
def test_a_taken_username_is_409_whatever_its_case(client, db, taken):
    make_user("alice")
    response = _register(client, username=taken)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "username_taken"
    assert db.session.scalar(select(User).where(User.username == "alice")).display_name != "新市民"


@pytest.mark.parametrize("password,reason", [
    ("ab1", "too_short"),
    ("abcdefg", "too_short"),
    ("newcomer", "is_username"),
    ("newcomer2049", "is_username"),
    ("abcdefghij", "one_kind"),
    ("12345678901", "one_kind"),
    ("!!!!!!!!!!", "one_kind"),
    ("Password123", "common"),
    ("woaini1314", "common"),
])
def test_weak_passwords_are_422_with_the_reason(client, db, password, reason):
    response = _register(client, password=password)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "weak_password" and error["reason"] == reason
    assert error["fields"]["password"]
    assert db.session.scalar(select(User)) is None


@pytest.mark.parametrize("password", ["lantern 2049", "灯笼2049灯笼", "onlylettersbutlongenough"])
def test_mixed_or_long_passwords_are_accepted(client, db, password):
    assert _register(client, password=password).status_code == 201


@pytest.mark.parametrize("body,field", [
    ({}, "username"),
    ({"username": "newcomer", "password": GOOD}, "display_name"),
    ({"username": "newcomer", "display_name": "x"}, "password"),
    ({"username": "ab", "password": GOOD, "display_name": "x"}, "username"),
    ({"username": "newcomer", "password": GOOD, "display_name": "   "}, "display_name"),
    ({"username": "newcomer", "password": GOOD, "display_name": "x" * 101}, "display_name"),
    ({"username": 7, "password": GOOD, "display_name": "x"}, "username"),
    ({"username": "newcomer", "password": GOOD, "display_name": "x", "roles": ["admin"]},
     "roles"),
    ({"username": "newcomer", "password": GOOD, "display_name": "x", "region_id": None},
     "region_id"),
])
def test_bad_bodies_are_422_per_field(client, db, body, field):
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert db.session.scalar(select(User)) is None


def test_a_username_of_forbidden_characters_is_422(client, db):
    response = _register(client, username="new comer")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_username"


@pytest.mark.parametrize("phone", ["12345", "1" * 21, "+86-138-0013-8000", "call me", "++8613800138000",
                                   "", "138 0013 800x"])
def test_a_phone_number_is_checked_loosely(client, db, phone):
    response = _register(client, phone=phone)
    assert response.status_code == 422
    assert "phone" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("phone", ["123456", "13800138000", "+44 20 7946 0958", "1" * 20])
def test_plausible_phone_numbers_are_kept(client, db, phone):
    assert _register(client, phone=phone).status_code == 201
    assert db.session.scalar(select(User.phone)) == phone


def test_a_citizens_phone_is_not_shown_to_other_citizens_or_in_the_answers(client, db, login_as):
    body = _register(client, phone="13800138000").get_json()
    make_user("bob")
    headers = login_as("bob")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert "13800138000" not in me.get_data(as_text=True)
    assert client.get(f"/api/v1/accounts/{body['user']['id']}", headers=headers).status_code == 403


def test_a_hall_full_of_citizens_signs_up_from_one_address_then_the_limit_answers_429(
        app, client, db, monkeypatch):
    # A configured limit below the floor is raised to it.
    monkeypatch.setitem(app.config, "SIGNUP_MAX_PER_ADDRESS", 10)
    hall = {"REMOTE_ADDR": "10.1.2.3"}
    for n in range(MIN_SIGNUPS_PER_ADDRESS):
        response = client.post("/api/v1/auth/register", environ_base=hall, json={
            "username": f"hall{n}", "password": GOOD, "display_name": f"市民{n}"})
        assert response.status_code == 201, (n, response.get_json())
    response = client.post("/api/v1/auth/register", environ_base=hall, json={
        "username": "one-too-many", "password": GOOD, "display_name": "x"})
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_signups"
    assert 3500 <= int(response.headers["Retry-After"]) <= 3601
    assert db.session.scalar(select(User).where(User.username == "one-too-many")) is None
    # Other addresses are not held back, and sign-in from the hall still works.
    assert _register(client, username="elsewhere").status_code == 201
    assert client.post("/api/v1/auth/login", environ_base=hall, json={
        "username": "hall0", "password": GOOD}).status_code == 200


def test_the_window_passes_and_the_address_may_sign_up_again(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP_MAX_PER_ADDRESS", 100)
    monkeypatch.setitem(app.config, "SIGNUP_WINDOW_S", 3600)
    db.session.add(LoginThrottle(key="signup:127.0.0.1", failures=100,
                                 last_failure_at=utcnow() - timedelta(seconds=60)))
    db.session.commit()
    assert _register(client).status_code == 429
    counter = db.session.get(LoginThrottle, "signup:127.0.0.1")
    counter.last_failure_at = utcnow() - timedelta(seconds=3601)
    db.session.commit()
    assert _register(client).status_code == 201
    db.session.expire_all()
    assert db.session.get(LoginThrottle, "signup:127.0.0.1").failures == 1


def test_failed_sign_ups_do_not_count(app, client, db):
    for _ in range(3):
        assert _register(client, password="weak").status_code == 422
    assert _register(client).status_code == 201
    assert db.session.get(LoginThrottle, "signup:127.0.0.1").failures == 1

