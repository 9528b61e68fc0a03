"""Real app servers for tests that cross processes: gunicorn (gthread, as `make run` serves)
on free ports of 127.0.0.1, on the test's own database, with plain HTTP helpers to talk to
them and to read a server-sent event stream."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.live_client import parse_events

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_or_skip():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is needed at {REDIS_URL}: {error}")
    return client


@contextmanager
def gunicorns(app, tmp_path: Path, *, count: int = 2, broker: str, extra_env: dict | None = None):
    """`count` servers on the app's database, their live updates through `broker`
    ("postgresql": its NOTIFY, "redis": Redis pub/sub on a channel of their own); yields
    their ports."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": app.config["SECRET_KEY"], "INSTANCE_PATH": str(tmp_path),
           "LIVE_HEARTBEAT_S": "0.2", "LIVE_CHANNEL": f"test_{uuid.uuid4().hex[:12]}",
           "LIVE_BROKER": broker, "JOB_QUEUE": "local",
           "PASSWORD_HASH_MEMORY_KIB": "1024", "PASSWORD_HASH_TIME_COST": "1", **(extra_env or {})}
    env.pop("REDIS_URL", None)
    redis_client = None
    if broker == "redis":
        redis_client = redis_or_skip()
        env["REDIS_URL"] = REDIS_URL
    started = []
    try:
        for _ in range(count):
            port = free_port()
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
    deadline = time.monotonic() + 60  # a loaded machine starts gunicorn slowly
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


def call(port: int, method: str, path: str, body: dict | None = None, token: str | None = None):
    """One JSON request; returns (status, parsed body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers=headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"null")


def token(port: int, username: str, password: str) -> str:
    status, body = call(port, "POST", "/api/v1/auth/login",
                        {"username": username, "password": password})
    assert status == 200, body
    return body["access_token"]


class HttpStream:
    """A server-sent event stream over real HTTP; by the time it is made the server has
    answered, so the stream is subscribed."""

    def __init__(self, port: int, path: str, headers: dict | None = None):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.connection.request("GET", path, headers=headers or {})
        self.response = self.connection.getresponse()
        assert self.response.status == 200, self.response.read()[:500]
        assert self.response.getheader("Content-Type").startswith("text/event-stream")
        assert self.response.read1(1024).startswith(b"retry:")
        self.text = ""

    def wait_for(self, condition, timeout_s: float = 10.0) -> list[tuple[str, dict]]:
        """Read until condition(events so far) holds; fails after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            events, _rest = parse_events(self.text)
            if condition(events):
                return events
            self.text += self.response.read1(4096).decode()
        raise AssertionError(f"not seen in {timeout_s} s: {self.text!r}")

    def close(self) -> None:
        self.connection.close()
