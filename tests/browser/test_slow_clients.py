"""A phone on a bad network must not hold up everybody else (a real server, real sockets)."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
import uuid
from urllib.parse import urlparse


def login(base: str, username: str) -> dict:
    request = urllib.request.Request(base + "/api/v1/auth/login", method="POST",
                                     data=json.dumps({"username": username, "password": "demo12345"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_a_push_whose_body_trickles_in_does_not_block_other_writers(live_server):
    """On SQLite a transaction holds the write lock: checking the token must not keep one
    open while the body is still on its way."""
    token = login(live_server.url, "worker1")["access_token"]
    address = urlparse(live_server.url)
    body = json.dumps({"client_id": str(uuid.uuid4()), "mutations": []}).encode()
    slow = socket.create_connection((address.hostname, address.port))
    try:
        slow.sendall((f"POST /api/v1/sync/push HTTP/1.1\r\nHost: {address.netloc}\r\n"
                      f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body[:10])
        time.sleep(0.5)  # the server has checked the token and is waiting for the rest
        started = time.monotonic()
        assert login(live_server.url, "worker2")["access_token"]  # a write (a new session)
        assert time.monotonic() - started < 5
        slow.sendall(body[10:])  # the phone's signal comes back: its push goes through
        assert slow.makefile("rb").readline().split()[1] == b"200"
    finally:
        slow.close()
