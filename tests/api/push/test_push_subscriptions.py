"""The server's VAPID key (made once, kept in the instance folder) and one's browsers'
push subscriptions: kept per endpoint, only to allowed push services, removed by their own."""

from __future__ import annotations

import uuid

import pytest
from py_vapid import Vapid

from backend.push import services
from backend.push.models import PushSubscription
from tests.factories import make_user
from tests.helpers import assert_json_error
from tests.push_receiver import Browser, b64url, b64url_decode

ORIGIN = "http://127.0.0.1:9"


@pytest.fixture
def people(db):
    return make_user("anna", roles=["worker"]), make_user("bo", roles=["citizen"])


def _sub(path="/push/a", origin=ORIGIN):
    return Browser(path).subscription(origin)


def test_the_key_is_made_once_and_kept(app, client, people, login_as):
    first = client.get("/api/v1/push/key", headers=login_as(people[0]))
    assert first.status_code == 200
    key = first.get_json()["public_key"]
    raw = b64url_decode(key)
    assert len(raw) == 65 and raw[0] == 4  # an uncompressed P-256 point
    assert client.get("/api/v1/push/key", headers=login_as(people[1])).get_json() == {
        "public_key": key}
    # Kept in the instance folder: a new process (the cache emptied) reads the same key.
    path = services.Path(app.instance_path) / services.KEY_FILE
    assert path.exists() and path.stat().st_mode & 0o077 == 0
    app.extensions.pop("civicgrid.push.vapid")
    assert services.public_key() == key
    assert_json_error(client.get("/api/v1/push/key"), 401)


def test_a_key_from_the_environment_wins(app, db, monkeypatch):
    mine = Vapid()
    mine.generate_keys()
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", mine.private_pem().decode())
    monkeypatch.delitem(app.extensions, "civicgrid.push.vapid", raising=False)
    try:
        assert services.public_key() == b64url(mine.public_key.public_bytes(
            services.serialization.Encoding.X962,
            services.serialization.PublicFormat.UncompressedPoint))
    finally:
        app.extensions.pop("civicgrid.push.vapid", None)


def test_subscribing_keeps_one_row_per_endpoint(client, db, people, login_as):
    anna, bo = people
    body = _sub()
    created = client.post("/api/v1/push/subscriptions", json=body, headers=login_as(anna))
    assert created.status_code == 201, created.get_json()
    out = created.get_json()
    assert out["endpoint"] == body["endpoint"] and out["last_success_at"] is None
    # The same browser again, new keys: the same row, updated. Another person signing in
    # on that browser takes it over.
    again = _sub()
    assert client.post("/api/v1/push/subscriptions", json={**again, "expirationTime": None},
                       headers=login_as(anna)).get_json()["id"] == out["id"]
    assert client.post("/api/v1/push/subscriptions", json=again,
                       headers=login_as(bo)).status_code == 201
    [row] = db.session.scalars(db.select(PushSubscription)).all()
    assert (row.user_id, row.p256dh) == (bo.id, again["keys"]["p256dh"])
    assert_json_error(client.post("/api/v1/push/subscriptions", json=body), 401)


@pytest.mark.parametrize("endpoint, code", [
    ("https://push.example.com/x", "push_endpoint_not_allowed"),
    ("http://fcm.googleapis.com/fcm/send/x", "push_endpoint_invalid"),  # http off loopback
    ("https://127.0.0.1.evil.example/x", "push_endpoint_not_allowed"),
    ("ftp://127.0.0.1/x", "push_endpoint_invalid"),
    ("not a url", "push_endpoint_invalid"),
    ("http://127.0.0.1:99999/x", "push_endpoint_invalid"),
])
def test_only_allowed_push_services(client, db, people, login_as, endpoint, code):
    body = {**_sub(), "endpoint": endpoint}
    assert_json_error(client.post("/api/v1/push/subscriptions", json=body,
                                  headers=login_as(people[0])), 422, code)
    assert db.session.scalars(db.select(PushSubscription)).all() == []


def test_the_browsers_services_are_allowed_by_default(app, client, db, people, login_as,
                                                      monkeypatch):
    from backend.config import Config

    monkeypatch.setitem(app.config, "PUSH_ALLOWED_HOSTS", Config.PUSH_ALLOWED_HOSTS)
    headers = login_as(people[0])
    for endpoint in ("https://fcm.googleapis.com/fcm/send/abc",
                     "https://updates.push.services.mozilla.com/wpush/v2/abc",
                     "https://wns2-par02p.notify.windows.com/w/?token=abc",
                     "https://web.push.apple.com/abc"):
        assert client.post("/api/v1/push/subscriptions", json={**_sub(), "endpoint": endpoint},
                           headers=headers).status_code == 201, endpoint
    for endpoint in ("https://notify.windows.com.evil.example/x", ORIGIN + "/push/a"):
        assert_json_error(client.post("/api/v1/push/subscriptions",
                                      json={**_sub(), "endpoint": endpoint}, headers=headers), 422)


@pytest.mark.parametrize("keys", [
    {"p256dh": "AAAA", "auth": b64url(bytes(16))},
    {"p256dh": b64url(b"\x04" + bytes(64)), "auth": b64url(bytes(16))},  # not on the curve
    {"auth": b64url(bytes(16))},
    {"p256dh": None, "auth": b64url(bytes(16))},
    "keys",
])
def test_bad_keys_are_refused(client, db, people, login_as, keys):
    good = _sub()
    if isinstance(keys, dict) and "auth" in keys and "p256dh" not in keys:
        body = {**good, "keys": keys}
    elif keys == "keys":
        body = {**good, "keys": {**good["keys"], "auth": b64url(bytes(8))}}
    else:
        body = {**good, "keys": keys}
    assert_json_error(client.post("/api/v1/push/subscriptions", json=body,
                                  headers=login_as(people[0])), 422)


def test_only_ones_own_subscription_is_deleted(client, db, people, login_as):
    anna, bo = people
    made = client.post("/api/v1/push/subscriptions", json=_sub(),
                       headers=login_as(anna)).get_json()
    assert_json_error(client.delete(f"/api/v1/push/subscriptions/{made['id']}",
                                    headers=login_as(bo)), 404)
    assert_json_error(client.delete(f"/api/v1/push/subscriptions/{uuid.uuid4()}",
                                    headers=login_as(anna)), 404)
    assert client.delete(f"/api/v1/push/subscriptions/{made['id']}",
                         headers=login_as(anna)).status_code == 204
    assert db.session.scalars(db.select(PushSubscription)).all() == []
