"""Departments (职能部门), reference data that every phone and console holds."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.sync_adapter.base import SyncedRecord


class Department(SyncedRecord, db.Model):
    """A unit that handles cases (城管局, 住建局…): admin-managed, synced to everyone.

    Its `version` counts accepted changes; removing one leaves a tombstone in the sync log
    (the row itself goes), so phones drop it too.
    """

    __tablename__ = "departments"

    # A short stable code (e.g. "CGJ") for imports and exports; the name is for people.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
