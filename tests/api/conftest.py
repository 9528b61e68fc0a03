"""The demo city that `make run` loads, and signing in to its accounts (for the demo tests
and the API fuzzing, which needs a whole city to reach past 404s)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.extensions import db as _db


@pytest.fixture(scope="session")
def demo_rows() -> dict:
    """Each database's rows right after its first demo load, by table."""
    return {}


@pytest.fixture
def demo(app, db, demo_rows):
    """The demo city, loaded by its flask command in demo mode (as `make run` does). Its weeks
    of cases go through the real case actions and take seconds to make, so each database
    loads it once per session and later tests get the same rows back."""
    app.config["DEMO_MODE"] = True
    try:
        rows = demo_rows.get(app)
        if rows is None:
            result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
            assert result.exit_code == 0, result.output
            demo_rows[app] = _copy_rows()
        else:
            _put_rows(rows)
        yield
    finally:
        app.config["DEMO_MODE"] = False


def _copy_rows() -> dict[sa.Table, list[dict]]:
    with _db.engine.connect() as conn:
        return {table: [dict(row) for row in conn.execute(sa.select(table)).mappings()]
                for table in _db.metadata.sorted_tables}


def _put_rows(rows: dict[sa.Table, list[dict]]) -> None:
    with _db.engine.begin() as conn:
        for table, table_rows in rows.items():  # sorted_tables: referenced tables first
            if table_rows:
                conn.execute(table.insert(), _parents_first(table, table_rows))


def _parents_first(table: sa.Table, rows: list[dict]) -> list[dict]:
    """A table that refers to itself (regions' parent) takes each row after the one it names."""
    links = [(fk.parent.name, fk.column.name) for fk in table.foreign_keys
             if fk.column.table is table]
    if not links:
        return rows
    ordered, placed, waiting = [], set(), list(rows)
    while waiting:
        ready = [row for row in waiting if all(row[child] is None or (key, row[child]) in placed
                                               for child, key in links)]
        assert ready, f"{table.name}: rows refer to each other in a loop"
        ordered += ready
        placed |= {(key, row[key]) for row in ready for _, key in links}
        waiting = [row for row in waiting if row not in ready]
    return ordered


@pytest.fixture
def demo_login(app, login_as):
    """demo_login(username) → headers signed in as that demo account."""
    return lambda username: login_as(username, app.config["DEMO_PASSWORD"])
