"""The change log keeps each live record's JSON as pull serves it. Changes logged before it
did have none: pull reads their rows instead, giving the same page, until `flask sync
store-entries` stores them."""

from __future__ import annotations

import sqlalchemy as sa

from backend.sync_adapter.models import SyncChange
from tests.helpers import report_fields
from tests.sync_client import Phone
from tests.sync_entries import stale_entries


def _fresh_pull(client) -> list[dict]:
    return Phone(client, "w1").pull()


def test_changes_without_their_json_are_pulled_from_the_rows_until_stored(app, client,
                                                                          field_city, db):
    phone = Phone(client, "w1")
    kept = [phone.create("reports", report_fields()) for _ in range(3)]
    gone = phone.create("reports", report_fields())
    phone.push()
    phone.update("reports", kept[0], {"description": "已更正"})
    phone.delete("reports", gone)
    phone.push()
    phone.pull()
    expected = _fresh_pull(client)
    assert {c["id"] for c in expected if c["collection"] == "reports"} == set(kept)

    # As a database upgraded from before the log kept the JSON.
    db.session.execute(sa.update(SyncChange).values(entry=None))
    db.session.commit()
    assert _fresh_pull(client) == expected
    assert phone.pull() == []  # and an installed phone's cursor is unmoved by it

    result = app.test_cli_runner().invoke(args=["sync", "store-entries"])
    assert result.exit_code == 0, result.output
    live = db.session.scalar(sa.select(sa.func.count()).select_from(SyncChange).where(
        SyncChange.deleted.is_(False)))
    assert result.output.strip() == f"stored: {live}"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SyncChange).where(
        SyncChange.deleted.is_(False), SyncChange.entry.is_(None))) == 0
    db.session.rollback()  # (on SQLite another connection waits for this session's reads)
    with db.engine.connect() as conn:
        assert stale_entries(conn) == []
    assert _fresh_pull(client) == expected
    # Run again, there is nothing left to store.
    assert app.test_cli_runner().invoke(args=["sync", "store-entries"]).output.strip() == \
        "stored: 0"
