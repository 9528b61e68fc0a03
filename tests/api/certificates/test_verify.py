"""Verifying a certificate's QR online (POST /api/v1/certificates/verify): every verdict of
docs/CERTIFICATES.md, for genuine, forged, broken and oversize input, never a 5xx; the
holder's log of uses; the limit per address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from backend.certificates import base45, cbor, issuance, keys, qr
from backend.certificates.models import CertificateUse
from backend.common.time import utcnow
from tests.api.certificates.helpers import close_qr, open_qr, with_claims

VERIFY = "/api/v1/certificates/verify"


def verify(client, text: str, **extra) -> dict:
    response = client.post(VERIFY, json={"qr": text, **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_genuine_certificate_is_valid_and_says_what_it_certifies(client, issue_one):
    certificate = issue_one(holder_name="刘洋")
    answer = verify(client, certificate.qr)
    assert answer["valid"] is True and answer["reason"] == "valid"
    said = answer["certificate"]
    assert said["holder_name"] == "刘洋" and said["number"] == certificate.number
    assert said["type"] == "ID" and said["kid"] == certificate.key.kid
    assert said["status_index"] == certificate.status_index


def test_the_qr_text_is_short_enough_for_a_version_15_code_at_level_m(issue_one):
    certificate = issue_one(holder_name="欧阳娜娜娜娜")
    assert len(certificate.qr) < 400
    assert set(certificate.qr) <= set(base45.ALPHABET)  # the QR's alphanumeric mode


def _flip_number(claims):
    claims[qr.CLAIM_CERTIFICATE]["n"] = "999999999999999999"


def _later_expiry(claims):
    claims[qr.CLAIM_EXP] += 10 * 365 * 86400


@pytest.mark.parametrize("change", [_flip_number, _later_expiry], ids=["number", "expiry"])
def test_a_tampered_payload_has_a_bad_signature(client, issue_one, change):
    answer = verify(client, with_claims(issue_one().qr, change))
    assert answer == {"valid": False, "reason": "bad_signature", "certificate": None}


def test_a_qr_signed_by_another_key_under_a_real_kid_has_a_bad_signature(client, issue_one):
    protected, unprotected, payload, _ = open_qr(issue_one().qr)
    other = ec.generate_private_key(ec.SECP256R1())
    forged = qr.sign(qr.parse(close_qr([protected, unprotected, payload, bytes(64)])).claims,
                     keys.b64url(cbor.loads(protected)[qr.HEADER_KID]), other)
    assert verify(client, forged)["reason"] == "bad_signature"


def test_a_key_id_nobody_published_is_unknown(client, issue_one):
    signed = qr.parse(issue_one().qr)
    forged = qr.sign(signed.claims, keys.b64url(b"\x01" * 8), ec.generate_private_key(ec.SECP256R1()))
    assert verify(client, forged) == {"valid": False, "reason": "unknown_key", "certificate": None}


def test_an_issuers_key_cannot_speak_for_another_issuer(client, issue_one, issuer, db):
    """A QR claiming issuer B, signed with issuer A's real key, is not B's."""
    certificate = issue_one()
    signed = qr.parse(certificate.qr)
    claims = qr.Claims(**{**signed.claims.__dict__, "issuer": "OTHER"})
    forged = qr.sign(claims, signed.kid, keys.private_key(certificate.key))
    assert verify(client, forged)["reason"] == "bad_signature"


def test_an_expired_certificate_is_expired(client, issue_one, db):
    certificate = issue_one(expires_at=utcnow() + timedelta(seconds=2))
    signed = qr.parse(certificate.qr)
    past = qr.Claims(**{**signed.claims.__dict__, "issued_at": utcnow() - timedelta(days=400),
                        "expires_at": utcnow() - timedelta(days=1)})
    expired = qr.sign(past, signed.kid, keys.private_key(certificate.key))
    answer = verify(client, expired)
    assert answer["valid"] is False and answer["reason"] == "expired"
    assert answer["certificate"]["number"] == certificate.number


def test_a_certificate_issued_in_the_future_is_not_yet_valid(client, issue_one):
    certificate = issue_one()
    signed = qr.parse(certificate.qr)
    ahead = qr.Claims(**{**signed.claims.__dict__, "issued_at": utcnow() + timedelta(hours=1)})
    answer = verify(client, qr.sign(ahead, signed.kid, keys.private_key(certificate.key)))
    assert answer["reason"] == "not_yet_valid"


def test_a_certificate_without_expiry_never_expires(client, issue_one, id_type, db):
    id_type.validity_days = None
    db.session.commit()
    certificate = issue_one()
    assert certificate.expires_at is None and qr.parse(certificate.qr).claims.expires_at is None
    assert verify(client, certificate.qr)["valid"] is True


def test_a_revoked_certificate_is_revoked(client, issue_one, admin):
    certificate = issue_one()
    issuance.set_status(admin, certificate.id, "revoked", "伪造材料")
    answer = verify(client, certificate.qr)
    assert answer["valid"] is False and answer["reason"] == "revoked"


def test_a_suspended_certificate_is_suspended_until_reinstated(client, issue_one, admin):
    certificate = issue_one()
    issuance.set_status(admin, certificate.id, "suspended", "持证人挂失")
    assert verify(client, certificate.qr)["reason"] == "suspended"
    issuance.set_status(admin, certificate.id, "valid", "找回")
    assert verify(client, certificate.qr)["reason"] == "valid"


def test_certificates_signed_before_and_after_a_rotation_both_verify(client, issue_one, issuer, admin):
    before = issue_one()
    new_key = issuance.rotate_key(admin, issuer.id)
    after = issue_one()
    assert before.key.kid != new_key.kid == after.key.kid
    assert verify(client, before.qr)["reason"] == "valid"
    assert verify(client, after.qr)["reason"] == "valid"


def _bad_base45():
    return qr.PREFIX + "%%%%"


def _bad_zlib():
    return qr.PREFIX + base45.encode(b"\x78\x9c not deflate at all")


def _bad_cbor():
    return qr.PREFIX + base45.encode(zlib_compress(b"\xd2\x84\x5f"))


def _not_cose():
    return qr.PREFIX + base45.encode(zlib_compress(cbor.dumps(cbor.Tag(17, [b"", {}, b"", b""]))))


def _zip_bomb():
    return qr.PREFIX + base45.encode(zlib_compress(b"\x00" * 1_000_000))


def _missing_claims():
    return close_qr([cbor.dumps({1: -7, 4: b"12345678"}), {}, cbor.dumps({1: "X"}), bytes(64)])


def zlib_compress(data: bytes) -> bytes:
    import zlib

    return zlib.compress(data, 9)


@pytest.mark.parametrize("make", [
    lambda: "", lambda: "CG1:", lambda: "HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N",
    lambda: "CG1:A", _bad_base45, _bad_zlib, _bad_cbor, _not_cose, _zip_bomb, _missing_claims,
    lambda: "CG1:" + "0" * 30,
], ids=["empty", "prefix only", "another prefix", "dangling base45", "base45 alphabet", "zlib",
        "cbor", "not a COSE_Sign1", "zip bomb", "claims missing", "zeros"])
def test_malformed_input_is_malformed_never_a_server_error(client, make):
    assert verify(client, make()) == {"valid": False, "reason": "malformed", "certificate": None}


def test_uncompressed_cose_is_accepted_as_dcc_verifiers_do(client, issue_one):
    text = close_qr(open_qr(issue_one().qr), compress=False)
    assert verify(client, text)["reason"] == "valid"


def test_oversize_input_is_refused_without_decoding(client):
    assert verify(client, qr.PREFIX + "A" * 3000)["reason"] == "oversize"


@pytest.mark.parametrize("body", [{}, {"qr": 12}, {"qr": None}, {"qr": ["x"]}])
def test_a_request_without_a_qr_text_is_422(client, body):
    response = client.post(VERIFY, json=body)
    assert response.status_code == 422 and response.get_json()["error"]["code"]


def test_a_genuine_check_is_logged_for_the_holder_with_who_checked(client, db, issue_one, login_as):
    from tests import factories

    certificate = issue_one()
    official = factories.make_user(roles=("official",), display_name="市场监管局 周涛")
    verify(client, certificate.qr)  # anonymous
    client.post(VERIFY, json={"qr": certificate.qr, "place": "兰山区金雀山路"},
                headers=login_as(official))
    verify(client, with_claims(certificate.qr, _flip_number))  # forged: not the holder's use
    uses = db.session.query(CertificateUse).filter_by(certificate_id=certificate.id) \
        .order_by(CertificateUse.at).all()
    assert [(u.channel, u.verifier_name, u.place) for u in uses] == [
        ("verify", None, None), ("verify", "市场监管局 周涛", "兰山区金雀山路")]


def test_checks_from_one_address_are_limited_per_minute(app, client, issue_one):
    certificate = issue_one()
    app.config["CERTIFICATE_VERIFY_MAX_PER_MINUTE"] = 3
    try:
        answers = [client.post(VERIFY, json={"qr": certificate.qr}) for _ in range(4)]
    finally:
        app.config["CERTIFICATE_VERIFY_MAX_PER_MINUTE"] = 120
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.get_json()["error"]["code"] == "too_many_verifications"
    assert int(refused.headers["Retry-After"]) >= 1
