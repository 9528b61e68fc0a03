"""The QR text of a certificate: "CG1:" + Base45(zlib(COSE_Sign1(CWT claims))) (the shape
of the EU Digital COVID Certificate; docs/CERTIFICATES.md). Signing and parsing only:
whether the key is known and the certificate still stands is the verifier's question."""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from backend.certificates import base45, cbor
from backend.certificates.keys import b64url, b64url_decode

PREFIX = "CG1:"
MAX_QR_CHARS = 2048
# The decompressed COSE message is never larger than this (a zip bomb stops here).
MAX_COSE_BYTES = 4096
COSE_SIGN1_TAG = 18
ES256 = -7
HEADER_ALG, HEADER_KID = 1, 4
CLAIM_ISS, CLAIM_EXP, CLAIM_IAT = 1, 4, 6
# Private-use CWT claim (RFC 8392: below -65536) holding the certificate itself.
CLAIM_CERTIFICATE = -65537


class Malformed(ValueError):
    """Not a certificate QR at all: the verdict is `malformed`."""


@dataclass(frozen=True)
class Claims:
    issuer: str
    type: str
    number: str
    holder_name: str
    fields_hash: bytes
    status_index: int
    issued_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class Signed:
    kid: str
    protected: bytes
    payload: bytes
    signature: bytes
    claims: Claims

    def verifies_with(self, public_key: ec.EllipticCurvePublicKey) -> bool:
        r, s = int.from_bytes(self.signature[:32], "big"), int.from_bytes(self.signature[32:], "big")
        try:
            public_key.verify(encode_dss_signature(r, s), _to_be_signed(self.protected, self.payload),
                              ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True


def fields_hash(fields: dict) -> bytes:
    """SHA-256 of the further fields as compact, key-sorted JSON (what "d" binds)."""
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).digest()


def _to_be_signed(protected: bytes, payload: bytes) -> bytes:
    return cbor.dumps(["Signature1", protected, b"", payload])


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def sign(claims: Claims, kid: str, private_key: ec.EllipticCurvePrivateKey) -> str:
    """The QR text for these claims, signed ES256 with this key."""
    certificate = {"t": claims.type, "n": claims.number, "h": claims.holder_name,
                   "d": claims.fields_hash, "s": claims.status_index}
    payload_map = {CLAIM_ISS: claims.issuer, CLAIM_IAT: _unix(claims.issued_at)}
    if claims.expires_at is not None:
        payload_map[CLAIM_EXP] = _unix(claims.expires_at)
    payload_map[CLAIM_CERTIFICATE] = certificate
    payload = cbor.dumps(payload_map)
    protected = cbor.dumps({HEADER_ALG: ES256, HEADER_KID: b64url_decode(kid)})
    der = private_key.sign(_to_be_signed(protected, payload), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    message = cbor.dumps(cbor.Tag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return PREFIX + base45.encode(zlib.compress(message, 9))


def _inflate(data: bytes) -> bytes:
    if data[:1] == bytes([0xD2]):  # tag 18 as it stands: not compressed
        return data
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_COSE_BYTES + 1)
    except zlib.error as error:
        raise Malformed("not zlib") from error
    if len(out) > MAX_COSE_BYTES or not inflater.eof or inflater.unused_data:
        raise Malformed("zlib stream too large, truncated or followed by more")
    return out


def _time(value, name: str) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2 ** 34:
        raise Malformed(f"{name} is not a time")
    return datetime.fromtimestamp(value, UTC)


def parse(text: str) -> Signed:
    """The signed message in a QR text, or Malformed. Says nothing of the signature."""
    if not text.startswith(PREFIX):
        raise Malformed("not a civicgrid certificate")
    try:
        message = cbor.loads(_inflate(base45.decode(text[len(PREFIX):])))
    except (ValueError, cbor.CBORError) as error:
        raise Malformed(str(error)) from error
    if not (isinstance(message, cbor.Tag) and message.number == COSE_SIGN1_TAG
            and isinstance(message.value, list) and len(message.value) == 4):
        raise Malformed("not a COSE_Sign1")
    protected, _unprotected, payload, signature = message.value
    if not (isinstance(protected, bytes) and isinstance(payload, bytes)
            and isinstance(signature, bytes) and len(signature) == 64):
        raise Malformed("COSE_Sign1 parts of the wrong kind")
    try:
        header, claims = cbor.loads(protected), cbor.loads(payload)
    except cbor.CBORError as error:
        raise Malformed(str(error)) from error
    if not isinstance(header, dict) or header.get(HEADER_ALG) != ES256 \
            or not isinstance(header.get(HEADER_KID), bytes):
        raise Malformed("not ES256 with a key id")
    return Signed(kid=b64url(header[HEADER_KID]), protected=protected, payload=payload,
                  signature=signature, claims=_claims(claims))


def _claims(claims) -> Claims:
    if not isinstance(claims, dict):
        raise Malformed("claims are not a map")
    certificate = claims.get(CLAIM_CERTIFICATE)
    if not isinstance(certificate, dict):
        raise Malformed("no certificate claim")
    text_fields = [certificate.get(k) for k in ("t", "n", "h")]
    index = certificate.get("s")
    if not all(isinstance(v, str) and v for v in text_fields) \
            or not isinstance(certificate.get("d"), bytes) or len(certificate["d"]) != 32 \
            or not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 2 ** 31 \
            or not isinstance(claims.get(CLAIM_ISS), str):
        raise Malformed("certificate claims missing or of the wrong kind")
    expires = claims.get(CLAIM_EXP)
    return Claims(issuer=claims[CLAIM_ISS], type=text_fields[0], number=text_fields[1],
                  holder_name=text_fields[2], fields_hash=certificate["d"], status_index=index,
                  issued_at=_time(claims.get(CLAIM_IAT), "iat"),
                  expires_at=None if expires is None else _time(expires, "exp"))
