"""What the certificate tests share: the "ID" type's fields and a holder's values; taking a
QR text apart and putting it back (to forge and break them); reading a status-list token
as a verifier does."""

from __future__ import annotations

import gzip
import json
import zlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from backend.certificates import base45, cbor, qr
from backend.certificates.keys import b64url_decode

ID_FIELDS = [
    {"key": "gender", "label": "性别", "label_en": "Gender"},
    {"key": "birth_date", "label": "出生日期", "label_en": "Date of birth"},
    {"key": "address", "label": "住址", "label_en": "Address"},
]
ID_VALUES = {"gender": "女", "birth_date": "1990-05-17", "address": "临沂市兰山区金雀山路 1 号"}


def open_qr(text: str) -> list:
    """[protected, unprotected, payload, signature] of a QR text."""
    message = cbor.loads(zlib.decompress(base45.decode(text[len(qr.PREFIX):])))
    return list(message.value)


def close_qr(parts: list, *, compress: bool = True) -> str:
    raw = cbor.dumps(cbor.Tag(qr.COSE_SIGN1_TAG, parts))
    return qr.PREFIX + base45.encode(zlib.compress(raw) if compress else raw)


def with_claims(text: str, change) -> str:
    """The same signature over claims changed by `change(claims)`: a forgery."""
    protected, unprotected, payload, signature = open_qr(text)
    claims = cbor.loads(payload)
    change(claims)
    return close_qr([protected, unprotected, cbor.dumps(claims), signature])


def verified_payload(token: str, jwks: dict) -> dict:
    """The payload, once the signature holds under the JWK named in the header."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(b64url_decode(header_b64))
    assert header["alg"] == "ES256" and header["typ"] == "statuslist+jwt"
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public = ec.EllipticCurvePublicNumbers(int.from_bytes(b64url_decode(jwk["x"]), "big"),
                                           int.from_bytes(b64url_decode(jwk["y"]), "big"),
                                           ec.SECP256R1()).public_key()
    raw = b64url_decode(signature_b64)
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(signature, f"{header_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(b64url_decode(payload_b64)) | {"_kid": header["kid"]}


def bits(encoded: str) -> bytes:
    assert encoded.startswith("u")
    return gzip.decompress(b64url_decode(encoded[1:]))


def is_set(encoded: str, index: int) -> bool:
    return bool(bits(encoded)[index >> 3] & (0x80 >> (index & 7)))
