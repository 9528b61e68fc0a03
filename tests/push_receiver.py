"""A push service on 127.0.0.1 for the tests, and browsers subscribed to it.

Each message it takes is checked as a browser's push service and the browser would: the
VAPID JWT (ES256 over header.payload, by the key sent beside it, for this origin, expiring
within a day) and the body decrypted (RFC 8291 aes128gcm) with the browser's private key.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """One browser's subscription keys (what PushManager.subscribe makes)."""

    path: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(
        ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, origin: str) -> dict:
        point = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"{origin}{self.path}",
                "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}


@dataclass
class Delivery:
    path: str
    status: int
    message: dict | None
    claims: dict
    vapid_key: str
    ttl: str | None


class PushReceiver:
    """Serves POST /push/<name>; answers each path from its script of statuses (then 201)."""

    def __init__(self):
        self.browsers: dict[str, Browser] = {}
        self.scripts: dict[str, list[int]] = {}
        self.deliveries: list[Delivery] = []
        self.errors: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._take(self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def browser(self, name: str) -> Browser:
        browser = self.browsers[f"/push/{name}"] = Browser(f"/push/{name}")
        return browser

    def answer(self, name: str, *statuses: int) -> None:
        """The next statuses /push/<name> answers (201 once they are used)."""
        self.scripts[f"/push/{name}"] = list(statuses)

    def _take(self, path: str, headers, body: bytes) -> int:
        script = self.scripts.get(path) or []
        status = script.pop(0) if script else 201
        try:
            claims, key = self._verify_vapid(headers.get("Authorization") or "")
            browser = self.browsers[path]
            assert headers.get("Content-Encoding") == "aes128gcm", headers.get("Content-Encoding")
            plain = http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth,
                                     version="aes128gcm")
            message = json.loads(plain)
        except Exception as error:  # recorded: the test reads receiver.errors
            self.errors.append(f"{path}: {error!r}")
            return 400
        self.deliveries.append(Delivery(path, status, message, claims, key, headers.get("TTL")))
        return status

    def _verify_vapid(self, authorization: str) -> tuple[dict, str]:
        scheme, _, params = authorization.partition(" ")
        assert scheme.lower() == "vapid", authorization
        fields = dict(part.strip().split("=", 1) for part in params.split(","))
        token, key = fields["t"], fields["k"]
        signed, _, signature = token.rpartition(".")
        raw = b64url_decode(signature)
        assert len(raw) == 64, "ES256 signs with r||s, 64 bytes"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
        public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                           int.from_bytes(raw[32:], "big")),
                      signed.encode(), ec.ECDSA(hashes.SHA256()))
        header = json.loads(b64url_decode(signed.split(".")[0]))
        claims = json.loads(b64url_decode(signed.split(".")[1]))
        assert header["alg"] == "ES256", header
        assert claims["aud"] == self.origin, claims
        assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims
        assert claims["sub"].startswith(("mailto:", "https:")), claims
        return claims, key

    def messages(self, name: str) -> list[dict]:
        return [d.message for d in self.deliveries if d.path == f"/push/{name}" and d.status < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
