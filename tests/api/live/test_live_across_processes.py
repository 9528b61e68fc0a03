"""Live updates across processes: two gunicorn servers (gthread, as `make run` serves) on one
database; a case action taken through one reaches a stream opened on the other. On
PostgreSQL through its NOTIFY, on SQLite through Redis (REDIS_URL, a database of its own)."""

from __future__ import annotations

import pytest

from backend.extensions import db as _db
from tests.app_servers import HttpStream, call, gunicorns, token
from tests.factories import PASSWORD
from tests.helpers import report_fields
from tests.sync_client import Phone


@pytest.fixture
def servers(app, db, tmp_path):
    """Two servers on the test's database: on PostgreSQL the broker is its NOTIFY, on SQLite
    Redis (a channel of this test's own)."""
    _db.session.remove()  # SQLite: no write lock held by the test while the servers write
    broker = "postgresql" if app.config["TEST_DATABASE"] == "postgresql" else "redis"
    with gunicorns(app, tmp_path, broker=broker) as ports:
        yield ports


@pytest.mark.slow
def test_an_action_through_one_server_reaches_a_stream_on_the_other(client, field_city, servers):
    phone = Phone(client, "w1")
    case_id = phone.create("reports", report_fields())
    phone.push()
    _db.session.remove()
    watch, act = servers
    boss = {"Authorization": f"Bearer {_token(watch)}"}
    stream = HttpStream(watch, "/api/v1/live", boss)  # answered: the server listens
    status, body = call(act, "POST", f"/api/v1/cases/{case_id}/actions", {"action": "register"},
                        _token(act))
    assert status == 200, body
    events = stream.wait_for(lambda events: any(
        name == "case" and data["id"] == case_id for name, data in events))
    seen = [data for name, data in events if name == "case" and data["id"] == case_id]
    assert seen[-1]["status"] == "registered" and seen[-1]["version"] == body["version"]
    stream.close()


def _token(port: int) -> str:
    return token(port, "boss", PASSWORD)
