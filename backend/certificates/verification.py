"""Checking a certificate's QR online, and what verifiers need to check offline: the JWK
Set of issuer keys and each issuer's signed status list (docs/CERTIFICATES.md)."""

from __future__ import annotations

import gzip
import json
import time
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from sqlalchemy import exists, or_, select

from backend.accounts.services import window_counter
from backend.certificates import keys, qr
from backend.certificates.issuance import current_key
from backend.certificates.models import (
    KEY_CURRENT,
    REVOKED,
    SUSPENDED,
    USE_VERIFY,
    VALID,
    Certificate,
    CertificateIssuer,
    CertificateType,
    CertificateUse,
    SigningKey,
)
from backend.common.settings import process_cache, setting
from backend.common.time import utcnow
from backend.departments.models import Department
from backend.errors import TooManyRequests
from backend.extensions import db

# A QR's iat may be this far ahead of our clock (a verifier's clock is never exact).
CLOCK_SKEW = timedelta(minutes=5)
# Status lists are at least this many bits, so an index does not single out its holder.
STATUS_LIST_MIN_BITS = 131_072
VERIFY_WINDOW_S = 60


# -- verdicts -------------------------------------------------------------------------------

def verdict(text: str, now: datetime | None = None) -> tuple[dict, Certificate | None]:
    """{"valid", "reason", "certificate"} for a QR text, and the stored certificate when the
    signature holds. Reasons and their order are the offline verifier's."""
    now = now or utcnow()
    if len(text) > qr.MAX_QR_CHARS:
        return _answer("oversize"), None
    try:
        signed = qr.parse(text.strip())
    except qr.Malformed:
        return _answer("malformed"), None
    key = db.session.scalar(select(SigningKey).where(SigningKey.kid == signed.kid))
    if key is None:
        return _answer("unknown_key"), None
    # A key speaks only for its own issuer.
    if key.issuer.code != signed.claims.issuer or not signed.verifies_with(keys.public_key(key)):
        return _answer("bad_signature"), None
    claims = signed.claims
    row = db.session.scalar(select(Certificate).where(
        Certificate.issuer_id == key.issuer_id, Certificate.status_index == claims.status_index))
    described = describe_claims(claims, key)
    if claims.issued_at > now + CLOCK_SKEW:
        return _answer("not_yet_valid", described), row
    if claims.expires_at is not None and claims.expires_at <= now:
        return _answer("expired", described), row
    if row is not None and row.status in (REVOKED, SUSPENDED):
        return _answer(row.status, described), row
    return _answer("valid", described), row


def _answer(reason: str, certificate: dict | None = None) -> dict:
    return {"valid": reason == "valid", "reason": reason, "certificate": certificate}


def describe_claims(claims: qr.Claims, key: SigningKey) -> dict:
    ctype = db.session.scalar(select(CertificateType).where(CertificateType.code == claims.type))
    return {"type": claims.type, "type_name": ctype.name if ctype else claims.type,
            "type_name_en": ctype.name_en if ctype else "",
            "number": claims.number, "holder_name": claims.holder_name,
            "issuer": claims.issuer, "issuer_name": key.issuer.name,
            "issued_at": claims.issued_at.isoformat(),
            "expires_at": claims.expires_at.isoformat() if claims.expires_at else None,
            "kid": key.kid, "status_index": claims.status_index}


def verify(text: str, *, address: str, verifier=None, place: str | None = None) -> dict:
    """POST /certificates/verify: the verdict, and the use logged on the holder's side (调用)
    whenever the QR is genuine, whatever the verdict."""
    _count_verification(address)
    answer, row = verdict(text)
    if row is not None:
        department = (db.session.get(Department, verifier.department_id)
                      if verifier is not None and verifier.department_id else None)
        db.session.add(CertificateUse(
            certificate_id=row.id, channel=USE_VERIFY, verdict=answer["reason"],
            verifier_id=getattr(verifier, "id", None),
            verifier_name=(verifier.display_name or verifier.username) if verifier else None,
            organisation=getattr(department, "name", None), place=(place or "").strip()[:200] or None))
    db.session.commit()
    return answer


