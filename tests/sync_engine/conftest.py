"""The sync engine as a library: a fresh in-memory SQLite database per test, Core only.

Nothing here imports Flask or `backend` (tests/unit/test_layout.py checks it, and runs this
folder alone in a process of its own to show it). To run it alone:
`python -m pytest --confcutdir=tests/sync_engine tests/sync_engine`.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from tests.sync_engine.notes import Device, Server, actor, metadata


def _transactions_we_begin(dbapi_connection, _record) -> None:
    # Python's sqlite3 begins transactions late, by itself, and commits when the first
    # SAVEPOINT is released, so one push would not be one transaction. SQLAlchemy's recipe:
    # the driver stays out of it and BEGIN is ours (below).
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


def _begin(conn: sa.Connection) -> None:
    # A listener elsewhere in the process (backend's, when the whole suite runs) may have
    # begun already.
    if not conn.connection.dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN")


@pytest.fixture
def database():
    database = sa.create_engine("sqlite://", poolclass=StaticPool)
    sa.event.listen(database, "connect", _transactions_we_begin)
    sa.event.listen(database, "begin", _begin)
    metadata.create_all(database)
    yield database
    database.dispose()


@pytest.fixture
def server(database) -> Server:
    return Server(database)


# Alice and Bob work in two areas of the town; the boss sees everything.
@pytest.fixture
def alice():
    return actor("alice", area="/east/")


@pytest.fixture
def bob():
    return actor("bob", area="/west/")


@pytest.fixture
def boss():
    return actor("boss", everything=True)


@pytest.fixture
def device(server):
    """device(actor) → a new app install of that user."""
    return lambda who, **kwargs: Device(server, who, **kwargs)
