"""Issuers' signing keys: made, encrypted at rest, rotated, and published as a JWK Set.

The private halves are encrypted with AES-256-GCM under CERTIFICATE_KEYS_SECRET (the kid
as associated data, so a ciphertext cannot be moved to another key's row). A secret that
is missing or wrong while keys exist stops the app at start-up: a new key made silently
would orphan every certificate already issued.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask
from sqlalchemy import inspect, select
from sqlalchemy.exc import DBAPIError

from backend.certificates.models import KEY_CURRENT, KEY_RETIRED, SigningKey
from backend.common.files import load_or_create_file
from backend.common.settings import app_state, instance_path, setting
from backend.common.time import utcnow
from backend.errors import Unavailable
from backend.extensions import db

SECRET_FILE = "certificate_keys_secret"
SECRET_NAME = "CERTIFICATE_KEYS_SECRET"


class SigningSecretError(RuntimeError):
    """The secret that opens the signing keys is missing or wrong: the app must not start."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- the secret ---------------------------------------------------------------------------

def _decode_secret(text: str, where: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise SigningSecretError(f"{where} must be 32 random bytes in base64 (e.g. python -c "
                                 "'import secrets, base64; print(base64.b64encode("
                                 "secrets.token_bytes(32)).decode())').")
    return raw


def _load_secret() -> bytes:
    configured = setting(SECRET_NAME)
    if configured:
        return _decode_secret(configured, SECRET_NAME)
    path = Path(instance_path()) / SECRET_FILE
    if path.exists():
        return _decode_secret(path.read_text(), str(path))
    if db.session.scalar(select(SigningKey.id).limit(1)) is not None:
        raise SigningSecretError(f"Signing keys exist but {SECRET_NAME} is not set (nor {path}): "
                                 "set the secret they were encrypted with.")
    if setting("ENVIRONMENT") == "production":
        raise Unavailable(f"Set {SECRET_NAME} before making signing keys.",
                          code="signing_secret_missing")
    # No key exists yet, so nothing can be orphaned: the embedded default makes its own.
    made = load_or_create_file(path, lambda: base64.b64encode(secrets.token_bytes(32)) + b"\n")
    return _decode_secret(made.decode(), str(path))


def secret() -> bytes:
    return app_state("civicgrid.certificates.secret", _load_secret)


def check_secret(app: Flask) -> None:
    """At start-up: when signing keys are stored, the secret must open them."""
    with app.app_context():
        try:
            try:
                if not inspect(db.engine).has_table(SigningKey.__tablename__):
                    return
                key = db.session.scalar(select(SigningKey).order_by(SigningKey.created_at).limit(1))
            except DBAPIError:
                return  # no database yet: the app starts and /healthz says 503
            if key is None:
                return
            try:
                _decrypt(key, secret())
            except InvalidTag as error:
                raise SigningSecretError(
                    f"{SECRET_NAME} does not open the signing keys stored in the database "
                    f"(key {key.kid}): set the secret they were encrypted with.") from error
        finally:
            db.session.remove()


# -- keys ---------------------------------------------------------------------------------

def _encrypt(pem: bytes, kid: str, key: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, pem, kid.encode())


def _decrypt(row: SigningKey, key: bytes) -> bytes:
    blob = row.private_key_encrypted
    return AESGCM(key).decrypt(blob[:12], blob[12:], row.kid.encode())


def new_key(issuer_id) -> SigningKey:
    """A new current key for this issuer (added, not committed)."""
    private = ec.generate_private_key(ec.SECP256R1())
    numbers = private.public_key().public_numbers()
    kid = b64url(secrets.token_bytes(8))
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    row = SigningKey(issuer_id=issuer_id, kid=kid, status=KEY_CURRENT,
                     public_x=b64url(numbers.x.to_bytes(32, "big")),
                     public_y=b64url(numbers.y.to_bytes(32, "big")),
                     private_key_encrypted=_encrypt(pem, kid, secret()))
    db.session.add(row)
    _private_keys()[kid] = private
    return row


def rotate(issuer) -> SigningKey:
    """Retire the issuer's current key (it keeps verifying what it signed) and make a new
    one; the caller locks the issuer and commits."""
    now = utcnow()
    for key in issuer.keys:
        if key.status == KEY_CURRENT:
            key.status, key.retired_at = KEY_RETIRED, now
    db.session.flush()  # the one-current-key index sees the old one retired first
    return new_key(issuer.id)


def _private_keys() -> dict:
    return app_state("civicgrid.certificates.private_keys", dict)


def private_key(row: SigningKey) -> ec.EllipticCurvePrivateKey:
    """The decrypted key, kept in this process once opened."""
    keys = _private_keys()
    found = keys.get(row.kid)
    if found is None:
        found = keys[row.kid] = serialization.load_pem_private_key(_decrypt(row, secret()), None)
    return found


def public_key(row: SigningKey) -> ec.EllipticCurvePublicKey:
    cache = app_state("civicgrid.certificates.public_keys", dict)
    found = cache.get((row.public_x, row.public_y))
    if found is None:
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(b64url_decode(row.public_x), "big"),
            int.from_bytes(b64url_decode(row.public_y), "big"), ec.SECP256R1())
        found = cache[(row.public_x, row.public_y)] = numbers.public_key()
    return found


def jwk(row: SigningKey) -> dict:
    return {"kty": "EC", "crv": "P-256", "x": row.public_x, "y": row.public_y, "kid": row.kid,
            "alg": "ES256", "use": "sig", "iss": row.issuer.code, "issuer_name": row.issuer.name,
            "status": row.status, "created_at": row.created_at.isoformat(),
            "retired_at": row.retired_at.isoformat() if row.retired_at else None}
