"""Issuers' signing keys: encrypted at rest with CERTIFICATE_KEYS_SECRET, a missing or wrong
secret stops the start (never a silent new key), rotation audited, and the JWK Set keeps a
retired key while a certificate it signed is still in force."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backend import create_app
from backend.audit.models import AuditEvent
from backend.certificates import issuance, keys
from backend.certificates.models import Certificate, SigningKey
from backend.common.time import utcnow
from backend.config import Config

OTHER_SECRET = "b3RoZXItc2VjcmV0LXRoYXQtaXMtMzItYnl0ZXMtbG8="


def test_the_private_key_is_stored_encrypted(db, issuer):
    row = db.session.scalar(select(SigningKey).where(SigningKey.issuer_id == issuer.id))
    assert b"PRIVATE KEY" not in row.private_key_encrypted
    assert len(row.private_key_encrypted) > 100


def _start(app, monkeypatch, tmp_path, **config):
    # An instance folder of its own, so that only what the test gives is there.
    monkeypatch.setattr(Config, "INSTANCE_PATH", tmp_path)
    return create_app({"TESTING": True, "SECRET_KEY": app.config["SECRET_KEY"],
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **config})


def test_a_wrong_secret_stops_the_start_naming_the_variable(app, db, issuer, monkeypatch, tmp_path):
    with pytest.raises(keys.SigningSecretError, match="CERTIFICATE_KEYS_SECRET does not open"):
        _start(app, monkeypatch, tmp_path, CERTIFICATE_KEYS_SECRET=OTHER_SECRET)


def test_a_missing_secret_with_keys_stored_stops_the_start(app, db, issuer, monkeypatch, tmp_path):
    with pytest.raises(keys.SigningSecretError, match="CERTIFICATE_KEYS_SECRET is not set"):
        _start(app, monkeypatch, tmp_path, CERTIFICATE_KEYS_SECRET=None)
    assert not (tmp_path / keys.SECRET_FILE).exists()  # and no new secret was made


@pytest.mark.parametrize("secret", ["too-short", "!!!not base64!!!"])
def test_a_malformed_secret_says_what_it_must_be(app, db, issuer, monkeypatch, tmp_path, secret):
    with pytest.raises(keys.SigningSecretError, match="32 random bytes"):
        _start(app, monkeypatch, tmp_path, CERTIFICATE_KEYS_SECRET=secret)


def test_the_right_secret_starts(app, db, issuer, monkeypatch, tmp_path):
    started = _start(app, monkeypatch, tmp_path, CERTIFICATE_KEYS_SECRET=app.config["CERTIFICATE_KEYS_SECRET"])
    with started.app_context():
        started.extensions["sqlalchemy"].engine.dispose()


def test_with_no_key_yet_the_embedded_default_makes_its_secret_once(app, db, monkeypatch, tmp_path):
    started = _start(app, monkeypatch, tmp_path, CERTIFICATE_KEYS_SECRET=None)
    with started.app_context():
        made = keys.secret()
        assert (tmp_path / keys.SECRET_FILE).exists() and len(made) == 32
        started.extensions["sqlalchemy"].session.remove()
        started.extensions["sqlalchemy"].engine.dispose()


def test_a_rotation_retires_the_old_key_and_is_audited(client, db, issuer, admin, login_as):
    old = issuance.current_key(issuer).kid
    response = client.post(f"/api/v1/certificate-issuers/{issuer.id}/keys", json={},
                           headers=login_as(admin))
    assert response.status_code == 201
    new = response.get_json()["kid"]
    statuses = {k.kid: k.status for k in db.session.scalars(select(SigningKey))}
    assert statuses == {old: "retired", new: "current"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.key_rotated"))
    assert event.details == {"code": "GA", "retired_kid": old, "kid": new}


def test_the_jwk_set_has_current_keys_and_retired_ones_still_needed(client, db, issuer, issue_one, admin):
    certificate = issue_one()
    old = certificate.key.kid
    issuance.rotate_key(admin, issuer.id)
    kids = {k["kid"]: k["status"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert kids[old] == "retired" and list(kids.values()).count("current") == 1
    # Once every certificate the retired key signed has expired, it is no longer published.
    db.session.execute(update(Certificate).where(Certificate.id == certificate.id)
                       .values(expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    kids = {k["kid"] for k in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert old not in kids


def test_a_published_key_is_a_p256_jwk_without_its_private_part(client, issuer):
    (key,) = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert {key["kty"], key["crv"], key["alg"], key["use"]} == {"EC", "P-256", "ES256", "sig"}
    assert "d" not in key and key["iss"] == "GA" and key["status"] == "current"
