"""Numbers under a crowd: 200 citizens take a number for one service at the same moment
through a running server with several worker processes; a quarter of them, on a flaky
link, send their take twice at once with the same Idempotency-Key. Every citizen gets one
ticket, and the numbers run A001…A200 with no gap and no duplicate, on both databases."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.extensions import db as _db
from backend.queue.models import Ticket, TicketCounter
from tests import factories
from tests.app_servers import _wait_healthy, free_port
from tests.factories import HALL_CENTRE

ROOT = Path(__file__).resolve().parents[3]
CITIZENS = 200


@pytest.fixture
def server(app, db, tmp_path):
    """One gunicorn with three worker processes on the test's database."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": app.config["SECRET_KEY"], "INSTANCE_PATH": str(tmp_path),
           "PASSWORD_HASH_MEMORY_KIB": "1024", "PASSWORD_HASH_TIME_COST": "1",
           "LIVE_CHANNEL": f"test_{uuid.uuid4().hex[:12]}"}
    env.pop("REDIS_URL", None)
    _db.session.remove()
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--worker-class", "gthread",
         "--workers", "3", "--threads", "8", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_healthy(process, port)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def _post(port: int, path: str, body: dict, headers: dict) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", path, body=json.dumps(body),
                       headers={"Content-Type": "application/json", **headers})
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"null")


@pytest.mark.slow
def test_a_crowd_gets_gap_free_unique_numbers(app, db, client, login_as, server):
    hall = factories.make_hall(daily_limit=0)
    service_id = str(factories.hall_service(hall, "A").id)
    path = f"/api/v1/halls/{hall.id}/tickets"
    headers = [login_as(factories.make_user(roles=("citizen",))) for _ in range(CITIZENS)]
    _db.session.remove()
    body = {"service_id": service_id, "lat": HALL_CENTRE[0], "lon": HALL_CENTRE[1],
            "accuracy_m": 10}
    calls = []
    for index, auth in enumerate(headers):
        key = {"Idempotency-Key": uuid.uuid4().hex}
        calls.append({**auth, **key})
        if index % 4 == 0:
            calls.append({**auth, **key})  # the same take, sent again at once
    with ThreadPoolExecutor(max_workers=64) as pool:
        answers = list(pool.map(lambda h: _post(server, path, body, h), calls))
    statuses = sorted({status for status, _ in answers})
    assert set(statuses) <= {200, 201}, [a for a in answers if a[0] not in (200, 201)][:3]
    assert sum(1 for status, _ in answers if status == 201) == CITIZENS
    by_key = {}
    for call, (_, ticket) in zip(calls, answers, strict=True):
        by_key.setdefault(call["Idempotency-Key"], set()).add(ticket["id"])
    assert all(len(ids) == 1 for ids in by_key.values())  # a retry got the first take's ticket
    numbers = sorted(_db.session.scalars(select(Ticket.number)))
    assert numbers == [f"A{n:03d}" for n in range(1, CITIZENS + 1)]
    assert _db.session.scalar(select(TicketCounter.last)) == CITIZENS
