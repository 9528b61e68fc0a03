"""Every schema change is a migration: the migrated database matches the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from backend.extensions import db as _db


def test_migrations_match_the_models(db):
    with _db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, _db.metadata)
    assert differences == [], differences
