"""The official's phone judges a QR offline with the PWA's own code (pwa/app/certificate-check.js,
run here in Node.js with its WebCrypto) from the JWK Set and the status lists the server
publishes. For every kind of QR — genuine, tampered, another key, unknown key, expired, not
yet valid, revoked, suspended then reinstated, signed before a key rotation, malformed,
oversize — its verdict is the server's."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from backend.certificates import base45, issuance, keys, qr
from backend.common.time import utcnow
from tests.api.certificates.helpers import close_qr, open_qr, with_claims

MODULE = Path(__file__).resolve().parents[3] / "pwa" / "app" / "certificate-check.js"
JUDGE = """
import { verifyQr, verifyStatusLists } from %s;
let text = "";
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text);
const lists = await verifyStatusLists(input.lists, input.jwks);
const out = {};
for (const [name, qr] of Object.entries(input.cases)) {
  const verdict = await verifyQr(qr, { keys: input.jwks, statusLists: lists, now: Date.now() });
  out[name] = { reason: verdict.reason, valid: verdict.valid,
                holder: verdict.certificate ? verdict.certificate.holder_name ?? null : null,
                stale: verdict.listStale };
}
console.log(JSON.stringify(out));
"""

pytestmark = pytest.mark.skipif(not shutil.which("node"), reason="Node.js runs the PWA's verifier")


def judge_offline(tmp_path, cases: dict, jwks: dict, lists: dict) -> dict:
    script = tmp_path / "judge.mjs"
    script.write_text(JUDGE % json.dumps(MODULE.as_uri()))
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60,
                          input=json.dumps({"cases": cases, "jwks": jwks, "lists": lists}))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _forged_expiry(claims):
    claims[qr.CLAIM_EXP] += 10 * 365 * 86400


def test_the_phone_offline_and_the_server_agree_on_every_verdict(client, tmp_path, issuer, issue_one, admin):
    before_rotation = issue_one(holder_name="刘洋")
    issuance.rotate_key(admin, issuer.id)
    genuine, revoked, suspended, reinstated = (issue_one(holder_name=n) for n in ("陈静", "王芳", "李明", "张敏"))
    issuance.set_status(admin, revoked.id, "revoked", "吊销")
    issuance.set_status(admin, suspended.id, "suspended", "挂失")
    issuance.set_status(admin, reinstated.id, "suspended", "挂失")
    issuance.set_status(admin, reinstated.id, "valid", "找回")
    signed = qr.parse(genuine.qr)
    private = keys.private_key(genuine.key)

    def resigned(**changes):
        return qr.sign(qr.Claims(**{**signed.claims.__dict__, **changes}), signed.kid, private)

    cases = {
        "genuine": genuine.qr,
        "signed before the rotation": before_rotation.qr,
        "reinstated": reinstated.qr,
        "uncompressed": close_qr(open_qr(genuine.qr), compress=False),
        "tampered": with_claims(genuine.qr, _forged_expiry),
        "another key": qr.sign(signed.claims, signed.kid, ec.generate_private_key(ec.SECP256R1())),
        "unknown key": qr.sign(signed.claims, keys.b64url(b"\x02" * 8), private),
        "expired": resigned(issued_at=utcnow() - timedelta(days=30), expires_at=utcnow() - timedelta(days=1)),
        "not yet valid": resigned(issued_at=utcnow() + timedelta(hours=2)),
        "revoked": revoked.qr,
        "suspended": suspended.qr,
        "bad base45": qr.PREFIX + "%%%%",
        "bad zlib": qr.PREFIX + base45.encode(b"\x78\x9cnot deflate"),
        "another scheme": "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH",
        "oversize": qr.PREFIX + "A" * 3000,
    }
    online = {name: client.post("/api/v1/certificates/verify", json={"qr": text}).get_json()
              for name, text in cases.items()}
    jwks = client.get("/.well-known/jwks.json").get_json()
    lists = client.get("/api/v1/certificates/status-lists").get_json()
    offline = judge_offline(tmp_path, cases, jwks, lists)

    disagreements = {name: (online[name]["reason"], offline[name]["reason"]) for name in cases
                     if online[name]["reason"] != offline[name]["reason"]
                     or online[name]["valid"] != offline[name]["valid"]}
    assert not disagreements, disagreements
    assert {name for name in cases if online[name]["valid"]} == {
        "genuine", "signed before the rotation", "reinstated", "uncompressed"}
    assert offline["genuine"]["holder"] == "陈静" and offline["genuine"]["stale"] is False
    assert offline["tampered"]["holder"] is None  # nothing of a forgery is shown as true


def test_the_phone_offline_still_says_valid_with_an_old_list_and_revoked_with_a_new_one(client, tmp_path, issue_one, admin):
    certificate = issue_one()
    jwks = client.get("/.well-known/jwks.json").get_json()
    old_lists = client.get("/api/v1/certificates/status-lists").get_json()
    issuance.set_status(admin, certificate.id, "revoked", "吊销")
    new_lists = client.get("/api/v1/certificates/status-lists").get_json()
    assert judge_offline(tmp_path, {"it": certificate.qr}, jwks, old_lists)["it"]["reason"] == "valid"
    assert judge_offline(tmp_path, {"it": certificate.qr}, jwks, new_lists)["it"]["reason"] == "revoked"


def test_a_status_list_signed_by_a_stranger_is_not_believed(client, tmp_path, issue_one, admin):
    """A forged list (good bits, wrong signature) must not clear a revoked certificate."""
    certificate = issue_one()
    issuance.set_status(admin, certificate.id, "revoked", "吊销")
    jwks = client.get("/.well-known/jwks.json").get_json()
    real = client.get("/api/v1/certificates/status-lists").get_json()["items"][0]
    header, payload, _signature = real["token"].split(".")
    body = json.loads(keys.b64url_decode(payload))
    body["revocation"] = body["suspension"]  # nothing revoked
    forged_payload = keys.b64url(json.dumps(body).encode())
    forged = {"items": [{"issuer": real["issuer"], "token": f"{header}.{forged_payload}.{_signature}"}]}
    verdict = judge_offline(tmp_path, {"it": certificate.qr}, jwks, forged)["it"]
    # The forged list is dropped: the phone cannot check revocation and says so.
    assert verdict["reason"] == "valid" and verdict["stale"] is True
