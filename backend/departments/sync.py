"""Departments as reference data: everyone pulls them (a case names the one it went to)."""

from __future__ import annotations

from backend.departments.models import Department
from sync.registry import REFERENCE, Audience, Collection


def department_audience(_row: dict) -> Audience:
    return Audience(is_public=True)


def department_change(department: Department, *, deleted: bool = False) -> tuple:
    """A change of a department, as the sync log wants it."""
    return (department.id, department.version, deleted, department_audience({}))


COLLECTIONS = [Collection(name="departments", table=Department.__table__, rule=REFERENCE,
                          server_fields=("code", "name"), audience=department_audience)]
