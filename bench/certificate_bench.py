"""E-certificates at the seeds' scale (8.8 million certificates of 363 types): signing and
verifying QR payloads, the status list of a whole city, and the QR text's size.

    .venv/bin/python bench/certificate_bench.py [--certificates 100000]
                                                [--status-bits 8800000] [--revoked 0.01]

Printed:
  - sign and verify `--certificates` QR payloads (CG1: Base45(zlib(COSE_Sign1)), ES256) in
    this process, per second: what issuing a CSV and online verification cost in CPU;
  - the same verification in Node.js with the PWA's own verifier (pwa/app/certificate-check.js,
    WebCrypto): what an official's phone does offline (a phone is slower than this machine);
  - a status list of `--status-bits` certificates with a share `--revoked` revoked (random
    indexes, as real revocations are): time to build it (bits, GZIP, base64url) and its size on
    the wire; time to check one bit from the wire text (what a verifier does per QR);
  - each demo certificate's QR text in characters and the QR version it needs at error
    correction M in alphanumeric mode. Goal: under 400 characters, version ≤ 15.

No database: the work measured is the certificates' own (the DB rows are ordinary inserts).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from backend.certificates import qr  # noqa: E402
from backend.certificates.keys import b64url, b64url_decode  # noqa: E402
from backend.certificates.verification import encode_bits  # noqa: E402
from backend.demo.certificates import CERTIFICATES, ISSUERS, TYPES  # noqa: E402

# Characters an alphanumeric QR code holds at error correction M, versions 1–20 (ISO 18004).
ALPHANUMERIC_M = (20, 38, 61, 90, 122, 154, 178, 221, 262, 311, 366, 419, 483, 528, 600, 656,
                  734, 816, 909, 970)


def qr_version(chars: int) -> int | None:
    return next((v for v, cap in enumerate(ALPHANUMERIC_M, 1) if chars <= cap), None)


def claims_for(n: int, now: datetime) -> qr.Claims:
    return qr.Claims(issuer="LYGA", type="ID", number=f"3713021990{n:08d}", holder_name="刘洋",
                     fields_hash=qr.fields_hash({"n": str(n)}), status_index=n,
                     issued_at=now, expires_at=now + timedelta(days=7300))


def sign_and_verify(count: int) -> tuple[list[str], dict]:
    key = ec.generate_private_key(ec.SECP256R1())
    kid = b64url(b"benchkey")
    now = datetime.now(UTC).replace(microsecond=0)
    claims = [claims_for(n, now) for n in range(count)]
    started = time.perf_counter()
    texts = [qr.sign(c, kid, key) for c in claims]
    sign_s = time.perf_counter() - started
    public = key.public_key()
    started = time.perf_counter()
    ok = sum(qr.parse(text).verifies_with(public) for text in texts)
    verify_s = time.perf_counter() - started
    assert ok == count
    numbers = public.public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "iss": "LYGA",
           "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big"))}
    return texts, {"sign_per_s": count / sign_s, "verify_per_s": count / verify_s, "jwk": jwk,
                   "sign_s": sign_s, "verify_s": verify_s}


NODE_VERIFY = """
import { verifyQr } from "%s";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text);
const keys = { keys: [input.jwk] };
let valid = 0;
const started = performance.now();
for (const text of input.texts) {
  const verdict = await verifyQr(text, { keys, statusLists: {}, now: new Date() });
  if (verdict.valid || verdict.reason === "valid") valid += 1;
}
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ valid, per_s: input.texts.length / seconds }));
"""


def node_verify(texts: list[str], jwk: dict) -> dict | None:
    """The PWA's offline verifier over the same payloads, in Node.js (WebCrypto)."""
    module = ROOT / "pwa" / "app" / "certificate-check.js"
    if not shutil.which("node") or not module.exists():
        return None
    script = ROOT / "bench" / ".certificate_node_bench.mjs"
    script.write_text(NODE_VERIFY % module.as_uri())
    try:
        out = subprocess.run(["node", str(script)], input=json.dumps({"texts": texts, "jwk": jwk}),
                             capture_output=True, text=True, timeout=600)
    finally:
        script.unlink(missing_ok=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-300:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def status_list(bits: int, revoked_share: float) -> dict:
    rng = random.Random(7)
    revoked = rng.sample(range(bits), int(bits * revoked_share))
    started = time.perf_counter()
    encoded = encode_bits(revoked, bits)
    build_s = time.perf_counter() - started
    index = revoked[len(revoked) // 2] if revoked else 0
    started = time.perf_counter()
    raw = gzip.decompress(b64url_decode(encoded[1:]))
    hit = bool(raw[index >> 3] & (0x80 >> (index & 7)))
    check_s = time.perf_counter() - started
    assert hit == bool(revoked)
    started = time.perf_counter()
    for probe in range(10_000):  # once inflated, a verifier keeps the bytes: a bit is nanoseconds
        _ = raw[(probe * 877) % len(raw)]
    lookup_us = (time.perf_counter() - started) / 10_000 * 1e6
    return {"bits": bits, "revoked": len(revoked), "build_s": build_s, "wire_bytes": len(encoded),
            "raw_bytes": bits // 8, "inflate_and_check_ms": check_s * 1000, "lookup_us": lookup_us}


def demo_sizes() -> list[tuple[str, str, int, int | None]]:
    key = ec.generate_private_key(ec.SECP256R1())
    kid = b64url(b"demokey1")
    issuers = {code: code for code, _name, _dept in ISSUERS}
    validity = {code: days for code, _n, _e, _i, days, _f in TYPES}
    issuer_of = {code: issuer for code, _n, _e, issuer, _d, _f in TYPES}
    now = datetime.now(UTC).replace(microsecond=0)
    rows = []
    for n, (_holder, type_code, name, number, fields, _ago, _status, _reason) in enumerate(CERTIFICATES):
        days = validity[type_code]
        claims = qr.Claims(issuer=issuers[issuer_of[type_code]], type=type_code, number=number,
                           holder_name=name, fields_hash=qr.fields_hash(fields), status_index=8_799_999 - n,
                           issued_at=now, expires_at=now + timedelta(days=days) if days else None)
        text = qr.sign(claims, kid, key)
        rows.append((type_code, name, len(text), qr_version(len(text))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--status-bits", type=int, default=8_800_000)
    parser.add_argument("--revoked", type=float, default=0.01)
    args = parser.parse_args()

    print(f"e-certificates: {args.certificates:,} signed and verified, a status list of "
          f"{args.status_bits:,} ({args.revoked:.1%} revoked)\n")
    texts, speed = sign_and_verify(args.certificates)
    print(f"{'sign (server, ES256 + CBOR + zlib + Base45)':48} {speed['sign_per_s']:>10,.0f} /s"
          f"   ({speed['sign_s']:.1f} s)")
    print(f"{'verify (server, parse + ES256)':48} {speed['verify_per_s']:>10,.0f} /s"
          f"   ({speed['verify_s']:.1f} s)")
    offline = texts[:20_000]
    node = node_verify(offline, speed["jwk"])
    if node is None:
        print(f"{'verify offline (PWA code in Node.js)':48} {'skipped: no node or module':>14}")
    elif "error" in node:
        print(f"{'verify offline (PWA code in Node.js)':48} failed: {node['error']}")
    else:
        label = f"verify offline (PWA code in Node.js, {len(offline):,})"
        print(f"{label:48} {node['per_s']:>10,.0f} /s"
              f"   ({node['valid']:,} valid)")

    listed = status_list(args.status_bits, args.revoked)
    print(f"\nstatus list of {listed['bits']:,} certificates, {listed['revoked']:,} revoked:")
    print(f"  built (bits + GZIP + base64url)   {listed['build_s'] * 1000:10,.0f} ms")
    print(f"  on the wire                       {listed['wire_bytes'] / 1024:10,.0f} KiB"
          f"   (bitstring {listed['raw_bytes'] / 1024:,.0f} KiB before GZIP)")
    print(f"  a verifier inflates and checks    {listed['inflate_and_check_ms']:10,.1f} ms once,"
          f" then {listed['lookup_us']:.2f} µs a bit")
    empty = status_list(131_072, 0)
    print(f"  the smallest list (131,072 bits, none revoked): {empty['wire_bytes']:,} bytes")

    print("\nQR text per demo certificate (goal: < 400 characters, version ≤ 15 at M):")
    worst = 0
    for type_code, name, chars, version in demo_sizes():
        worst = max(worst, chars)
        print(f"  {type_code:4} {name:14} {chars:4} characters   version {version}")
    print(f"\nlongest {worst} characters, version {qr_version(worst)}: "
          f"{'met' if worst < 400 and (qr_version(worst) or 99) <= 15 else 'NOT met'}")


if __name__ == "__main__":
    main()
