"""Live updates across processes: two gunicorn servers (gthread, as `make run` serves) on one
database; a case action taken through one reaches a stream opened on the other. On
PostgreSQL through its NOTIFY, on SQLite through Redis (REDIS_URL, a database of its own)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from backend.extensions import db as _db
from tests.helpers import report_fields
from tests.live_client import parse_events
from tests.sync_client import Phone

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is needed at {REDIS_URL}: {error}")
    return client


@pytest.fixture
def servers(app, db, tmp_path):
    """Two servers on the test's database: on PostgreSQL the broker is its NOTIFY, on SQLite
    Redis (a channel of this test's own)."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": app.config["SECRET_KEY"], "INSTANCE_PATH": str(tmp_path),
           "LIVE_HEARTBEAT_S": "0.2", "LIVE_CHANNEL": f"test_{uuid.uuid4().hex[:12]}",
           "PASSWORD_HASH_MEMORY_KIB": "1024", "PASSWORD_HASH_TIME_COST": "1"}
    env.pop("REDIS_URL", None)
    redis_client = None
    if app.config["TEST_DATABASE"] == "sqlite":
        redis_client = _redis_or_skip()
        env["REDIS_URL"] = REDIS_URL
    _db.session.remove()  # SQLite: no write lock held by the test while the servers write
    started = []
    try:
        for _ in range(2):
            port = _free_port()
            process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "--worker-class", "gthread",
                 "--workers", "1", "--threads", "4", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            started.append((process, port))
        for process, port in started:
            _wait_healthy(process, port)
        yield [port for _, port in started]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        if redis_client is not None:
            redis_client.close()


def _wait_healthy(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode()[-3000:])
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server on port {port} did not start")


def _call(port: int, method: str, path: str, body: dict | None = None, token: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers=headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"null")


def _token(port: int, username: str) -> str:
    from tests.factories import PASSWORD

    status, body = _call(port, "POST", "/api/v1/auth/login",
                         {"username": username, "password": PASSWORD})
    assert status == 200, body
    return body["access_token"]


@pytest.mark.slow
def test_an_action_through_one_server_reaches_a_stream_on_the_other(client, field_city, servers):
    phone = Phone(client, "w1")
    case_id = phone.create("reports", report_fields())
    phone.push()
    _db.session.remove()
    watch, act = servers
    stream = http.client.HTTPConnection("127.0.0.1", watch, timeout=10)
    stream.request("GET", "/api/v1/live", headers={"Authorization": f"Bearer {_token(watch, 'boss')}"})
    response = stream.getresponse()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
    assert response.read1(1024).startswith(b"retry:")  # subscribed: the server listens
    status, body = _call(act, "POST", f"/api/v1/cases/{case_id}/actions", {"action": "register"},
                         _token(act, "boss"))
    assert status == 200, body
    text, deadline = "", time.monotonic() + 10
    while time.monotonic() < deadline:
        text += response.read1(4096).decode()
        events, _rest = parse_events(text)
        seen = [data for name, data in events if name == "case" and data["id"] == case_id]
        if seen:
            assert seen[-1]["status"] == "registered" and seen[-1]["version"] == body["version"]
            break
    else:
        raise AssertionError(f"no event in 10 s: {text!r}")
    stream.close()