def _count_verification(address: str) -> None:
    """At most CERTIFICATE_VERIFY_MAX_PER_MINUTE per address in a fixed window; a 429 with
    Retry-After past it (the check is open to anyone)."""
    counter, wait_s = window_counter(f"verify:{address}", VERIFY_WINDOW_S,
                                     setting("CERTIFICATE_VERIFY_MAX_PER_MINUTE"), utcnow())
    if wait_s is not None:
        db.session.rollback()
        raise TooManyRequests(f"Too many checks from this address; try again in {wait_s} s.",
                              code="too_many_verifications", headers={"Retry-After": str(wait_s)},
                              details={"retry_after_s": wait_s})
    counter.failures += 1


# -- keys -----------------------------------------------------------------------------------

def jwks(now: datetime | None = None) -> dict:
    """Current keys, and retired ones while a certificate they signed has not expired."""
    now = now or utcnow()
    still_needed = exists().where(Certificate.key_id == SigningKey.id,
                                  or_(Certificate.expires_at.is_(None), Certificate.expires_at > now))
    rows = db.session.scalars(select(SigningKey).where(
        or_(SigningKey.status == KEY_CURRENT, still_needed)).order_by(SigningKey.created_at)).all()
    return {"keys": [keys.jwk(row) for row in rows]}


# -- status lists ---------------------------------------------------------------------------

def encode_bits(indexes, size: int) -> str:
    """The W3C Bitstring Status List encoding: multibase "u" + base64url of the GZIP of the
    bitstring, index 0 the left-most bit."""
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index >> 3] |= 0x80 >> (index & 7)
    return "u" + keys.b64url(gzip.compress(bytes(bits), compresslevel=9, mtime=0))


def list_size(next_index: int) -> int:
    steps = -(-max(next_index, 1) // STATUS_LIST_MIN_BITS)
    return steps * STATUS_LIST_MIN_BITS


def sign_jws(payload: dict, key: SigningKey) -> str:
    header = {"alg": "ES256", "kid": key.kid, "typ": "statuslist+jwt"}
    signing_input = ".".join(keys.b64url(json.dumps(part, separators=(",", ":")).encode())
                             for part in (header, payload))
    der = keys.private_key(key).sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{keys.b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def build_status_list(issuer: CertificateIssuer, now: datetime | None = None) -> str:
    """The issuer's signed status list token."""
    now = now or utcnow()
    rows = db.session.execute(select(Certificate.status_index, Certificate.status).where(
        Certificate.issuer_id == issuer.id, Certificate.status != VALID)).all()
    size = list_size(issuer.next_status_index)
    iat = int(now.timestamp())
    payload = {"iss": issuer.code, "iat": iat, "exp": iat + setting("CERTIFICATE_STATUS_TTL_S"),
               "size": size,
               "revocation": encode_bits((i for i, s in rows if s == REVOKED), size),
               "suspension": encode_bits((i for i, s in rows if s == SUSPENDED), size)}
    return sign_jws(payload, current_key(issuer))


def status_lists() -> dict:
    """Every issuer's list; one built is reused until the issuer's statuses change or a
    tenth of its lifetime has passed (so its `exp` stays far off)."""
    cache = process_cache().setdefault("certificates.status_lists", {})
    refresh_s = setting("CERTIFICATE_STATUS_TTL_S") / 10
    items = []
    for issuer in db.session.scalars(select(CertificateIssuer).order_by(CertificateIssuer.code)):
        kept = cache.get(issuer.id)
        if kept is None or kept[0] != issuer.status_version or time.monotonic() - kept[1] > refresh_s:
            kept = cache[issuer.id] = (issuer.status_version, time.monotonic(), build_status_list(issuer))
        items.append({"issuer": issuer.code, "token": kept[2]})
    # The QR names its type by code; a verifier shows the name offline from these.
    types = [{"code": t.code, "name": t.name, "name_en": t.name_en}
             for t in db.session.scalars(select(CertificateType).order_by(CertificateType.code))]
    return {"items": items, "types": types}
