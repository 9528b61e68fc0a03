"""Fixtures: the app on SQLite and on PostgreSQL, a clean database per test, signing in.

Every test that uses `app` runs once per database. CIVICGRID_TEST_DBS=sqlite (or
postgresql) narrows it for a quick local run; `make test` runs both.
"""

from __future__ import annotations

import os
import uuid

import flask_migrate
import psycopg
import pytest

from backend import create_app
from backend.extensions import db as _db
from tests import factories
from tests.helpers import wipe_database
from tests.sync_entries import assert_entries_fresh

TEST_DBS = [name for name in os.environ.get("CIVICGRID_TEST_DBS", "sqlite,postgresql").split(",")
            if name]
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked postgresql_only runs with the PostgreSQL `app` only (SQLite has one writer
    at a time: threads racing on it would block or fail, not show the guarantee)."""
    for item in items:
        if item.get_closest_marker("postgresql_only") is None:
            continue
        database = getattr(item, "callspec", None) and item.callspec.params.get("app")
        if database is None:
            raise pytest.UsageError(f"{item.nodeid} is marked postgresql_only but does not use "
                                    "the `app` fixture, so it never runs on PostgreSQL")
        if database != "postgresql":
            item.add_marker(pytest.mark.skip(
                reason=f"postgresql_only: needs real concurrent transactions, not {database}"))


def _create_pg_database() -> tuple[str, str]:
    name = f"civicgrid_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        pytest.exit(f"PostgreSQL is needed for the tests and cannot be reached at {PG_ADMIN_URL}: "
                    f"{error}. Start it (see README) or run with CIVICGRID_TEST_DBS=sqlite.",
                    returncode=3)
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


def _drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TEST_CERTIFICATE_SECRET = "Y2l2aWNncmlkLXRlc3RzLWNlcnRpZmljYXRlLXNlY3I="


@pytest.fixture(scope="session", params=TEST_DBS)
def app(request, tmp_path_factory):
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite'}"
    elif request.param == "postgresql":
        pg_name, url = _create_pg_database()
    else:
        raise ValueError(f"unknown test database {request.param}")
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        # The real cost (19 MiB, 2 passes) would make each account take ~30 ms to create.
        "PASSWORD_HASH_MEMORY_KIB": 1024, "PASSWORD_HASH_TIME_COST": 1,
        # Web Push to the tests' own push service (tests/push_receiver.py); retries at once.
        "PUSH_ALLOWED_HOSTS": "127.0.0.1", "JOB_BACKOFF_S": 0,
        # E-certificates' signing keys are encrypted with it (a fixed one: tests restore rows).
        "CERTIFICATE_KEYS_SECRET": TEST_CERTIFICATE_SECRET,
    })
    application.config["TEST_DATABASE"] = request.param
    with application.app_context():
        flask_migrate.upgrade()
    yield application
    live = application.extensions.get("civicgrid.live")
    if live is not None:
        live.stop(wait_s=3)  # its LISTEN connection, before the database is dropped
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()
    if pg_name:
        _drop_pg_database(pg_name)


# Tests here write synced records in every way there is; after each, every record's JSON
# stored in the change log must be what the record serialises to now.
SYNC_ENTRIES_CHECKED = tuple(f"tests/{folder}/" for folder in (
    "engine", "api/sync", "api/cases", "api/patrol", "api/photos", "api/regions", "api/posts",
    "api/departments", "api/hall"))


@pytest.fixture
def db(app, request):
    """An app context on a database that is wiped after the test."""
    with app.app_context():
        yield _db
        _db.session.remove()
        try:
            if request.node.nodeid.startswith(SYNC_ENTRIES_CHECKED):
                with _db.engine.connect() as conn:
                    assert_entries_fresh(conn)
        finally:
            wipe_database(app)


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def city(db):
    """A small city: 2 districts, 4 streets, 8 communities, 16 grids (see factories)."""
    return factories.make_city()


@pytest.fixture
def login_as(client, db):
    """login_as(user or username, password=...) → headers with a bearer token."""

    def _login(user, password: str = factories.PASSWORD) -> dict:
        username = user if isinstance(user, str) else user.username
        response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    return _login


@pytest.fixture
def field_city(client, city):
    """The small city with a category and its people: two workers in one street, one in
    another district, the street's supervisor and an admin."""
    from types import SimpleNamespace

    factories.make_category("road.pothole", time_limit_h=48)
    people = SimpleNamespace(
        city=city,
        w1=factories.make_user("w1", roles=["worker"], region=city["D1S1C1G1"]),
        w2=factories.make_user("w2", roles=["worker"], region=city["D1S1C1G2"]),
        w3=factories.make_user("w3", roles=["worker"], region=city["D2S1C1G1"]),
        boss=factories.make_user("boss", roles=["supervisor"], region=city["D1S1"]),
        admin=factories.make_user("root", roles=["admin"]),
    )
    return people
